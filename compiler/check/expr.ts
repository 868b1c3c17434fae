/**
 * Expression typing: dimensions (units), constant values and kinds, with diagnostics for every
 * mismatch. Each expression is typed once per use; errors yield `unknown`, which is never
 * reported again, so one mistake gives one diagnostic (no cascades).
 */
import type * as A from '../../lang/ast.js';
import { BUILTINS, type Builtin, type BuiltinParam } from '../builtins.js';
import {
  DIMENSIONLESS, dimDiv, dimEquals, dimMul, dimPow, internalScale, isDimensionless, lookupUnit, parseUnitFactors,
  suggestUnit, type Dim,
} from '../units.js';
import { didYouMean, type Reporter } from './context.js';
import { describeDim, describeType, quantity, UNKNOWN, type Type } from './types.js';

export interface Scope {
  /** The type of a name, marking it used; undefined when the name is not declared. */
  lookup(name: string, at: A.Name): Type | undefined;
  /** Every visible name, for did-you-mean hints. */
  names(): Iterable<string>;
}

/** Hooks for constructs only some contexts allow (network calls, views, members, lists…). */
export interface ExprHooks {
  call?(call: A.Call, callee: string, typer: ExprTyper): Type | undefined;
  member?(m: A.Member, typer: ExprTyper): Type;
  index?(ix: A.Index, typer: ExprTyper): Type;
  allowArrow?: boolean;
  /** Where the expression sits, for messages: 'model' or 'network'. */
  where: string;
}

const TRANSCENDENTAL = new Set(['exp', 'log', 'log10', 'log2', 'sin', 'cos', 'tan', 'tanh', 'sinh', 'cosh', 'atan', 'exprel']);

export class ExprTyper {
  constructor(readonly scope: Scope, readonly reporter: Reporter, readonly hooks: ExprHooks) {}

  type(e: A.Expr): Type {
    switch (e.kind) {
      case 'Number':
        return this.number(e);
      case 'String':
        return { kind: 'string', value: e.value };
      case 'Bool':
        return { kind: 'bool' };
      case 'Name':
        return this.name(e);
      case 'Unary':
        return this.unary(e);
      case 'Binary':
        return this.binary(e);
      case 'Call':
        return this.call(e);
      case 'Member':
        if (this.hooks.member) return this.hooks.member(e, this);
        this.reporter.report('UnsupportedOperator', e.range, ['.', `member access is not available in a ${this.hooks.where}`]);
        return UNKNOWN;
      case 'Index':
        if (this.hooks.index) return this.hooks.index(e, this);
        this.reporter.report('UnsupportedOperator', e.range, ['[ ]', `indexing is not available in a ${this.hooks.where}`]);
        return UNKNOWN;
      case 'List':
        if (this.hooks.where === 'network') {
          for (const item of e.items) this.type(item);
          return { kind: 'list' };
        }
        this.reporter.report('UnsupportedOperator', e.range, ['[ ]', `lists are not available in a ${this.hooks.where}`]);
        return UNKNOWN;
      case 'Object':
        if (this.hooks.where === 'network') {
          for (const en of e.entries) if (en.value) this.type(en.value);
          return { kind: 'object' };
        }
        this.reporter.report('UnsupportedOperator', e.range, ['{ }', `named values are not available in a ${this.hooks.where}`]);
        return UNKNOWN;
    }
  }

  /** The dimension of an expression that must be a quantity; undefined when unknown or not a quantity. */
  quantityDim(e: A.Expr, what: string): { ok: boolean; dim?: Dim; value?: number } {
    const t = this.type(e);
    if (t.kind === 'quantity') return { ok: true, dim: t.dim, value: t.value };
    if (t.kind !== 'unknown') this.reporter.report('WrongArgumentKind', e.range, [what, 'a number', 'this value', describeType(t)]);
    return { ok: false };
  }

