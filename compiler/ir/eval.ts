/** Evaluating IR expression trees in float64: the semantics every backend reproduces. */
import type { IRExpr } from './types.js';

/** The IR's functions that are not in Math; generated code calls these same definitions. */
export const IR_HELPERS = {
  clip: (x: number, lo: number, hi: number): number => Math.min(Math.max(x, lo), hi),
  /** x / (exp(x) - 1), continuous at 0 (Hodgkin-Huxley rate functions). */
  exprel: (x: number): number => (Math.abs(x) < 1e-6 ? 1 - x / 2 : x / Math.expm1(x)),
  heaviside: (x: number): number => (x > 0 ? 1 : x < 0 ? 0 : 0.5),
};

const MATH: Readonly<Record<string, (...xs: number[]) => number>> = {
  exp: Math.exp,
  log: Math.log,
  log10: Math.log10,
  log2: Math.log2,
  sqrt: Math.sqrt,
  abs: Math.abs,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  atan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  tanh: Math.tanh,
  floor: Math.floor,
  ceil: Math.ceil,
  min: Math.min,
  max: Math.max,
  clip: (x, lo, hi) => IR_HELPERS.clip(x, lo!, hi!),
  pow: Math.pow,
  exprel: IR_HELPERS.exprel,
  sign: Math.sign,
  heaviside: IR_HELPERS.heaviside,
};

export function isMathFunction(name: string): boolean {
  return name in MATH;
}

/** The value of `e` with `env` giving each referenced symbol; booleans are 1 and 0. */
export function evaluate(e: IRExpr, env: (name: string) => number): number {
  if ('num' in e) return e.num;
  if ('ref' in e) return env(e.ref);
  if ('call' in e) {
    const f = MATH[e.call];
    if (!f) throw new Error(`unknown function ${e.call}`);
    return f(...e.args.map((a) => evaluate(a, env)));
  }
  if (e.op === 'neg') return -evaluate(e.args[0], env);
  if (e.op === 'not') return evaluate(e.args[0], env) ? 0 : 1;
  const a = evaluate(e.args[0], env);
  const b = evaluate(e.args[1]!, env);
  switch (e.op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    case '/': return a / b;
    case '^': return a ** b;
    case '%': return a % b;
    case '<': return a < b ? 1 : 0;
    case '<=': return a <= b ? 1 : 0;
    case '>': return a > b ? 1 : 0;
    case '>=': return a >= b ? 1 : 0;
    case '==': return a === b ? 1 : 0;
    case '!=': return a !== b ? 1 : 0;
    case 'and': return a && b ? 1 : 0;
    case 'or': return a || b ? 1 : 0;
  }
}

/** The names an expression reads. */
export function refsOf(e: IRExpr, out = new Set<string>()): Set<string> {
  if ('ref' in e) out.add(e.ref);
  else if ('args' in e) for (const a of e.args) refsOf(a, out);
  return out;
}

/** `e` with each reference in `map` replaced. */
export function substitute(e: IRExpr, map: ReadonlyMap<string, IRExpr>): IRExpr {
  if ('ref' in e) return map.get(e.ref) ?? e;
  if ('num' in e) return e;
  if ('call' in e) return { call: e.call, args: e.args.map((a) => substitute(a, map)) };
  if (e.op === 'neg' || e.op === 'not') return { op: e.op, args: [substitute(e.args[0], map)] };
  return { op: e.op, args: [substitute(e.args[0], map), substitute(e.args[1]!, map)] };
}

/**
 * The polynomial degree of `e` in the variables `vars`: 0 when it does not depend on them, 1 when
 * it is affine in them, Infinity otherwise (a product of two of them, a function of one, …).
 */
export function degree(e: IRExpr, vars: ReadonlySet<string>): number {
  if ('num' in e) return 0;
  if ('ref' in e) return vars.has(e.ref) ? 1 : 0;
  if ('call' in e) return e.args.some((a) => degree(a, vars) > 0) ? Infinity : 0;
  if (e.op === 'neg') return degree(e.args[0], vars);
  if (e.op === 'not') return degree(e.args[0], vars) > 0 ? Infinity : 0;
  const a = degree(e.args[0], vars);
  const b = degree(e.args[1]!, vars);
  switch (e.op) {
    case '+':
    case '-':
      return Math.max(a, b);
    case '*':
      return a + b;
    case '/':
      return b > 0 ? Infinity : a;
    case '^': {
      if (b > 0) return Infinity;
      if (a === 0) return 0;
      const p = e.args[1];
      return 'num' in p && p.num === 1 ? a : Infinity;
    }
    default:
      return a > 0 || b > 0 ? Infinity : 0;
  }
}
