/**
 * IR expression trees to JavaScript source, so the CPU backend evaluates an update map as one
 * compiled loop instead of walking trees per neuron. The generated code computes exactly what
 * compiler/ir/eval.ts computes (the same float64 operations in the same order); a test checks this.
 */
import { IR_HELPERS } from '../../compiler/ir/eval.js';
import type { IRExpr } from '../../compiler/ir/types.js';

/** How a reference reads in generated code: a JS expression. */
export type Resolve = (name: string) => string;

const CALLS: Readonly<Record<string, string>> = {
  exp: 'Math.exp',
  log: 'Math.log',
  log10: 'Math.log10',
  log2: 'Math.log2',
  sqrt: 'Math.sqrt',
  abs: 'Math.abs',
  sin: 'Math.sin',
  cos: 'Math.cos',
  tan: 'Math.tan',
  atan: 'Math.atan',
  sinh: 'Math.sinh',
  cosh: 'Math.cosh',
  tanh: 'Math.tanh',
  floor: 'Math.floor',
  ceil: 'Math.ceil',
  min: 'Math.min',
  max: 'Math.max',
  pow: 'Math.pow',
  sign: 'Math.sign',
  clip: 'H.clip',
  exprel: 'H.exprel',
  heaviside: 'H.heaviside',
};

/** Helpers the generated code calls as `H.name`: compiler/ir/eval.ts's own definitions. */
export const HELPERS = IR_HELPERS;

function literal(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return Object.is(x, -0) ? '-0' : `${x}`;
}

export function js(e: IRExpr, resolve: Resolve): string {
  if ('num' in e) return `(${literal(e.num)})`;
  if ('ref' in e) return resolve(e.ref);
  if ('call' in e) {
    const f = CALLS[e.call];
    if (!f) throw new Error(`unknown function ${e.call}`);
    return `${f}(${e.args.map((a) => js(a, resolve)).join(', ')})`;
  }
  if (e.op === 'neg') return `(-${js(e.args[0], resolve)})`;
  if (e.op === 'not') return `(${js(e.args[0], resolve)} ? 0 : 1)`;
  const a = js(e.args[0], resolve);
  const b = js(e.args[1]!, resolve);
  switch (e.op) {
    case '+':
    case '-':
    case '*':
    case '/':
    case '%':
      return `(${a} ${e.op} ${b})`;
    case '^':
      return `(${a} ** ${b})`;
    case '==':
      return `(${a} === ${b} ? 1 : 0)`;
    case '!=':
      return `(${a} !== ${b} ? 1 : 0)`;
    case 'and':
      return `(${a} && ${b} ? 1 : 0)`;
    case 'or':
      return `(${a} || ${b} ? 1 : 0)`;
    default:
      return `(${a} ${e.op} ${b} ? 1 : 0)`;
  }
}

/** A JS identifier for any IR name (`P[v,ge]`, `next:v`, `k1:v`). */
export function identifier(prefix: string, name: string): string {
  return `${prefix}_${name.replace(/[^A-Za-z0-9_]/g, (c) => `$${c.charCodeAt(0).toString(16)}`)}`;
}

/**
 * `e` specialised to one population: its scalar parameters become numbers, operations on numbers
 * are done now (the same float64 operations, so the same results), and terms with a zero
 * coefficient are dropped (0 * x is 0 for the finite values a state holds). For CUBA this takes
 * the update of ge from four products to one.
 */
export function specialize(e: IRExpr, scalars: ReadonlyMap<string, number>): IRExpr {
  if ('num' in e) return e;
  if ('ref' in e) {
    const v = scalars.get(e.ref);
    return v === undefined ? e : { num: v };
  }
  if ('call' in e) return { call: e.call, args: e.args.map((a) => specialize(a, scalars)) };
  if (e.op === 'neg' || e.op === 'not') {
    const a = specialize(e.args[0], scalars);
    if ('num' in a && e.op === 'neg') return { num: -a.num };
    return { op: e.op, args: [a] };
  }
  const a = specialize(e.args[0], scalars);
  const b = specialize(e.args[1]!, scalars);
  const an = 'num' in a ? a.num : undefined;
  const bn = 'num' in b ? b.num : undefined;
  switch (e.op) {
    case '*':
      if (an === 0 || bn === 0) return { num: 0 };
      if (an === 1) return b;
      if (bn === 1) return a;
      if (an !== undefined && bn !== undefined) return { num: an * bn };
      break;
    case '+':
      if (an === 0) return b;
      if (bn === 0) return a;
      if (an !== undefined && bn !== undefined) return { num: an + bn };
      break;
    case '-':
      if (bn === 0) return a;
      if (an !== undefined && bn !== undefined) return { num: an - bn };
      break;
    case '/':
      if (an !== undefined && bn !== undefined) return { num: an / bn };
      break;
  }
  return { op: e.op, args: [a, b] };
}