  private number(e: A.NumberLit): Type {
    if (!e.unit) return e.value === 0 ? quantity(undefined, 0) : quantity(DIMENSIONLESS, e.value);
    const parsed = parseUnitFactors(e.unit.factors);
    if ('unknown' in parsed) {
      for (const f of e.unit.factors) {
        if (lookupUnit(f.name) !== undefined) continue;
        const s = suggestUnit(f.name);
        const inScope = [...this.scope.names()].includes(f.name);
        const hint = s
          ? `did you mean '${s}'?`
          : inScope
            ? `'${f.name}' is a name here: write an explicit product, e.g. ${e.text} * ${f.name}`
            : 'units are SI with prefixes: ms, mV, nA, nF, uS, Hz, um, …';
        this.reporter.report('UnknownUnit', f.range, [f.name], { hint });
      }
      return UNKNOWN;
    }
    return quantity(parsed.dim, e.value * parsed.scale);
  }

  private name(e: A.Name): Type {
    if (e.name === '') return UNKNOWN; // placeholder from syntax recovery
    const t = this.scope.lookup(e.name, e);
    if (t) return t;
    if (lookupUnit(e.name) !== undefined) {
      this.reporter.report('UnitUsedAsName', e.range, [e.name]);
    } else {
      const hint = didYouMean(e.name, this.scope.names());
      this.reporter.report('UnknownName', e.range, [e.name], hint ? { hint } : {});
    }
    return UNKNOWN;
  }

  private unary(e: A.Unary): Type {
    if (!e.operand) return UNKNOWN;
    const t = this.type(e.operand);
    if (e.op === 'not') return this.condition(t, e.operand, "operand of 'not'");
    if (t.kind === 'unknown') return t;
    if (t.kind !== 'quantity') {
      this.reporter.report('UnsupportedOperator', e.range, [e.op, `it needs a number, not ${describeType(t)}`]);
      return UNKNOWN;
    }
    return quantity(t.dim, t.value === undefined ? undefined : e.op === '-' ? -t.value : t.value);
  }

  /** Check that `t` is a condition; report otherwise. */
  condition(t: Type, at: A.Expr, what: string): Type {
    if (t.kind === 'bool' || t.kind === 'unknown') return { kind: 'bool' };
    this.reporter.report('ConditionNotBoolean', at.range, [what, describeType(t)]);
    return { kind: 'bool' };
  }

  private binary(e: A.Binary): Type {
    if (e.op === '->') {
      const pre = this.type(e.left);
      const post = e.right ? this.type(e.right) : UNKNOWN;
      if (!this.hooks.allowArrow) {
        this.reporter.report('UnsupportedOperator', e.range, ['->', 'the arrow only connects pre -> post as the first argument of Projection']);
        return UNKNOWN;
      }
      return { kind: 'arrow', pre, post };
    }
    const l = this.type(e.left);
    if (!e.right) return UNKNOWN;
    const r = this.type(e.right);
    if (e.op === 'and' || e.op === 'or') {
      this.condition(l, e.left, `operand of '${e.op}'`);
      this.condition(r, e.right, `operand of '${e.op}'`);
      return { kind: 'bool' };
    }
    if (l.kind === 'unknown' || r.kind === 'unknown') {
      return ['<', '<=', '>', '>=', '==', '!='].includes(e.op) ? { kind: 'bool' } : UNKNOWN;
    }
    if (e.op === '+' && l.kind === 'population' && r.kind === 'population' && this.hooks.where === 'network') {
      // PyNN: p1 + p2 is an Assembly.
      return { kind: 'population', name: `${l.name} + ${r.name}`, size: l.size !== undefined && r.size !== undefined ? l.size + r.size : undefined, models: [...l.models, ...r.models] };
    }
    if (l.kind !== 'quantity' || r.kind !== 'quantity') {
      const bad = l.kind !== 'quantity' ? l : r;
      this.reporter.report('UnsupportedOperator', e.range, [e.op, `it needs numbers, not ${describeType(bad)}`]);
      return UNKNOWN;
    }
    switch (e.op) {
      case '+':
      case '-':
      case '%': {
        const dim = this.unify(l.dim, r.dim, e, e.op === '+' ? 'add' : e.op === '-' ? 'subtract' : 'take the remainder of');
        if (dim === null) return UNKNOWN;
        const v = l.value !== undefined && r.value !== undefined ? (e.op === '+' ? l.value + r.value : e.op === '-' ? l.value - r.value : l.value % r.value) : undefined;
        return quantity(dim, v);
      }
      case '*':
      case '/': {
        if (l.dim === undefined || r.dim === undefined) {
          // A bare 0 times anything is still 0 of any unit; a polymorphic weight stays polymorphic.
          return quantity(undefined, l.value === 0 || (e.op === '*' && r.value === 0) ? 0 : undefined);
        }
        const dim = e.op === '*' ? dimMul(l.dim, r.dim) : dimDiv(l.dim, r.dim);
        let v: number | undefined;
        if (l.value !== undefined && r.value !== undefined) {
          // Internal units are coherent except that pure frequencies are in Hz: correct by the scales.
          const raw = e.op === '*' ? l.value * r.value : l.value / r.value;
          const corr = e.op === '*' ? internalScale(l.dim) * internalScale(r.dim) : internalScale(l.dim) / internalScale(r.dim);
          v = (raw * corr) / internalScale(dim);
        }
        return quantity(dim, v);
      }
      case '^': {
        if (r.dim !== undefined && !isDimensionless(r.dim)) {
          this.reporter.report('DimensionedExponent', e.right.range, [describeDim(r.dim)]);
          return UNKNOWN;
        }
        if (l.dim === undefined) return quantity(undefined);
        if (isDimensionless(l.dim)) return quantity(DIMENSIONLESS, l.value !== undefined && r.value !== undefined ? l.value ** r.value : undefined);
        if (r.value === undefined) {
          this.reporter.report('DimensionedExponent', e.right.range, ['an exponent that is not a constant']);
          return UNKNOWN;
        }
        const dim = dimPow(l.dim, r.value);
        const v = l.value !== undefined ? (l.value * internalScale(l.dim)) ** r.value / internalScale(dim) : undefined;
        return quantity(dim, v);
      }
      default: {
        // comparisons
        this.unify(l.dim, r.dim, e, 'compare');
        return { kind: 'bool' };
      }
    }
  }

