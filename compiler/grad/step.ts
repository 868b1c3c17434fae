/**
 * A neuron model's training step and its adjoint, derived symbolically from the IR's discrete
 * update maps (DESIGN.md principle 4). One step of a neuron, exactly as the simulation does it
 * (spec/language.md §Semantics): deliver (input handlers, with $w the summed arrivals of a
 * port), update, threshold on the new state, reset. Written as a straight-line program in
 * single-assignment form:
 *
 *   x⁰ (state at the start of the step), $in:p (arrivals on port p)
 *   → handlers → update → u (the updated state)  → m (threshold margin; spike s = H(m))
 *   → r = reset(u);   x¹ = s·r + (1 − s)·u
 *
 * The backward program is reverse-mode differentiation of that program, with the surrogate
 * σ'(m) standing in for H'(m) (Neftci, Mostafa & Zenke 2019; Zenke & Ganguli 2018). The reset is
 * detached (the spike's influence through it is dropped, as in SpyTorch) unless
 * `resetGradient`. Code generators (backends/cpu/train-kernels.ts, backends/webgpu) turn both
 * programs into loops; nobody writes a backward pass by hand.
 */
import { refsOf, substitute } from '../ir/eval.js';
import type { IRAssign, IRExpr, IRNeuronModel, IRTrainSurrogate } from '../ir/types.js';
import { add, derivative, div, mul, neg, sub } from './derivative.js';

/** Names the programs read and write besides state, parameters and their own temporaries. */
export const STEP = {
  /** The arrivals on a port (the sum of weights delivered this step). */
  input: (port: string): string => `$in:${port}`,
  /** Backward inputs: dL/d(state after the step), dL/d(spike of this step), and the spike itself (0 or 1). */
  adjState: (x: string): string => `$adj:${x}`,
  adjSpike: '$adjs',
  spike: '$s',
  /** Backward outputs: dL/d(state at the start of the step) and dL/d(arrivals on a port). */
  gradState: (x: string): string => `$dx:${x}`,
  gradInput: (port: string): string => `$din:${port}`,
} as const;

export interface StepProgram {
  model: string;
  state: string[];
  ports: string[];
  /** The forward step in single-assignment form (targets are fresh temporaries, `local: true`). */
  forward: IRAssign[];
  /** The temporary holding each state variable after the update (before reset). */
  updated: Record<string, string>;
  /** The temporary holding the threshold margin m (spike when the model's condition holds, m > 0 at the boundary); absent for models that never spike. */
  margin?: string;
  /** The spike condition as the model writes it, over the temporaries: the forward spike. */
  spikeCondition?: IRExpr;
  /** The temporary holding each state variable's value after a reset, for the variables a reset assigns. */
  reset: Record<string, string>;
  /**
   * The backward step: recomputes `forward` from the stored x⁰ and $in:p, reads $s, $adjs and
   * $adj:x, and assigns $dx:x and $din:p.
   */
  backward: IRAssign[];
  /**
   * σ'(m) over the forward temporaries, when the spike's adjoint $adjs enters the backward step
   * only as $adjs · σ'(m) (reset detached): where it is 0 (outside a compact surrogate's support),
   * the step ignores $adjs, so a backend need not compute it.
   */
  spikeGate?: IRExpr;
}

export class StepError extends Error {}

/** m such that the spike condition is m > 0 (or m >= 0): `a > b` and `a >= b` give a - b, `a < b` b - a. */
export function thresholdMargin(threshold: IRExpr): IRExpr {
  if ('op' in threshold && threshold.args.length === 2) {
    const [a, b] = threshold.args as [IRExpr, IRExpr];
    if (threshold.op === '>' || threshold.op === '>=') return sub(a, b);
    if (threshold.op === '<' || threshold.op === '<=') return sub(b, a);
  }
  throw new StepError('training needs a spike condition that compares two values (`v > v_th`); compound conditions have no margin for the surrogate');
}

/** The surrogate derivative σ'(m) as an expression in `m` (compiler/builtins.ts documents each). */
export function surrogateExpr(s: IRTrainSurrogate, m: IRExpr): IRExpr {
  const p = (k: string, fallback: number): IRExpr => ({ num: s.params[k] ?? fallback });
  const abs: IRExpr = { call: 'abs', args: [m] };
  switch (s.kind) {
    case 'fast_sigmoid': {
      // SuperSpike (Zenke & Ganguli 2018): 1 / (beta |m| + 1)^2
      const d = add(mul(p('beta', 100), abs), { num: 1 });
      return div({ num: 1 }, mul(d, d));
    }
    case 'sigmoid': {
      // beta s (1 - s), s = 1 / (1 + exp(-beta m))
      const sg = div({ num: 1 }, add({ num: 1 }, { call: 'exp', args: [neg(mul(p('beta', 25), m))] }));
      return mul(mul(p('beta', 25), sg), sub({ num: 1 }, sg));
    }
    case 'triangle':
      // max(0, 1 - |m| / width) (Esser et al. 2016; Bellec et al. 2018)
      return { call: 'max', args: [{ num: 0 }, sub({ num: 1 }, div(abs, p('width', 1)))] };
    case 'slayer':
      // alpha exp(-beta |m|) (Shrestha & Orchard 2018)
      return mul(p('alpha', 1), { call: 'exp', args: [neg(mul(p('beta', 5), abs))] });
    case 'arctan': {
      // (alpha / 2) / (1 + (pi/2 alpha m)^2), snnTorch's ATan
      const z = mul({ num: (Math.PI / 2) * (s.params.alpha ?? 2) }, m);
      return div({ num: (s.params.alpha ?? 2) / 2 }, add({ num: 1 }, mul(z, z)));
    }
  }
}

