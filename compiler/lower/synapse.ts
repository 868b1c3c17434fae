/**
 * Synapse models and plasticity rules to their IR (compiler/ir/types.ts: IRSynapseModel,
 * IRPlasticityRule). Both are event-driven: their state changes at spikes and relaxes in between,
 * so the compiler gives the relaxation in closed form (x' = a x + c per variable) and the backend
 * integrates it exactly over the time since the last event.
 */
import type * as A from '../../lang/ast.js';
import type { ModelInfo } from '../check/types.js';
import type { IRAssign, IRExpr, IRPlasticityRule, IRSynapseModel } from '../ir/types.js';
import type { Dim } from '../units.js';
import { conversion, ExprLowerer, LowerError, scaled, scaleOf, TIME_SCALE, type Sym } from './expr.js';
import { WEIGHT } from './model.js';

/** The symbol of what a synapse delivers (`deliver(x)`). */
export const DELIVER = '$deliver';

const num = (v: number): IRExpr => ({ num: v });
const isZero = (e: IRExpr): boolean => 'num' in e && e.num === 0;
const add = (a: IRExpr, b: IRExpr): IRExpr => (isZero(a) ? b : isZero(b) ? a : { op: '+', args: [a, b] });
const sub = (a: IRExpr, b: IRExpr): IRExpr => (isZero(b) ? a : isZero(a) ? { op: 'neg', args: [b] } : { op: '-', args: [a, b] });
const mul = (a: IRExpr, b: IRExpr): IRExpr => (isZero(a) || isZero(b) ? num(0) : { op: '*', args: [a, b] });
const div = (a: IRExpr, b: IRExpr): IRExpr => (isZero(a) ? num(0) : { op: '/', args: [a, b] });

/**
 * `e` as a x + c in the variable `x`, or undefined when it is not affine in x or reads another
 * of `others`. Zero terms are dropped symbolically, so `-u / tau` with tau = 0 gives a = -inf and
 * c = 0, never 0/0 (TsodyksMarkram's tau_facil = 0).
 */
export function affineParts(e: IRExpr, x: string, others: ReadonlySet<string>): { a: IRExpr; c: IRExpr } | undefined {
  if ('num' in e) return { a: num(0), c: e };
  if ('ref' in e) {
    if (e.ref === x) return { a: num(1), c: num(0) };
    return others.has(e.ref) ? undefined : { a: num(0), c: e };
  }
  if ('call' in e) {
    const parts = e.args.map((a) => affineParts(a, x, others));
    return parts.every((p) => p && isZero(p.a)) ? { a: num(0), c: e } : undefined;
  }
  if (e.op === 'neg') {
    const p = affineParts(e.args[0], x, others);
    return p && { a: isZero(p.a) ? p.a : { op: 'neg', args: [p.a] }, c: isZero(p.c) ? p.c : { op: 'neg', args: [p.c] } };
  }
  const l = affineParts(e.args[0], x, others);
  const r = e.args[1] ? affineParts(e.args[1], x, others) : undefined;
  if (!l || !r) return undefined;
  switch (e.op) {
    case '+':
      return { a: add(l.a, r.a), c: add(l.c, r.c) };
    case '-':
      return { a: sub(l.a, r.a), c: sub(l.c, r.c) };
    case '*':
      if (isZero(l.a)) return { a: mul(e.args[0], r.a), c: mul(e.args[0], r.c) };
      if (isZero(r.a)) return { a: mul(l.a, e.args[1]!), c: mul(l.c, e.args[1]!) };
      return undefined;
    case '/':
      return isZero(r.a) ? { a: div(l.a, e.args[1]!), c: div(l.c, e.args[1]!) } : undefined;
    default:
      return isZero(l.a) && isZero(r.a) ? { a: num(0), c: e } : undefined;
  }
}

export interface LoweredEventModel<T> {
  ir: T;
  /** Parameter defaults, as expressions of earlier parameters. */
  paramDefaults: Map<string, IRExpr>;
  stateDefaults: Map<string, IRExpr>;
  /** Parameters written without a unit that take the weight's unit (w_min, w_max, eta). */
  weightUnitParams: Set<string>;
}