  /** The common dimension of two operands; null (after reporting) when they differ. */
  unify(a: Dim | undefined, b: Dim | undefined, at: A.Binary | A.Call, verb: string): Dim | undefined | null {
    if (a === undefined) return b;
    if (b === undefined) return a;
    if (dimEquals(a, b)) return a;
    this.reporter.report('IncompatibleUnits', at.range, [verb, describeDim(a), describeDim(b)]);
    return null;
  }

  private call(e: A.Call): Type {
    if (e.callee.kind !== 'Name') {
      this.reporter.report('UnsupportedOperator', e.callee.range, ['( )', 'only named functions and models can be called']);
      for (const a of e.args) if (a.value) this.type(a.value);
      return UNKNOWN;
    }
    const name = e.callee.name;
    const hooked = this.hooks.call?.(e, name, this);
    if (hooked) return hooked;
    const b = BUILTINS.get(name);
    if (b && b.kind === 'math') return this.mathCall(e, b);
    const hint = didYouMean(name, [...this.scope.names(), ...[...BUILTINS.values()].filter((x) => x.kind === 'math').map((x) => x.name)]);
    this.reporter.report('UnknownFunction', e.callee.range, [name], hint ? { hint } : {});
    for (const a of e.args) if (a.value) this.type(a.value);
    return UNKNOWN;
  }

