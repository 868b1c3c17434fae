/**
 * Forward-mode differentiation of a neuron's training step: the Jacobians that eligibility traces
 * (real-time recurrent learning restricted to a neuron's own state, seed 000 §RTRL; Bellec et
 * al. 2020 e-prop; Zenke & Ganguli 2018 SuperSpike) are made of. For a weight w onto neuron i
 * through port p, with the presynaptic spikes held fixed (explicit recurrence ignored), the trace
 * e = ∂x⁰/∂w of the state at the start of a step evolves as
 *
 *   ∂m/∂w = Σ_y ∂m/∂x_y · e_y + ∂m/∂in_p · s_pre          (the margin this step)
 *   e¹_x  = Σ_y J[x][y] · e_y + Jin[x][p] · s_pre          (the state after the step)
 *
 * where s_pre is the presynaptic spike that arrives this step, and J, Jin are the Jacobians of
 * the step x¹ = s·r + (1 − s)·u (spec/training.md §What one step is) with respect to x⁰ and the
 * arrivals. As in the backward program, the reset is detached (x¹ = r where s = 1 contributes
 * ∂r/∂x⁰, and the spike's own dependence on w is dropped) unless `resetGradient`, where the term
 * σ'(m) · ∂m · (r − u) is added. Feed-forward, these traces are exact RTRL; the same program then
 * gives the same gradient as BPTT (tested).
 *
 * The program recomputes the forward temporaries from x⁰ and $in:p, reads the spike $s, and
 * assigns, per neuron and step, the entries named by TANGENT below.
 */
import { refsOf } from '../ir/eval.js';
import type { IRAssign, IRExpr } from '../ir/types.js';
import { add, derivative, mul, sub } from './derivative.js';
import { STEP, surrogateExpr, type StepOptions, type StepProgram } from './step.js';

/** Names of the tangent program's outputs. */
export const TANGENT = {
  /** ∂x¹_x / ∂x⁰_y. */
  state: (x: string, y: string): string => `$J:${x}:${y}`,
  /** ∂x¹_x / ∂$in:p. */
  input: (x: string, port: string): string => `$Jin:${x}:${port}`,
  /** ∂m / ∂x⁰_y and ∂m / ∂$in:p (the threshold margin). */
  marginState: (y: string): string => `$dm:${y}`,
  marginInput: (port: string): string => `$dmin:${port}`,
  /** σ'(m): the surrogate derivative of this step's spike. */
  surrogate: '$sg',
} as const;

export interface TangentProgram {
  state: string[];
  ports: string[];
  /** Forward temporaries, derivative temporaries, then the outputs (TANGENT names, `local: false`). */
  assignments: IRAssign[];
  /** The outputs, in the order a backend lays them out: σ' (spiking models), J row-major, Jin, dm, dmin. */
  outputs: string[];
  /** Whether the model spikes (dm, dmin and σ' exist). */
  spiking: boolean;
}

const ZERO: IRExpr = { num: 0 };
const isZero = (e: IRExpr): boolean => 'num' in e && e.num === 0;

/** The Jacobians of one step of `prog`, for eligibility traces. */
export function tangentProgram(prog: StepProgram, opts: StepOptions): TangentProgram {
  const independents = [...prog.state, ...prog.ports.map(STEP.input)];
  const temporaries = new Set(prog.forward.map((a) => a.target));
  /** ∂(name)/∂(independent) as an expression over temporaries (a ref to a derivative temporary, a number or 0). */
  const partial = new Map<string, Map<string, IRExpr>>();
  for (const v of independents) partial.set(v, new Map([[v, { num: 1 }]]));
  const assignments: IRAssign[] = [...prog.forward];
  const d = (name: string, v: string): IRExpr => partial.get(name)?.get(v) ?? ZERO;
  for (const a of prog.forward) {
    const row = new Map<string, IRExpr>();
    const refs = [...refsOf(a.expr)].filter((r) => temporaries.has(r) || partial.has(r));
    for (const v of independents) {
      let sum: IRExpr = ZERO;
      for (const r of refs) {
        const dr = d(r, v);
        if (isZero(dr)) continue;
        sum = add(sum, mul(derivative(a.expr, r), dr));
      }
      if (isZero(sum)) continue;
      // name non-trivial derivatives, so that later ones refer to them instead of repeating them
      if ('num' in sum || ('ref' in sum && !sum.ref.startsWith('$'))) row.set(v, sum);
      else {
        const target = `d:${a.target}:${v}`;
        assignments.push({ target, expr: sum, local: true });
        row.set(v, { ref: target });
      }
    }
    partial.set(a.target, row);
  }
  const outputs: string[] = [];
  const emit = (target: string, expr: IRExpr): void => {
    assignments.push({ target, expr });
    outputs.push(target);
  };
  const s: IRExpr = { ref: STEP.spike };
  const notS = sub({ num: 1 }, s);
  const sg: IRExpr = prog.margin ? surrogateExpr(opts.surrogate, { ref: prog.margin }) : ZERO;
  /** ∂x¹_x/∂v: s·∂r/∂v + (1 − s)·∂u/∂v, plus σ'(m)·∂m/∂v·(r − u) when the reset carries the gradient. */
  const stepPartial = (x: string, v: string): IRExpr => {
    const u = prog.updated[x]!;
    const r = prog.reset[x];
    if (!r) return d(u, v);
    let e = add(mul(s, d(r, v)), mul(notS, d(u, v)));
    if (opts.resetGradient && prog.margin) e = add(e, mul(mul({ ref: TANGENT.surrogate }, d(prog.margin, v)), sub({ ref: r }, { ref: u })));
    return e;
  };
  if (prog.margin) emit(TANGENT.surrogate, sg);
  for (const x of prog.state) for (const y of prog.state) emit(TANGENT.state(x, y), stepPartial(x, y));
  for (const x of prog.state) for (const p of prog.ports) emit(TANGENT.input(x, p), stepPartial(x, STEP.input(p)));
  if (prog.margin) {
    for (const y of prog.state) emit(TANGENT.marginState(y), d(prog.margin, y));
    for (const p of prog.ports) emit(TANGENT.marginInput(p), d(prog.margin, STEP.input(p)));
  }
  return { state: [...prog.state], ports: [...prog.ports], assignments, outputs, spiking: prog.margin !== undefined };
}
