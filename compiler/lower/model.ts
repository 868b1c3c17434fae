/**
 * A checked neuron model to its IR: parameters and state in internal units, the ODEs discretised
 * (DESIGN.md principle 3), the spike condition, reset, refractoriness and input handlers.
 *
 * Discretisation: when every right-hand side is affine in the state variables (with coefficients
 * that depend only on parameters) the model gets the exact propagator x ← P x + q + Q I_inj, whose
 * coefficients the compiler computes per population (lower/network.ts, via the matrix exponential
 * in discretise/expm.ts); such a model integrates without error for any dt between spikes. Any
 * other model gets classic fourth-order Runge-Kutta on the ODEs as written.
 */
import type * as A from '../../lang/ast.js';
import type { ModelInfo } from '../check/types.js';
import { degree, substitute } from '../ir/eval.js';
import type { IRAssign, IRExpr, IRNeuronModel } from '../ir/types.js';
import type { Dim } from '../units.js';
import { conversion, ExprLowerer, LowerError, scaled, scaleOf, TIME_SCALE, type Sym } from './expr.js';

/**
 * Symbols of the update maps that are not model names. They start with `$`, which no .snn name
 * can, so they never clash with a parameter or state variable (the AdEx cells have a state `w`).
 */
/** The injected current (nA), held constant over a step. */
export const I_INJ = '$I_inj';
/** The time step (ms). */
export const DT = '$dt';
/** The symbol of an arriving weight in input handlers. */
export const WEIGHT = '$w';

export interface LoweredModel {
  ir: IRNeuronModel;
  /** Parameter defaults as expressions of earlier parameters, in declaration order. */
  paramDefaults: Map<string, IRExpr>;
  /** Initial values of the state, as expressions of the parameters. */
  stateDefaults: Map<string, IRExpr>;
  /** The ODE right-hand sides in (internal unit of x) per ms, reading state, parameters and I_inj. */
  rhs: Map<string, IRExpr>;
}

const ref = (name: string): IRExpr => ({ ref: name });
const bin = (op: '+' | '*', a: IRExpr, b: IRExpr): IRExpr => ({ op, args: [a, b] });

/** `P[x,y]`, `Q[x]`; with the variant `r`, the coefficients used while refractory: `Pr[x,y]`, `Qr[x]`. */
export function propagatorName(kind: string, x: string, y?: string): string {
  return y === undefined ? `${kind}[${x}]` : `${kind}[${x},${y}]`;
}

/** The name of the constant term's column: q[x] (qr[x] while refractory). */
export const constantName = (x: string, variant: '' | 'r' = ''): string => `q${variant}[${x}]`;

