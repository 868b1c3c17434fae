/**
 * Symbolic derivatives of IR expression trees (DESIGN.md principle 4: gradients come from the
 * compiler). Written over IRExpr rather than through mathjs because the update maps contain what
 * mathjs cannot differentiate (comparisons, `min`, `clip`, `exprel`), and the result must be an
 * IRExpr again for every code generator (JavaScript, WGSL). Piecewise-constant functions
 * (comparisons, floor, sign, heaviside) have derivative 0 almost everywhere; `min`, `max`,
 * `clip` and `abs` take the derivative of the branch they select.
 */
import type { IRExpr } from '../ir/types.js';

const ZERO: IRExpr = { num: 0 };
const ONE: IRExpr = { num: 1 };

const num = (x: number): IRExpr => ({ num: x });
const isNum = (e: IRExpr, x?: number): boolean => 'num' in e && (x === undefined || e.num === x);

export function add(a: IRExpr, b: IRExpr): IRExpr {
  if (isNum(a, 0)) return b;
  if (isNum(b, 0)) return a;
  if ('num' in a && 'num' in b) return num(a.num + b.num);
  return { op: '+', args: [a, b] };
}

export function sub(a: IRExpr, b: IRExpr): IRExpr {
  if (isNum(b, 0)) return a;
  if (isNum(a, 0)) return neg(b);
  if ('num' in a && 'num' in b) return num(a.num - b.num);
  return { op: '-', args: [a, b] };
}

export function mul(a: IRExpr, b: IRExpr): IRExpr {
  if (isNum(a, 0) || isNum(b, 0)) return ZERO;
  if (isNum(a, 1)) return b;
  if (isNum(b, 1)) return a;
  if ('num' in a && 'num' in b) return num(a.num * b.num);
  if (isNum(a, -1)) return neg(b);
  if (isNum(b, -1)) return neg(a);
  return { op: '*', args: [a, b] };
}

export function div(a: IRExpr, b: IRExpr): IRExpr {
  if (isNum(a, 0)) return ZERO;
  if (isNum(b, 1)) return a;
  if ('num' in a && 'num' in b) return num(a.num / b.num);
  return { op: '/', args: [a, b] };
}

export function neg(a: IRExpr): IRExpr {
  if ('num' in a) return num(-a.num);
  if ('op' in a && a.op === 'neg') return a.args[0];
  return { op: 'neg', args: [a] };
}

const call = (name: string, ...args: IRExpr[]): IRExpr => ({ call: name, args });
const cmp = (op: '<' | '<=' | '>' | '>=', a: IRExpr, b: IRExpr): IRExpr => ({ op, args: [a, b] });

/** d e / d x, simplified as it is built (0 and 1 terms dropped, constants folded). */
export function derivative(e: IRExpr, x: string): IRExpr {
  if ('num' in e) return ZERO;
  if ('ref' in e) return e.ref === x ? ONE : ZERO;
  if ('call' in e) return callDerivative(e.call, e.args, x);
  const [a, b] = e.args;
  switch (e.op) {
    case 'neg':
      return neg(derivative(a, x));
    case 'not':
      return ZERO;
    case '+':
      return add(derivative(a, x), derivative(b!, x));
    case '-':
      return sub(derivative(a, x), derivative(b!, x));
    case '*':
      return add(mul(derivative(a, x), b!), mul(a, derivative(b!, x)));
    case '/': {
      const da = derivative(a, x);
      const db = derivative(b!, x);
      // (a/b)' = a'/b - a b' / b^2
      return sub(div(da, b!), div(mul(a, db), mul(b!, b!)));
    }
    case '^':
      return powDerivative(a, b!, x);
    case '%':
      // a % b = a - b * trunc(a / b): the derivative in a is 1 where it is smooth.
      return derivative(a, x);
    default:
      // comparisons and logic are piecewise constant
      return ZERO;
  }
}

function powDerivative(a: IRExpr, b: IRExpr, x: string): IRExpr {
  const da = derivative(a, x);
  const db = derivative(b, x);
  if (isNum(db, 0)) {
    // d(a^n) = n a^(n-1) a'
    if (isNum(da, 0)) return ZERO;
    const nm1 = 'num' in b ? num(b.num - 1) : sub(b, ONE);
    const power = isNum(nm1, 1) ? a : isNum(nm1, 0) ? ONE : { op: '^' as const, args: [a, nm1] as [IRExpr, IRExpr] };
    return mul(mul(b, power), da);
  }
  // d(a^b) = a^b (b' log a + b a'/a)
  return mul({ op: '^', args: [a, b] }, add(mul(db, call('log', a)), div(mul(b, da), a)));
}

function callDerivative(name: string, args: IRExpr[], x: string): IRExpr {
  const [a, b, c] = args;
  const da = derivative(a!, x);
  switch (name) {
    case 'exp':
      return mul(call('exp', a!), da);
    case 'log':
      return div(da, a!);
    case 'log10':
      return div(da, mul(a!, num(Math.LN10)));
    case 'log2':
      return div(da, mul(a!, num(Math.LN2)));
    case 'sqrt':
      return div(da, mul(num(2), call('sqrt', a!)));
    case 'abs':
      return mul(call('sign', a!), da);
    case 'sin':
      return mul(call('cos', a!), da);
    case 'cos':
      return neg(mul(call('sin', a!), da));
    case 'tan':
      return div(da, mul(call('cos', a!), call('cos', a!)));
    case 'atan':
      return div(da, add(ONE, mul(a!, a!)));
    case 'sinh':
      return mul(call('cosh', a!), da);
    case 'cosh':
      return mul(call('sinh', a!), da);
    case 'tanh':
      return mul(sub(ONE, mul(call('tanh', a!), call('tanh', a!))), da);
    case 'pow':
      return powDerivative(a!, b!, x);
    case 'min':
      // the branch min selects: a where a <= b
      return add(mul(cmp('<=', a!, b!), da), mul(cmp('>', a!, b!), derivative(b!, x)));
    case 'max':
      return add(mul(cmp('>=', a!, b!), da), mul(cmp('<', a!, b!), derivative(b!, x)));
    case 'clip': {
      // clip(a, lo, hi): a inside, lo below, hi above
      const inside: IRExpr = { op: 'and', args: [cmp('>', a!, b!), cmp('<', a!, c!)] };
      return add(add(mul(inside, da), mul(cmp('<=', a!, b!), derivative(b!, x))), mul(cmp('>=', a!, c!), derivative(c!, x)));
    }
    case 'exprel': {
      // exprel(a) = a / (e^a - 1); exprel'(a) = (e^a - 1 - a e^a) / (e^a - 1)^2
      const em1 = sub(call('exp', a!), ONE);
      return mul(div(sub(em1, mul(a!, call('exp', a!))), mul(em1, em1)), da);
    }
    case 'floor':
    case 'ceil':
    case 'sign':
    case 'heaviside':
      return ZERO;
    default:
      throw new Error(`no derivative for the function '${name}'`);
  }
}
