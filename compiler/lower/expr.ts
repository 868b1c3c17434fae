/**
 * AST expressions to IR expression trees in internal units. The checker has already proved every
 * expression dimensionally consistent; this step turns numbers with units into internal-unit
 * numbers and, where the internal system is not coherent (it uses Hz for frequency next to ms for
 * time, as PyNN does), inserts the constant factor that keeps a product or quotient right.
 */
import type * as A from '../../lang/ast.js';
import type { Range } from '../../lang/source.js';
import { BUILTIN_CONSTANTS } from '../builtins.js';
import type { IRBinaryOp, IRExpr } from '../ir/types.js';
import { DIMENSIONLESS, dimDiv, dimMul, dimPow, internalScale, parseUnitFactors, toInternal, type Dim } from '../units.js';

/** What a name means inside an expression. */
export type Sym =
  | { kind: 'ref'; ref: string; dim?: Dim }
  | { kind: 'alias'; expr: A.Expr }
  | { kind: 'value'; value: number; dim?: Dim };

/** A construct the compiler cannot lower (the checker accepts more than the backends run yet). */
export class LowerError extends Error {
  constructor(
    message: string,
    readonly range?: Range,
  ) {
    super(message);
  }
}

export interface Lowered {
  expr: IRExpr;
  /** Undefined for a bare 0 or a polymorphic value (any dimension). */
  dim?: Dim;
}

const num = (value: number): IRExpr => ({ num: value });

/** SI value of the internal time unit, 1 ms. */
export const TIME_SCALE = 1e-3;

/** SI value of one internal unit of `d`; 1 for an unknown (polymorphic) dimension. */
export function scaleOf(d: Dim | undefined): number {
  return d === undefined ? 1 : internalScale(d);
}

/** `factor * e`, or e itself when the factor is 1. */
export function scaled(e: IRExpr, factor: number): IRExpr {
  if (Math.abs(factor - 1) < 1e-12) return e;
  return { op: '*', args: [num(factor), e] };
}

/** The factor turning an internal value of dimension `from` into one of a dimension whose internal unit has SI scale `toScale`. */
export function conversion(from: Dim | undefined, toScale: number): number {
  return from === undefined ? 1 : internalScale(from) / toScale;
}

const SAME_DIM_CALLS = new Set(['abs', 'floor', 'ceil', 'min', 'max', 'clip', 'sign']);

export class ExprLowerer {
  private readonly aliasCache = new Map<A.Expr, Lowered>();

  constructor(private readonly lookup: (name: string) => Sym | undefined) {}

  lower(e: A.Expr): Lowered {
    switch (e.kind) {
      case 'Number': {
        if (!e.unit) return e.value === 0 ? { expr: num(0) } : { expr: num(e.value), dim: DIMENSIONLESS };
        const u = parseUnitFactors(e.unit.factors);
        if ('unknown' in u) throw new LowerError(`unknown unit ${u.unknown.join(', ')}`, e.range);
        return { expr: num(toInternal(e.value, u.scale)), dim: u.dim };
      }
      case 'Bool':
        return { expr: num(e.value ? 1 : 0) };
      case 'Name':
        return this.name(e);
      case 'Unary': {
        const inner = this.lower(this.need(e.operand, e));
        if (e.op === '+') return inner;
        return { expr: { op: e.op === '-' ? 'neg' : 'not', args: [inner.expr] }, dim: inner.dim };
      }
      case 'Binary':
        return this.binary(e);
      case 'Call':
        return this.call(e);
      default:
        throw new LowerError(`a ${e.kind.toLowerCase()} cannot appear in an equation`, e.range);
    }
  }

  private need<T>(x: T | undefined, at: A.Expr): T {
    if (x === undefined) throw new LowerError('incomplete expression', at.range);
    return x;
  }