export function lowerModel(info: ModelInfo): LoweredModel {
  if (info.isSpikeSource) return spikeSource(info);
  const decl = info.decl;
  const dimOf = new Map<string, Dim | undefined>();
  for (const [n, v] of info.params) dimOf.set(n, v.dim);
  for (const [n, v] of info.state) dimOf.set(n, v.dim);
  const aliases = new Map<string, A.Expr>();
  const odes: A.Ode[] = [];
  for (const m of decl.members) {
    if (m.kind !== 'Equations') continue;
    for (const it of m.items) {
      if (it.kind === 'Alias' && it.value) aliases.set(it.name.name, it.value);
      if (it.kind === 'Ode') odes.push(it);
    }
  }
  const currentParam = info.params.has('i_offset') ? 'i_offset' : undefined;
  const table = (extra: Map<string, Sym> = new Map()) => (name: string): Sym | undefined => {
    const x = extra.get(name);
    if (x) return x;
    if (aliases.has(name)) return { kind: 'alias', expr: aliases.get(name)! };
    if (dimOf.has(name)) return { kind: 'ref', ref: name, dim: dimOf.get(name) };
    return undefined;
  };
  const lowerer = new ExprLowerer(table());

  const paramDefaults = new Map<string, IRExpr>();
  const stateDefaults = new Map<string, IRExpr>();
  for (const m of decl.members) {
    if (m.kind !== 'VarBlock') continue;
    for (const d of m.decls) {
      if (!d.value) continue;
      const target = m.section === 'parameters' ? paramDefaults : stateDefaults;
      const l = lowerer.lower(d.value);
      target.set(d.name.name, scaled(l.expr, conversion(l.dim, scaleOf(dimOf.get(d.name.name)))));
    }
  }

  // ODEs, in (unit of x) per ms. Injected current enters as i_offset + I_inj.
  const rhs = new Map<string, IRExpr>();
  const inj = currentParam ? new Map([[currentParam, bin('+', ref(currentParam), ref(I_INJ))]]) : new Map<string, IRExpr>();
  for (const o of odes) {
    if (o.order !== 1) throw new LowerError(`only first-order ODEs can be integrated; write ${o.target.name}'' as two first-order equations`, o.range);
    if (!o.rhs) throw new LowerError('incomplete equation', o.range);
    const l = lowerer.lower(o.rhs);
    const x = o.target.name;
    const perMs = scaleOf(dimOf.get(x)) / TIME_SCALE;
    rhs.set(x, substitute(scaled(l.expr, conversion(l.dim, perMs)), inj));
  }
  const state = [...info.state.keys()];
  const integrated = state.filter((x) => rhs.has(x));
  const stateSet = new Set(integrated);
  const nonlinear = integrated.filter((x) => degree(rhs.get(x)!, stateSet) > 1);
  let update: IRAssign[];
  let integrator: IRNeuronModel['integrator'];
  if (integrated.length === 0) {
    update = [];
    integrator = { method: 'none', reason: 'no differential equations' };
  } else if (nonlinear.length === 0) {
    update = exactUpdate(integrated, currentParam !== undefined);
    integrator = { method: 'exact', reason: `linear in ${integrated.join(', ')}: exact propagator e^(A dt)` };
  } else {
    update = rk4Update(integrated, rhs);
    integrator = { method: 'rk4', reason: `nonlinear in ${nonlinear.join(', ')}: fourth-order Runge-Kutta` };
  }

  // Spike condition, reset, refractoriness.
  let threshold: IRExpr | undefined;
  const reset: IRAssign[] = [];
  let refractory: IRNeuronModel['refractory'];
  const inputs: IRNeuronModel['inputs'] = [];
  for (const m of decl.members) {
    if (m.kind === 'Spike' && m.condition) {
      threshold = lowerer.lower(m.condition).expr;
      for (const s of m.reset ?? []) reset.push(...statement(s, lowerer, dimOf));
    } else if (m.kind === 'Refractory' && m.period) {
      const l = lowerer.lower(m.period);
      refractory = { period: scaled(l.expr, conversion(l.dim, TIME_SCALE)), clamp: [] };
    } else if (m.kind === 'Handler' && m.event.name === 'input') {
      const wName = m.params[0]?.name;
      const weightDim = info.ports.get(m.port?.name ?? '');
      const hl = new ExprLowerer(table(wName ? new Map([[wName, { kind: 'ref', ref: WEIGHT, dim: weightDim } as Sym]]) : new Map()));
      const update = m.body.flatMap((s) => statement(s, hl, dimOf));
      // Weights arriving in one step are summed before the handler runs (spec/language.md §9),
      // which is the same only for handlers linear in the weight.
      if (update.some((a) => degree(a.expr, new Set([WEIGHT])) > 1)) {
        throw new LowerError(`the input handler must be linear in its weight (${wName ?? 'w'} += k * ${wName ?? 'w'}): weights arriving in the same step are summed first`, m.range);
      }
      inputs.push({ port: m.port?.name ?? '', update });
    }
  }
  // Clamped while refractory: what the reset sets (`v = v_reset`); what it increments (`w += b`)
  // keeps integrating, as in NEST's aeif models and Brian2's `(unless refractory)` on v.
  if (refractory) {
    const set = new Set<string>();
    for (const m of decl.members) if (m.kind === 'Spike') for (const st of m.reset ?? []) if (st.kind === 'Assign' && st.op === '=') set.add(st.target.name);
    refractory.clamp = [...set];
  }
  // While refractory the clamped variables have derivative zero; the others integrate with them
  // held. Linear models get their own propagator for that (coefficients `Pr[…]`, `qr[…]`, `Qr[…]`).
  let refractoryUpdate: IRAssign[] | undefined;
  if (refractory && refractory.clamp.some((x) => rhs.has(x))) {
    const held = new Set(refractory.clamp);
    if (integrator.method === 'exact') refractoryUpdate = exactUpdate(integrated, currentParam !== undefined, 'r').filter((a) => !held.has(a.target) && !held.has(a.target.replace(/^next:/, '')));
    else if (integrator.method === 'rk4') {
      const frozen = new Map([...rhs].map(([x, e]) => [x, held.has(x) ? ({ num: 0 } as IRExpr) : e]));
      refractoryUpdate = rk4Update(integrated, frozen).filter((a) => !(held.has(a.target) || (a.target.startsWith('next:') && held.has(a.target.slice(5)))));
    }
  }
  const ir: IRNeuronModel = {
    name: info.name,
    kind: 'neuron',
    state,
    params: [...info.params.keys()],
    integrator,
    update,
    reset,
    inputs,
  };
  if (threshold) ir.threshold = threshold;
  if (refractory) ir.refractory = refractory;
  if (refractoryUpdate) ir.refractoryUpdate = refractoryUpdate;
  if (currentParam) ir.currentParam = currentParam;
  if (rhs.size > 0) ir.odes = Object.fromEntries(rhs);
  return { ir, paramDefaults, stateDefaults, rhs };
}