/** The name tables and defaults shared by synapse models and plasticity rules. */
function common(info: ModelInfo, extra: Map<string, Sym>) {
  const dimOf = new Map<string, Dim | undefined>();
  for (const [n, v] of info.params) dimOf.set(n, v.dim);
  for (const [n, v] of info.state) dimOf.set(n, v.dim);
  for (const [n, v] of info.traces) dimOf.set(n, v.dim);
  const lowerer = new ExprLowerer((name) => extra.get(name) ?? (dimOf.has(name) ? { kind: 'ref', ref: name, dim: dimOf.get(name) } : undefined));
  const paramDefaults = new Map<string, IRExpr>();
  const stateDefaults = new Map<string, IRExpr>();
  const weightUnitParams = new Set<string>();
  for (const m of info.decl.members) {
    if (m.kind !== 'VarBlock') continue;
    for (const d of m.decls) {
      if (!d.value) continue;
      const l = lowerer.lower(d.value);
      const target = m.section === 'parameters' ? paramDefaults : stateDefaults;
      target.set(d.name.name, scaled(l.expr, conversion(l.dim, scaleOf(dimOf.get(d.name.name)))));
      if (m.section === 'parameters' && info.params.get(d.name.name)?.dim === undefined) weightUnitParams.add(d.name.name);
    }
  }
  const statements = (body: A.Stmt[]): IRAssign[] =>
    body.map((s): IRAssign => {
      if (s.kind === 'ExprStmt' && s.expr.kind === 'Call' && s.expr.callee.kind === 'Name' && s.expr.callee.name === 'deliver' && s.expr.args[0]?.value) {
        return { target: DELIVER, expr: lowerer.lower(s.expr.args[0].value).expr };
      }
      if (s.kind !== 'Assign' || !s.value) throw new LowerError('only assignments and deliver(…) can appear in a synapse or plasticity handler', s.range);
      const x = s.target.name === 'w' && !dimOf.has('w') ? WEIGHT : s.target.name;
      const l = lowerer.lower(s.value);
      const v = x === WEIGHT ? l.expr : scaled(l.expr, conversion(l.dim, scaleOf(dimOf.get(x))));
      const cur: IRExpr = { ref: x };
      const expr: IRExpr =
        s.op === '=' ? v : { op: s.op === '+=' ? '+' : s.op === '-=' ? '-' : s.op === '*=' ? '*' : '/', args: [cur, v] };
      return { target: x, expr };
    });
  return { dimOf, lowerer, paramDefaults, stateDefaults, weightUnitParams, statements };
}

export function lowerSynapseModel(info: ModelInfo): LoweredEventModel<IRSynapseModel> {
  const c = common(info, new Map([['w', { kind: 'ref', ref: WEIGHT } as Sym]]));
  const state = [...info.state.keys()];
  const others = new Set(state);
  const relax: IRSynapseModel['relax'] = {};
  for (const m of info.decl.members) {
    if (m.kind !== 'Equations') continue;
    for (const it of m.items) {
      if (it.kind !== 'Ode' || !it.rhs) continue;
      const x = it.target.name;
      const l = c.lowerer.lower(it.rhs);
      const rhs = scaled(l.expr, conversion(l.dim, scaleOf(c.dimOf.get(x)) / TIME_SCALE));
      const parts = affineParts(rhs, x, new Set([...others].filter((o) => o !== x)));
      if (!parts) throw new LowerError(`synapse state '${x}' must relax on its own as ${x}' = a ${x} + c between spikes`, it.range);
      relax[x] = parts;
    }
  }
  for (const x of state) relax[x] ??= { a: num(0), c: num(0) };
  const onPre = info.decl.members.flatMap((m) => (m.kind === 'Handler' && m.event.name === 'pre' ? c.statements(m.body) : []));
  if (!onPre.some((a) => a.target === DELIVER)) throw new LowerError(`synapse '${info.name}' never calls deliver(…) on pre`, info.decl.range);
  return {
    ir: { name: info.name, state, params: [...info.params.keys()], relax, onPre },
    paramDefaults: c.paramDefaults,
    stateDefaults: c.stateDefaults,
    weightUnitParams: c.weightUnitParams,
  };
}

export function lowerPlasticityRule(info: ModelInfo): LoweredEventModel<IRPlasticityRule> {
  const c = common(info, new Map([['w', { kind: 'ref', ref: WEIGHT } as Sym]]));
  const preTraces: IRPlasticityRule['preTraces'] = [];
  const postTraces: IRPlasticityRule['postTraces'] = [];
  let bounds: IRPlasticityRule['bounds'];
  const onPre: IRAssign[] = [];
  const onPost: IRAssign[] = [];
  for (const m of info.decl.members) {
    if (m.kind === 'Traces') {
      const list = m.side.name === 'pre' ? preTraces : postTraces;
      for (const t of m.traces) {
        if (!t.tau) continue;
        const l = c.lowerer.lower(t.tau);
        list.push({ name: t.name.name, tau: scaled(l.expr, conversion(l.dim, TIME_SCALE)) });
      }
    } else if (m.kind === 'Handler' && (m.event.name === 'pre' || m.event.name === 'post')) {
      (m.event.name === 'pre' ? onPre : onPost).push(...c.statements(m.body));
    } else if (m.kind === 'Bounds' && m.lower && m.upper) {
      bounds = { lower: c.lowerer.lower(m.lower).expr, upper: c.lowerer.lower(m.upper).expr };
    }
  }
  const ir: IRPlasticityRule = { name: info.name, params: [...info.params.keys()], preTraces, postTraces, onPre, onPost };
  if (bounds) ir.bounds = bounds;
  return { ir, paramDefaults: c.paramDefaults, stateDefaults: c.stateDefaults, weightUnitParams: c.weightUnitParams };
}