  /** Math functions: transcendental ones need dimensionless arguments; min/max/clip/abs keep the unit. */
  mathCall(e: A.Call, b: Builtin): Type {
    const bound = this.bindArgs(e, b);
    if (!bound) return UNKNOWN;
    const types = bound.map((x) => (x ? this.type(x.value) : undefined));
    const dims: (Dim | undefined)[] = [];
    const values: (number | undefined)[] = [];
    let failed = false;
    types.forEach((t, i) => {
      if (!t) return;
      if (t.kind === 'unknown') failed = true;
      else if (t.kind !== 'quantity') {
        this.reporter.report('WrongArgumentKind', bound[i]!.value.range, [b.name, 'a number', `argument ${i + 1}`, describeType(t)]);
        failed = true;
      } else {
        dims[i] = t.dim;
        values[i] = t.value;
      }
    });
    if (failed) return UNKNOWN;
    const first = dims[0];
    if (TRANSCENDENTAL.has(b.name) || b.result === '1') {
      // Transcendental functions need dimensionless arguments; others with a plain-number result
      // (sign, heaviside) accept any unit unless the parameter itself says '1'.
      dims.forEach((d, i) => {
        const p = b.params[Math.min(i, b.params.length - 1)];
        const needsPlain = TRANSCENDENTAL.has(b.name) || p?.unit === '1';
        if (needsPlain && d !== undefined && !isDimensionless(d)) this.reporter.report('DimensionedArgument', bound[i]!.value.range, [b.name, describeDim(d)]);
      });
      const fn = (Math as unknown as Record<string, unknown>)[b.name];
      const v = typeof fn === 'function' && values.every((x) => x !== undefined) ? (fn as (...xs: number[]) => number)(...(values as number[])) : undefined;
      return quantity(DIMENSIONLESS, v);
    }
    if (b.result === 'sqrt') {
      if (first === undefined) return quantity(undefined);
      const dim = dimPow(first, 0.5);
      return quantity(dim, values[0] !== undefined ? Math.sqrt(values[0] * internalScale(first)) / internalScale(dim) : undefined);
    }
    // 'same': all arguments share the first argument's dimension.
    let common = first;
    for (let i = 1; i < dims.length; i++) {
      const p = b.params[Math.min(i, b.params.length - 1)];
      if (p && p.unit !== 'same' && p.unit !== 'any') continue;
      const u = this.unify(common, dims[i], e, `pass together to ${b.name}:`);
      if (u === null) return UNKNOWN;
      common = u;
    }
    const fn = (Math as unknown as Record<string, unknown>)[b.name];
    const v = typeof fn === 'function' && values.length > 0 && values.every((x) => x !== undefined) ? (fn as (...xs: number[]) => number)(...(values as number[])) : undefined;
    return quantity(common, v);
  }

  /**
   * Match a call's arguments to a built-in's parameters: positional in order, then named.
   * Reports unknown names, too many arguments and missing required ones. Returns, per parameter,
   * the argument given (or undefined), or null when the call is malformed beyond use.
   */
  bindArgs(e: A.Call, b: { name: string; params: readonly BuiltinParam[] }): ({ value: A.Expr; arg: A.Arg } | undefined)[] | null {
    const out: ({ value: A.Expr; arg: A.Arg } | undefined)[] = b.params.map(() => undefined);
    const variadic = b.params.length > 0 && b.params[b.params.length - 1]!.variadic === true;
    let pos = 0;
    let ok = true;
    for (const arg of e.args) {
      if (!arg.value) continue;
      if (arg.name) {
        const i = b.params.findIndex((p) => p.name === arg.name!.name);
        if (i < 0) {
          const hint = didYouMean(arg.name.name, b.params.map((p) => p.name));
          this.reporter.report('UnknownArgument', arg.name.range, [b.name, arg.name.name], hint ? { hint } : {});
          this.type(arg.value);
          ok = false;
          continue;
        }
        out[i] = { value: arg.value, arg };
        continue;
      }
      if (pos >= b.params.length && variadic) {
        out.push({ value: arg.value, arg });
        pos++;
        continue;
      }
      if (pos >= b.params.length) {
        this.reporter.report('WrongArgumentCount', arg.range, [b.name, countText(b.params.length), String(e.args.filter((a) => !a.name).length)]);
        this.type(arg.value);
        ok = false;
        pos++;
        continue;
      }
      out[pos++] = { value: arg.value, arg };
    }
    b.params.forEach((p, i) => {
      if (out[i] === undefined && p.default === undefined && !p.optional && !p.variadic) {
        this.reporter.report('MissingArgument', e.range, [b.name, `argument '${p.name}'`]);
        ok = false;
      }
    });
    return ok ? out : null;
  }
}

function countText(n: number): string {
  return n === 0 ? 'no arguments' : n === 1 ? '1 argument' : `${n} arguments`;
}

/** The dimension a built-in parameter's unit string stands for; undefined for 'same', 'any' and non-quantities. */
export function paramDim(unit: string): Dim | undefined {
  if (unit === '1' || unit === 'int') return DIMENSIONLESS;
  const u = lookupUnit(unit);
  if (u) return u.dim;
  // compound strings such as 'mV/ms'
  const factors = unit.split(/(?=[*/])/).map((f) => {
    const sign = f.startsWith('/') ? -1 : 1;
    const [name, pow] = f.replace(/^[*/]/, '').split('^');
    return { name: name!, power: sign * (pow ? Number(pow) : 1) };
  });
  const parsed = parseUnitFactors(factors);
  return 'unknown' in parsed ? undefined : parsed.dim;
}
