/**
 * Recognising a neuron model as a leaky integrate-and-fire neuron with exponentially decaying
 * synaptic variables, the form that NIR's LIF / CubaLIF / LI / CubaLI / IF / I primitives and
 * PyNN's IF_curr_exp share:
 *
 *   dv/dt = a (v - v_leak) + sum_s g_s s          (a = -1/tau_mem, or 0: no leak)
 *   ds/dt = -s / tau_s                            for each synaptic variable s
 *   on input p (w):  x_p += c_p w                 (x_p is v or one s)
 *   spike when v > v_th  reset { v = v_reset }    (absent: a non-spiking integrator)
 *
 * The analysis is numeric, per neuron, on the continuous right-hand sides the IR carries
 * (`odes`): the Jacobian and the constant term are read off by evaluating at unit vectors, which
 * is exact for affine right-hand sides. A model that is affine except for products of v with
 * synaptic variables (conductance synapses) is linearised at its resting potential, and the
 * result says so (`linearised`): a conductance g becomes a current g (E - v_rest).
 * Anything else (adaptation variables, quadratic or exponential terms, subtractive reset) is
 * not of this form, and `recogniseLif` says why.
 */
import { degree, evaluate, refsOf } from '../ir/eval.js';
import type { IRAssign, IRExpr, IRNeuronModel, IRPopulation } from '../ir/types.js';

export interface LifSynapse {
  /** The state variable. */
  name: string;
  /** Its decay time constant (ms), per neuron. */
  tau: number[];
  /** dv/dt per unit of it (1/ms, times the unit ratio), per neuron. */
  gain: number[];
}

export interface LifPort {
  /** The receptor port ('' for the unnamed one). */
  port: string;
  /** The variable the input adds to: the membrane or a synaptic variable. */
  target: string;
  /** The input adds c * w; c per neuron (it may read parameters). */
  c: number[];
}

export interface LifForm {
  /** The membrane variable. */
  v: string;
  /** -1/tau_mem per neuron; 0 where the membrane does not leak. */
  leak: number[];
  /** tau_mem (ms) per neuron; Infinity without leak. */
  tauMem: number[];
  /** The potential v relaxes to without input, constant currents folded in (leaky neurons). */
  vLeak: number[];
  /** The constant dv/dt of a non-leaky membrane (an integrator with a bias current). */
  drift: number[];
  synapses: LifSynapse[];
  ports: LifPort[];
  /** Absent for a model that never spikes. */
  spike?: { threshold: number[]; inclusive: boolean; reset: number[] };
  /** Refractory period (ms) per neuron; 0 when the model has none. */
  refractory: number[];
  /** True when conductance synapses were linearised at the resting potential. */
  linearised: boolean;
  /** The initial value of v per neuron. */
  v0: number[];
}

export type LifResult = { ok: true; form: LifForm } | { ok: false; reason: string };

const TOL = 1e-9;

/**
 * Values read off numerically carry rounding noise (1/(1/20) = 20.00000000000007); 12 significant
 * digits keep every value a model writes and drop the noise.
 */
function clean(x: number): number {
  return Number.isFinite(x) && x !== 0 ? Number(x.toPrecision(12)) : x;
}

function valueAt(x: number | number[] | undefined, i: number): number {
  if (x === undefined) return NaN;
  return typeof x === 'number' ? x : x[i]!;
}

/** The one state variable an expression reads, when it reads exactly one. */
function soleState(e: IRExpr, state: ReadonlySet<string>): string | undefined {
  const refs = [...refsOf(e)].filter((r) => state.has(r));
  return refs.length === 1 ? refs[0] : undefined;
}

