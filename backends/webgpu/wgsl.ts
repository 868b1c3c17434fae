/**
 * IR expression trees to WGSL (f32). Mirrors backends/cpu/codegen.ts: comparisons and logic are
 * numbers (1 or 0) in the IR, booleans in WGSL, so they are wrapped in select(); integer powers
 * are multiplied out because WGSL's pow is undefined for a negative base.
 */
import type { IRExpr } from '../../compiler/ir/types.js';

export type Resolve = (name: string) => string;

const CALLS: Readonly<Record<string, string>> = {
  exp: 'exp',
  log: 'log',
  log2: 'log2',
  sqrt: 'sqrt',
  abs: 'abs',
  sin: 'sin',
  cos: 'cos',
  tan: 'tan',
  atan: 'atan',
  sinh: 'sinh',
  cosh: 'cosh',
  tanh: 'tanh',
  floor: 'floor',
  ceil: 'ceil',
  min: 'min',
  max: 'max',
  sign: 'sign',
  clip: 'clamp',
  exprel: 'ir_exprel',
  heaviside: 'ir_heaviside',
  log10: 'ir_log10',
};

/** Functions the generated code calls that WGSL lacks, matching compiler/ir/eval.ts. */
export const WGSL_HELPERS = `
fn ir_exprel(x: f32) -> f32 { if (abs(x) < 1e-4) { return 1.0 - x / 2.0; } return x / (exp(x) - 1.0); }
fn ir_heaviside(x: f32) -> f32 { return select(select(0.5, 0.0, x < 0.0), 1.0, x > 0.0); }
fn ir_log10(x: f32) -> f32 { return log(x) * 0.4342944819032518; }
fn ir_pow(a: f32, b: f32) -> f32 { if (a < 0.0 && floor(b) == b) { let p = pow(-a, b); return select(p, -p, (i32(b) & 1) == 1); } return pow(a, b); }
`;

export function wgslNumber(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`WGSL has no literal for ${x}`);
  const s = String(x);
  return /[.eE]/.test(s) ? `f32(${s})` : `${s}.0`;
}

/** `e` as a WGSL f32 expression. */
export function wgsl(e: IRExpr, resolve: Resolve): string {
  if ('num' in e) return wgslNumber(e.num);
  if ('ref' in e) return resolve(e.ref);
  if ('call' in e) {
    if (e.call === 'pow') return power(e.args[0]!, e.args[1]!, resolve);
    const f = CALLS[e.call];
    if (!f) throw new Error(`the function ${e.call} has no WGSL translation`);
    return `${f}(${e.args.map((a) => wgsl(a, resolve)).join(', ')})`;
  }
  if (e.op === 'neg') return `(-${wgsl(e.args[0], resolve)})`;
  if (e.op === 'not') return `select(1.0, 0.0, ${wgslBool(e.args[0], resolve)})`;
  if (e.op === '^') return power(e.args[0], e.args[1]!, resolve);
  const a = wgsl(e.args[0], resolve);
  const b = wgsl(e.args[1]!, resolve);
  switch (e.op) {
    case '+':
    case '-':
    case '*':
    case '/':
    case '%':
      return `(${a} ${e.op} ${b})`;
    default:
      return `select(0.0, 1.0, ${wgslBool(e, resolve)})`;
  }
}

/** `e` as a WGSL bool: comparisons directly, anything else as `e != 0`. */
export function wgslBool(e: IRExpr, resolve: Resolve): string {
  if ('op' in e && e.args.length === 2) {
    const [x, y] = e.args as [IRExpr, IRExpr];
    switch (e.op) {
      case '<':
      case '<=':
      case '>':
      case '>=':
      case '==':
      case '!=':
        return `(${wgsl(x, resolve)} ${e.op} ${wgsl(y, resolve)})`;
      case 'and':
        return `(${wgslBool(x, resolve)} && ${wgslBool(y, resolve)})`;
      case 'or':
        return `(${wgslBool(x, resolve)} || ${wgslBool(y, resolve)})`;
    }
  }
  if ('op' in e && e.op === 'not') return `!${wgslBool(e.args[0], resolve)}`;
  return `(${wgsl(e, resolve)} != 0.0)`;
}

function power(base: IRExpr, exponent: IRExpr, resolve: Resolve): string {
  if ('num' in exponent && Number.isInteger(exponent.num) && Math.abs(exponent.num) <= 4) {
    const n = exponent.num;
    if (n === 0) return '1.0';
    const b = wgsl(base, resolve);
    const prod = `(${Array.from({ length: Math.abs(n) }, () => b).join(' * ')})`;
    return n > 0 ? prod : `(1.0 / ${prod})`;
  }
  return `ir_pow(${wgsl(base, resolve)}, ${wgsl(exponent, resolve)})`;
}

/** A WGSL identifier for any IR name. */
export function wgslIdent(prefix: string, name: string): string {
  return `${prefix}_${name.replace(/[^A-Za-z0-9]/g, (c) => `_${c.charCodeAt(0).toString(16)}`)}`;
}