  private name(e: A.Name): Lowered {
    const c = BUILTIN_CONSTANTS.get(e.name);
    const s = this.lookup(e.name);
    if (!s) {
      if (c) return { expr: num(c.value), dim: DIMENSIONLESS };
      throw new LowerError(`'${e.name}' cannot be used here`, e.range);
    }
    if (s.kind === 'ref') return { expr: { ref: s.ref }, dim: s.dim };
    if (s.kind === 'value') return { expr: num(s.value), dim: s.dim };
    let hit = this.aliasCache.get(s.expr);
    if (!hit) {
      hit = this.lower(s.expr);
      this.aliasCache.set(s.expr, hit);
    }
    return hit;
  }

  private binary(e: A.Binary): Lowered {
    const l = this.lower(e.left);
    const r = this.lower(this.need(e.right, e));
    const op = e.op;
    if (op === '->') throw new LowerError("'->' belongs in a Projection", e.range);
    const bin = (o: IRBinaryOp, a: IRExpr, b: IRExpr): IRExpr => ({ op: o, args: [a, b] });
    switch (op) {
      case '*':
      case '/': {
        if (l.dim === undefined || r.dim === undefined) return { expr: bin(op, l.expr, r.expr), dim: l.dim ?? r.dim };
        const dim = op === '*' ? dimMul(l.dim, r.dim) : dimDiv(l.dim, r.dim);
        const factor = op === '*' ? (internalScale(l.dim) * internalScale(r.dim)) / internalScale(dim) : internalScale(l.dim) / internalScale(r.dim) / internalScale(dim);
        return { expr: scaled(bin(op, l.expr, r.expr), factor), dim };
      }
      case '^': {
        const p = constantValue(r.expr);
        if (l.dim === undefined) return { expr: bin('^', l.expr, r.expr) };
        if (p === undefined) return { expr: bin('^', l.expr, r.expr), dim: l.dim };
        const dim = dimPow(l.dim, p);
        return { expr: scaled(bin('^', l.expr, r.expr), internalScale(l.dim) ** p / internalScale(dim)), dim };
      }
      case '+':
      case '-':
      case '%':
        return { expr: bin(op, l.expr, r.expr), dim: l.dim ?? r.dim };
      default:
        return { expr: bin(op, l.expr, r.expr) };
    }
  }

  private call(e: A.Call): Lowered {
    if (e.callee.kind !== 'Name') throw new LowerError('only built-in math functions can be called in an equation', e.range);
    const name = e.callee.name;
    const args = e.args.map((a) => this.lower(this.need(a.value, e)));
    const call = (xs: IRExpr[]): IRExpr => ({ call: name, args: xs });
    if (name === 'sqrt') {
      const d = args[0]?.dim;
      if (d === undefined) return { expr: call(args.map((a) => a.expr)) };
      const dim = dimPow(d, 0.5);
      return { expr: scaled(call([args[0]!.expr]), Math.sqrt(internalScale(d)) / internalScale(dim)), dim };
    }
    if (name === 'pow') {
      const p = constantValue(args[1]?.expr);
      const d = args[0]?.dim;
      if (d === undefined || p === undefined) return { expr: { op: '^', args: [args[0]!.expr, args[1]!.expr] }, dim: d };
      const dim = dimPow(d, p);
      return { expr: scaled({ op: '^', args: [args[0]!.expr, args[1]!.expr] }, internalScale(d) ** p / internalScale(dim)), dim };
    }
    if (SAME_DIM_CALLS.has(name)) return { expr: call(args.map((a) => a.expr)), dim: args.find((a) => a.dim !== undefined)?.dim };
    return { expr: call(args.map((a) => a.expr)), dim: DIMENSIONLESS };
  }
}

/** The value of an expression without references, or undefined. */
export function constantValue(e: IRExpr | undefined): number | undefined {
  if (e === undefined) return undefined;
  if ('num' in e) return e.num;
  if ('op' in e && e.op === 'neg') {
    const v = constantValue(e.args[0]);
    return v === undefined ? undefined : -v;
  }
  return undefined;
}