export function recogniseLif(model: IRNeuronModel, pop: IRPopulation): LifResult {
  if (model.kind !== 'neuron') return { ok: false, reason: 'it is a spike source' };
  const odes = model.odes ?? {};
  const state = new Set(model.state);
  const n = pop.size;
  const env = (i: number, values: ReadonlyMap<string, number>) => (name: string): number => {
    if (values.has(name)) return values.get(name)!;
    if (state.has(name)) return 0;
    if (name.startsWith('$')) return 0;
    return valueAt(pop.params[name], i);
  };

  // The membrane: the variable the spike condition tests, else the one the others feed.
  let v: string | undefined;
  if (model.threshold) {
    v = soleState(model.threshold, state);
    if (!v) return { ok: false, reason: 'its spike condition does not test one state variable' };
  } else {
    v = model.state.find((x) => odes[x] && [...refsOf(odes[x]!)].some((r) => r !== x && state.has(r))) ?? model.state[0];
  }
  if (!v || !odes[v]) return { ok: false, reason: `its membrane variable '${v ?? '?'}' has no differential equation` };
  const syn = model.state.filter((x) => x !== v);
  for (const s of syn) {
    if (!odes[s]) return { ok: false, reason: `state variable '${s}' has no differential equation` };
    if (degree(odes[s]!, state) > 1) return { ok: false, reason: `'${s}' evolves nonlinearly` };
    const others = [...refsOf(odes[s]!)].filter((r) => state.has(r) && r !== s);
    if (others.length > 0) return { ok: false, reason: `'${s}' depends on ${others.map((o) => `'${o}'`).join(', ')} (an adaptation or coupled variable, not a decaying synaptic variable)` };
  }
  const rhsV = odes[v]!;
  let linearised = false;
  if (degree(rhsV, state) > 1) {
    if (degree(rhsV, new Set([v])) > 1) return { ok: false, reason: `dv/dt is nonlinear in '${v}'` };
    if (degree(rhsV, new Set(syn)) > 1) return { ok: false, reason: 'dv/dt is nonlinear in the synaptic variables' };
    linearised = true;
  }

  const leak: number[] = [], tauMem: number[] = [], vLeak: number[] = [], drift: number[] = [], v0: number[] = [];
  const synapses: LifSynapse[] = syn.map((name) => ({ name, tau: [], gain: [] }));
  for (let i = 0; i < n; i++) {
    const f = (x: IRExpr, values: Map<string, number>): number => evaluate(x, env(i, values));
    // dv/dt with all synaptic variables 0 is affine in v: a v + b.
    const b = f(rhsV, new Map([[v, 0]]));
    const a = f(rhsV, new Map([[v, 1]])) - b;
    // The point of linearisation: the resting potential (or 0 without leak).
    const rest = a !== 0 ? -b / a : 0;
    leak.push(a);
    tauMem.push(a < 0 ? clean(-1 / a) : Infinity);
    if (a > 0) return { ok: false, reason: `the membrane is unstable (dv/dt grows with v) in neuron ${i}` };
    vLeak.push(clean(rest));
    drift.push(a === 0 ? clean(b) : 0);
    const base = f(rhsV, new Map([[v, rest]]));
    for (const s of synapses) {
      s.gain.push(clean(f(rhsV, new Map([[v, rest], [s.name, 1]])) - base));
      const ds0 = f(odes[s.name]!, new Map());
      const ds1 = f(odes[s.name]!, new Map([[s.name, 1]])) - ds0;
      if (Math.abs(ds0) > TOL) return { ok: false, reason: `'${s.name}' does not decay to 0 (ds/dt has a constant term)` };
      if (!(ds1 < 0)) return { ok: false, reason: `'${s.name}' does not decay (ds/dt = ${ds1} * s)` };
      s.tau.push(clean(-1 / ds1));
    }
    v0.push(valueAt(pop.initial[v], i));
  }

  // Input handlers: one assignment x = x + c w each.
  const ports: LifPort[] = [];
  for (const h of model.inputs) {
    let target: string | undefined;
    const c: number[] = [];
    for (let i = 0; i < n; i++) {
      const r = inputTarget(h.update, state, env(i, new Map()));
      if (!r || (target !== undefined && r.target !== target)) {
        return { ok: false, reason: `its input handler${h.port ? ` '${h.port}'` : ''} is not a single 'x += c * w'` };
      }
      target = r.target;
      c.push(clean(r.c));
    }
    ports.push({ port: h.port, target: target ?? v, c });
  }

  let spike: LifForm['spike'];
  if (model.threshold) {
    const t = model.threshold;
    if (!('op' in t) || (t.op !== '>' && t.op !== '>=') || !('ref' in t.args[0]) || t.args[0].ref !== v) {
      return { ok: false, reason: `its spike condition is not '${v} > threshold'` };
    }
    const thrExpr = t.args[1]!;
    if ([...refsOf(thrExpr)].some((r) => state.has(r))) return { ok: false, reason: 'its threshold depends on the state (an adaptive threshold)' };
    const threshold: number[] = [], reset: number[] = [];
    const resetOfV = model.reset.filter((r) => r.target === v);
    const otherResets = model.reset.filter((r) => r.target !== v);
    if (otherResets.length > 0) return { ok: false, reason: `its reset changes ${otherResets.map((r) => `'${r.target}'`).join(', ')}, not only '${v}'` };
    if (resetOfV.length !== 1 || [...refsOf(resetOfV[0]!.expr)].some((r) => state.has(r))) {
      return { ok: false, reason: `its reset does not set '${v}' to a fixed value (a subtractive or missing reset)` };
    }
    for (let i = 0; i < n; i++) {
      threshold.push(evaluate(thrExpr, env(i, new Map())));
      reset.push(evaluate(resetOfV[0]!.expr, env(i, new Map())));
    }
    spike = { threshold, inclusive: t.op === '>=', reset };
  }
  const refractory = Array.from({ length: n }, (_, i) => (model.refractory ? evaluate(model.refractory.period, env(i, new Map())) : 0));
  const form: LifForm = { v, leak, tauMem, vLeak, drift, synapses, ports, refractory, linearised, v0 };
  if (spike) form.spike = spike;
  return { ok: true, form };
}

/** `x = x + c * $w` (in any arrangement that evaluates so), as { target: x, c }. */
function inputTarget(update: readonly IRAssign[], state: ReadonlySet<string>, params: (name: string) => number): { target: string; c: number } | undefined {
  if (update.length !== 1) return undefined;
  const { target, expr } = update[0]!;
  if (!state.has(target)) return undefined;
  const refs = [...refsOf(expr)];
  if (refs.some((r) => r !== target && r !== '$w' && (state.has(r) || r.startsWith('$')))) return undefined;
  const at = (x: number, w: number): number => evaluate(expr, (r) => (r === '$w' ? w : r === target ? x : params(r)));
  const c = at(0, 1) - at(0, 0);
  // Affine with slope 1 in x and c in w, no constant: check at a few points.
  for (const [x, w] of [[0, 0], [2, 0], [0, 3], [-1.5, 2.5]] as const) {
    if (Math.abs(at(x, w) - (x + c * w)) > TOL * (1 + Math.abs(x) + Math.abs(w))) return undefined;
  }
  return { target, c };
}

/** Every value of `xs` equal (to a relative tolerance): one value stands for the population. */
export function uniform(xs: readonly number[], rel = 1e-12): boolean {
  return xs.every((x) => x === xs[0] || Math.abs(x - xs[0]!) <= rel * Math.max(Math.abs(x), Math.abs(xs[0]!)));
}