/** `x = e`, `x += e`, …: the new value of x, in x's internal unit. */
function statement(s: A.Stmt, lowerer: ExprLowerer, dimOf: Map<string, Dim | undefined>): IRAssign[] {
  if (s.kind !== 'Assign' || !s.value) throw new LowerError('only assignments can appear in a reset or handler block', s.range);
  const x = s.target.name;
  const l = lowerer.lower(s.value);
  const v = scaled(l.expr, conversion(l.dim, scaleOf(dimOf.get(x))));
  const cur = ref(x);
  const expr: IRExpr =
    s.op === '=' ? v
    : s.op === '+=' ? bin('+', cur, v)
    : s.op === '-=' ? { op: '-', args: [cur, v] }
    : s.op === '*=' ? bin('*', cur, v)
    : { op: '/', args: [cur, v] };
  return [{ target: x, expr }];
}

/** x_i ← Σ_j P[x_i,x_j] x_j + q[x_i] (+ Q[x_i] I_inj), all from the values at the start of the step. */
function exactUpdate(xs: string[], withCurrent: boolean, variant: '' | 'r' = ''): IRAssign[] {
  const out: IRAssign[] = [];
  for (const x of xs) {
    let e: IRExpr = { ref: constantName(x, variant) };
    for (const y of xs) e = bin('+', e, bin('*', ref(propagatorName(`P${variant}`, x, y)), ref(y)));
    if (withCurrent) e = bin('+', e, bin('*', ref(propagatorName(`Q${variant}`, x)), ref(I_INJ)));
    out.push({ target: `next:${x}`, expr: e, local: true });
  }
  for (const x of xs) out.push({ target: x, expr: ref(`next:${x}`) });
  return out;
}

/** Classic RK4 with stage locals k1..k4; `dt` is the symbol of the step in ms. */
function rk4Update(xs: string[], rhs: Map<string, IRExpr>): IRAssign[] {
  const out: IRAssign[] = [];
  const stage = (k: number, at: Map<string, IRExpr>): void => {
    for (const x of xs) out.push({ target: `k${k}:${x}`, expr: substitute(rhs.get(x)!, at), local: true });
  };
  const shifted = (k: number, h: IRExpr): Map<string, IRExpr> =>
    new Map(xs.map((x) => [x, bin('+', ref(x), bin('*', h, ref(`k${k}:${x}`)))]));
  const half: IRExpr = { op: '/', args: [ref(DT), { num: 2 }] };
  stage(1, new Map());
  stage(2, shifted(1, half));
  stage(3, shifted(2, half));
  stage(4, shifted(3, ref(DT)));
  for (const x of xs) {
    const sum = bin('+', bin('+', ref(`k1:${x}`), bin('*', { num: 2 }, ref(`k2:${x}`))), bin('+', bin('*', { num: 2 }, ref(`k3:${x}`)), ref(`k4:${x}`)));
    out.push({ target: `next:${x}`, expr: bin('+', ref(x), bin('*', { op: '/', args: [ref(DT), { num: 6 }] }, sum)), local: true });
  }
  for (const x of xs) out.push({ target: x, expr: ref(`next:${x}`) });
  return out;
}

function spikeSource(info: ModelInfo): LoweredModel {
  const kind = info.name === 'SpikeSourceArray' ? 'array' : info.name === 'SpikeSourcePoisson' ? 'poisson' : undefined;
  if (!kind) throw new LowerError(`spike source '${info.name}' is not supported`, info.decl.range);
  const paramDefaults = new Map<string, IRExpr>();
  const lowerer = new ExprLowerer((name) => (info.params.has(name) ? { kind: 'ref', ref: name, dim: info.params.get(name)!.dim } : undefined));
  for (const m of info.decl.members) {
    if (m.kind !== 'VarBlock' || m.section !== 'parameters') continue;
    for (const d of m.decls) {
      if (!d.value || d.value.kind === 'List') continue;
      const l = lowerer.lower(d.value);
      paramDefaults.set(d.name.name, scaled(l.expr, conversion(l.dim, scaleOf(info.params.get(d.name.name)?.dim))));
    }
  }
  const ir: IRNeuronModel = {
    name: info.name,
    kind,
    state: [],
    params: [...info.params.keys()].filter((p) => p !== 'spike_times'),
    integrator: { method: 'none', reason: 'a spike source has no equations' },
    update: [],
    reset: [],
    inputs: [],
  };
  return { ir, paramDefaults, stateDefaults: new Map(), rhs: new Map() };
}