/** Substitutions every training program makes: the step and no injected current. */
function constants(dt: number): Map<string, IRExpr> {
  return new Map<string, IRExpr>([
    ['$dt', { num: dt }],
    ['$I_inj', { num: 0 }],
  ]);
}

export interface StepOptions {
  dt: number;
  surrogate: IRTrainSurrogate;
  /** Let the gradient flow through the reset (x¹ = s·r + (1 − s)·u in s); default false, as SpyTorch. */
  resetGradient?: boolean;
}

export function stepProgram(model: IRNeuronModel, opts: StepOptions): StepProgram {
  if (model.kind !== 'neuron') throw new StepError(`'${model.name}' is a spike source; it has no step to train`);
  const fixed = constants(opts.dt);
  const forward: IRAssign[] = [];
  const cur = new Map<string, IRExpr>();
  for (const x of model.state) cur.set(x, { ref: x });
  let n = 0;
  const emit = (e: IRExpr): IRExpr => {
    const name = `t${n++}`;
    forward.push({ target: name, expr: e, local: true });
    return { ref: name };
  };
  const apply = (list: IRAssign[], scope: Map<string, IRExpr>, extra?: Map<string, IRExpr>): void => {
    for (const a of list) {
      const env = new Map([...fixed, ...scope, ...(extra ?? [])]);
      scope.set(a.target, emit(substitute(a.expr, env)));
    }
  };
  const ports = model.inputs.map((h) => h.port);
  for (const h of model.inputs) apply(h.update, cur, new Map([['$w', { ref: STEP.input(h.port) }]]));
  apply(model.update, cur);
  const updated: Record<string, string> = {};
  for (const x of model.state) updated[x] = name(cur.get(x)!, emit);
  let margin: string | undefined;
  let spikeCondition: IRExpr | undefined;
  const reset: Record<string, string> = {};
  if (model.threshold) {
    const env = new Map([...fixed, ...cur]);
    spikeCondition = substitute(model.threshold, env);
    margin = name(emit(substitute(thresholdMargin(model.threshold), env)), emit);
    const after = new Map(cur);
    apply(model.reset, after);
    for (const a of model.reset) if (model.state.includes(a.target)) reset[a.target] = name(after.get(a.target)!, emit);
  }
  const program: StepProgram = { model: model.name, state: [...model.state], ports, forward, updated, reset, backward: [] };
  if (margin) program.margin = margin;
  if (spikeCondition) program.spikeCondition = spikeCondition;
  program.backward = adjoint(program, opts);
  if (margin && !opts.resetGradient) program.spikeGate = surrogateExpr(opts.surrogate, { ref: margin });
  return program;
}

/** The name of a temporary, emitting one when the value is not already a plain temporary. */
function name(e: IRExpr, emit: (e: IRExpr) => IRExpr): string {
  if ('ref' in e && /^t\d+$/.test(e.ref)) return e.ref;
  return (emit(e) as { ref: string }).ref;
}

/** Reverse-mode differentiation of the forward program: the backward step. */
function adjoint(p: StepProgram, opts: StepOptions): IRAssign[] {
  const terms = new Map<string, IRExpr[]>();
  const push = (target: string, term: IRExpr): void => {
    if ('num' in term && term.num === 0) return;
    const list = terms.get(target) ?? [];
    list.push(term);
    terms.set(target, list);
  };
  const s: IRExpr = { ref: STEP.spike };
  const notS = sub({ num: 1 }, s);
  const adjSpikeTerms: IRExpr[] = [{ ref: STEP.adjSpike }];
  // x¹ = s r + (1 − s) u for the variables the reset assigns, x¹ = u for the others.
  for (const x of p.state) {
    const lam: IRExpr = { ref: STEP.adjState(x) };
    const r = p.reset[x];
    if (r) {
      push(r, mul(s, lam));
      push(p.updated[x]!, mul(notS, lam));
      if (opts.resetGradient) adjSpikeTerms.push(mul(sub({ ref: r }, { ref: p.updated[x]! }), lam));
    } else push(p.updated[x]!, lam);
  }
  const out: IRAssign[] = [...p.forward];
  const sum = (list: IRExpr[]): IRExpr => list.reduce((a, b) => add(a, b), { num: 0 } as IRExpr);
  if (p.margin) {
    // dL/dm = dL/ds · σ'(m)
    out.push({ target: '$sg', expr: surrogateExpr(opts.surrogate, { ref: p.margin }), local: true });
    out.push({ target: 'a:$s', expr: sum(adjSpikeTerms), local: true });
    push(p.margin, mul({ ref: 'a:$s' }, { ref: '$sg' }));
  }
  const inputs = new Set<string>([...p.state, ...p.ports.map(STEP.input)]);
  for (let k = p.forward.length - 1; k >= 0; k--) {
    const a = p.forward[k]!;
    const list = terms.get(a.target);
    if (!list || list.length === 0) continue;
    const adj = `a:${a.target}`;
    out.push({ target: adj, expr: sum(list), local: true });
    for (const r of refsOf(a.expr)) {
      if (!/^t\d+$/.test(r) && !inputs.has(r)) continue; // parameters and constants
      push(r, mul({ ref: adj }, derivative(a.expr, r)));
    }
  }
  for (const x of p.state) out.push({ target: STEP.gradState(x), expr: sum(terms.get(x) ?? []) });
  for (const port of p.ports) out.push({ target: STEP.gradInput(port), expr: sum(terms.get(STEP.input(port)) ?? []) });
  return out;
}
