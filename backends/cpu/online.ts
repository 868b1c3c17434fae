/**
 * Online training on the CPU (float64): gradients from eligibility traces carried forward in
 * time, with memory that does not grow with the number of steps (spec/training.md §Online).
 *
 * For every trainable weight w onto neuron i (port p) and every sample, the trace e = ∂x/∂w of
 * the neuron's state is carried forward with the step's Jacobians, which the compiler derives
 * from the update map (compiler/grad/tangent.ts); the presynaptic spikes are held fixed, which
 * ignores explicit recurrence (seed 000 §RTRL: the rule becomes local). The gradient is summed
 * online, step by step:
 *
 * - into the readout population, from the loss's error at this step: dL/dy(k) · e_y(k);
 *   feed-forward this is exact RTRL (tested against BPTT to 1e-9);
 * - into a spiking population, from a learning signal L_i(k) = Σ_o B[i][o] · err_o(k), the
 *   readout's errors broadcast through feedback weights B (the readout weights themselves,
 *   `feedback: symmetric`, or fixed random ones, `feedback: random`: feedback alignment), times
 *   the spike's eligibility σ'(m_i) · ∂m_i/∂w filtered by the readout neurons' own dynamics
 *   (e-prop's filtered trace, Bellec et al. 2020, eq. 28), so that a spike is credited with
 *   the readout it causes later.
 *
 * The loss is taken at every step, as an online learner must: the mean over steps of the
 * cross-entropy of the readout variable at that step (or of the squared error to the target
 * trace); the readout's max, mean or last value still decides the accuracy.
 */
import { STEP } from '../../compiler/grad/step.js';
import { TANGENT, tangentProgram, type TangentProgram } from '../../compiler/grad/tangent.js';
import type { IRExpr } from '../../compiler/ir/types.js';
import { CounterRng, streamId } from '../../compiler/random/philox.js';
import type { SpikeSample } from '../../stdlib/data/dataset.js';
import { initialState } from '../training/batch.js';
import type { BatchForward, TrainEngine } from '../training/engine.js';
import { lossReadsOverTime } from '../training/loss.js';
import { TrainPlanError, type PlanPopulation, type PlanProjection, type TrainPlan } from '../training/plan.js';
import { HELPERS, identifier, js, specialize } from './codegen.js';
import { compileTraceKernel, type TraceKernel } from './online-kernels.js';
import { compileKernels } from './train.js';

const NO_GATE = new Uint8Array(0);

type TangentKernel = (X: Float64Array[], IN: Float64Array[], S: Float64Array, OUT: Float64Array[], PA: Float64Array[], BN: number, N: number) => void;

/** Compiles a tangent program into a loop writing each output per neuron, [B][N]. */
function compileTangent(pop: PlanPopulation, tan: TangentProgram, arrays: Float64Array[]): TangentKernel {
  const scalars = new Map<string, number>();
  const arrayIndex = new Map<string, number>();
  for (const [k, v] of Object.entries(pop.params)) {
    if (typeof v === 'number') scalars.set(k, v);
    else arrayIndex.set(k, arrays.indexOf(v));
  }
  const stateIndex = new Map(tan.state.map((x, i) => [x, i]));
  const portIndex = new Map(tan.ports.map((p, i) => [STEP.input(p), i]));
  const outIndex = new Map(tan.outputs.map((o, i) => [o, i]));
  const resolve = (name: string): string => {
    const a = arrayIndex.get(name);
    if (a !== undefined) return `PA[${a}][j]`;
    if (stateIndex.has(name)) return identifier('x', name);
    if (portIndex.has(name)) return identifier('in', name);
    return identifier('l', name);
  };
  const expr = (e: IRExpr): string => js(specialize(e, scalars), resolve);
  const body = [
    ...tan.state.map((x, i) => `const ${identifier('x', x)} = X[${i}][n];`),
    ...tan.ports.map((p, i) => `const ${identifier('in', STEP.input(p))} = IN[${i}][n];`),
    `const ${identifier('l', STEP.spike)} = S[n];`,
    ...tan.assignments.map((a) => {
      const o = outIndex.get(a.target);
      return o === undefined ? `const ${resolve(a.target)} = ${expr(a.expr)};` : `OUT[${o}][n] = ${expr(a.expr)};`;
    }),
  ];
  const code = ['"use strict";', 'for (let n = 0, j = 0; n < BN; n++, j = (j + 1 === N ? 0 : j + 1)) {', ...body.map((l) => `  ${l}`), '}'].join('\n');
  const f = new Function('H', 'X', 'IN', 'S', 'OUT', 'PA', 'BN', 'N', code) as (H: typeof HELPERS, ...rest: Parameters<TangentKernel>) => void;
  return (...a) => f(HELPERS, ...a);
}

interface OnlinePop {
  plan: PlanPopulation;
  forward?: ReturnType<typeof compileKernels>;
  tangent?: TangentKernel;
  tan?: TangentProgram;
  /** State at the start and the end of the step, per variable: [2][B][N]. */
  X: Float64Array[];
  /** Arrivals of this step per port, [B][N]. */
  IN: Float64Array[];
  /** Spikes of the last `ring` steps: slot k mod ring, [B][N]. */
  S: Float64Array[];
  ring: number;
  CNT: Float64Array;
  /** The tangent program's outputs of this step, [B][N] each. */
  OUT: Float64Array[];
  /** Learning signal of the previous step (spiking populations), [B][N]. */
  signal: Float64Array;
  incoming: PlanProjection[];
}

/** Per trainable projection: its traces and what the gradient reads. */
interface Traces {
  pr: PlanProjection;
  /** e = ∂x_post/∂w per sample, row, column and state variable: [B][rows][cols][nx]. */
  e: Float64Array;
  /** The spike's eligibility filtered by the readout's dynamics, [B][rows][cols][nr] (spiking targets). */
  f?: Float64Array;
  kernel: TraceKernel;
}

const EMPTY = new Float64Array(0);

export interface OnlineOptions {
  /** Learning signal of spiking populations: the readout weights or fixed random ones. */
  feedback?: 'symmetric' | 'random';
}

/**
 * Fixed random feedback weights from the readout to a spiking population (feedback alignment,
 * Lillicrap et al. 2016): normal(0, 1/sqrt(N)), [N][outputs], keyed by the network's seed and
 * the population's name, so every engine draws the same.
 */
export function randomFeedback(plan: TrainPlan, post: PlanPopulation): Float64Array {
  const rng = new CounterRng(plan.ir.seed);
  const N = post.size;
  const B = new Float64Array(N * plan.readout.population.size);
  for (let q = 0; q < B.length; q++) B[q] = rng.normal(streamId(`feedback:${post.name}`), q, 0) / Math.sqrt(N);
  return B;
}

export class CpuOnlineEngine implements TrainEngine {
  readonly backend = 'cpu';
  readonly device = 'CPU, float64, online (eligibility traces)';
  private W: Float64Array[];
  private grads: Float64Array[];
  private pops: OnlinePop[];
  private traces: Traces[] = [];
  private batch = 0;
  storedBytes = 0;
  private readonly roVar: number;
  private readonly feedback: 'symmetric' | 'random';
  /** Per spiking population with a learning signal: B [N][outputs] (random), or the projection whose weights are B. */
  private readonly feedbackOf = new Map<number, Float64Array | PlanProjection>();
  /** The readout model's Jacobians (neuron 0 at rest): J [nr][nr] and Jin [nr] per port. */
  private readoutJ = new Float64Array(0);
  private readoutJin: Float64Array[] = [];
  /** The trace kernel of each trainable projection. */
  private readonly kernels = new Map<number, TraceKernel>();
  private zeroRow = new Float64Array(0);

  constructor(readonly plan: TrainPlan, opts: OnlineOptions = {}) {
    this.feedback = opts.feedback ?? 'symmetric';
    const ro = plan.readout;
    if (ro.kind === 'spike_count' || plan.train.loss.kind === 'van_rossum' || (plan.train.loss.kind === 'mse' && !plan.train.loss.targets)) {
      throw new TrainPlanError('online training takes its error from the readout variable at every step: use a readout of a variable (max_over_time, mean_over_time, last) with cross_entropy or mse(targets)', 'train:readout', 'readout: max_over_time(output.v); loss: cross_entropy');
    }
    if (plan.train.regularizers.length > 0) throw new TrainPlanError('online training does not take regularizers yet (they act on spike counts, known only at the end of a sample)', 'train:regularizers', 'remove the regularizers, or use method: bptt');
    this.roVar = ro.population.program!.state.indexOf(ro.variable);
    this.W = plan.projections.map((p) => Float64Array.from(p.weight));
    this.grads = plan.projections.map((p) => new Float64Array(p.weight.length));
    const surrogateOpts = { dt: plan.dt, surrogate: plan.train.surrogate, resetGradient: plan.train.resetGradient };
    this.pops = plan.populations.map((p) => {
      const incoming = plan.projections.filter((pr) => pr.post === p.index);
      const ring = 1 + Math.max(0, ...plan.projections.filter((pr) => pr.pre === p.index).map((pr) => pr.lag));
      const pop: OnlinePop = { plan: p, X: [], IN: [], S: [], ring, CNT: new Float64Array(0), OUT: [], signal: new Float64Array(0), incoming };
      if (p.program) {
        pop.forward = compileKernels(p, p.program);
        pop.tan = tangentProgram(p.program, surrogateOpts);
        pop.tangent = compileTangent(p, pop.tan, pop.forward.arrays);
      }
      return pop;
    });
    const roIndex = ro.population.index;
    for (const pr of plan.projections) {
      if (!pr.trainable || pr.post === roIndex) continue;
      const post = plan.populations[pr.post]!;
      if (!post.program?.margin) throw new TrainPlanError(`online training needs a learning signal for '${pr.name}': its target '${post.name}' neither spikes nor is the readout`, `projection:${pr.name}`);
      if (this.feedbackOf.has(post.index)) continue;
      if (this.feedback === 'symmetric') {
        const out = plan.projections.find((q) => q.pre === post.index && q.post === roIndex);
        if (!out) throw new TrainPlanError(`feedback: symmetric sends the readout's error back through the weights from '${post.name}' to '${ro.population.name}', and there are none`, `projection:${pr.name}`, 'use feedback: random');
        this.feedbackOf.set(post.index, out);
      } else {
        this.feedbackOf.set(post.index, randomFeedback(plan, post));
      }
    }
    this.readoutJacobians();
    const nr = this.readoutJin[0]?.length ?? 0;
    for (const pr of plan.projections) {
      if (!pr.trainable) continue;
      const post = this.pops[pr.post]!;
      const scalars = new Map(Object.entries(post.plan.params).filter((e): e is [string, number] => typeof e[1] === 'number'));
      const port = post.plan.program!.ports[pr.port]!;
      const opts = pr.post === roIndex
        ? { readout: true as const, v: this.roVar }
        : { readout: false as const, v: this.roVar, RJ: this.readoutJ, RJin: this.readoutJin[this.readoutPort(pr)] ?? new Float64Array(nr) };
      this.kernels.set(pr.index, compileTraceKernel(post.tan!, port, scalars, opts));
    }
  }

  weights(): Float64Array[] {
    return this.W;
  }

  setWeights(w: Float64Array[]): void {
    w.forEach((x, i) => this.W[i]!.set(x));
  }

  private allocate(B: number): void {
    if (B === this.batch) return;
    this.batch = B;
    for (const p of this.pops) {
      const BN = B * p.plan.size;
      p.S = Array.from({ length: p.ring }, () => new Float64Array(BN));
      p.CNT = new Float64Array(BN);
      const prog = p.plan.program;
      if (!prog) continue;
      p.X = prog.state.map(() => new Float64Array(2 * BN));
      p.IN = prog.ports.map(() => new Float64Array(BN));
      p.OUT = p.tan!.outputs.map(() => new Float64Array(BN));
      p.signal = new Float64Array(BN);
    }
    const ro = this.pops[this.plan.readout.population.index]!;
    const nr = ro.plan.program!.state.length;
    this.traces = this.plan.projections
      .filter((pr) => pr.trainable)
      .map((pr) => {
        const nx = this.pops[pr.post]!.plan.program!.state.length;
        const n = B * pr.rows * pr.cols;
        return { pr, e: new Float64Array(n * nx), ...(pr.post !== ro.plan.index ? { f: new Float64Array(n * nr) } : {}), kernel: this.kernels.get(pr.index)! };
      });
  }

  /** Bytes of everything the engine holds for the batch: state, spikes of the last lags, Jacobians, traces. */
  private heldBytes(): number {
    let bytes = this.zeroRow.byteLength;
    for (const p of this.pops) for (const a of [...p.S, p.CNT, ...p.X, ...p.IN, ...p.OUT, p.signal]) bytes += a.byteLength;
    for (const t of this.traces) bytes += t.e.byteLength + (t.f?.byteLength ?? 0);
    return bytes;
  }

  /** The readout model's Jacobians at rest (neuron 0 of sample 0, no input, no spike): what filters a spike's eligibility. */
  private readoutJacobians(): void {
    const ro = this.pops[this.plan.readout.population.index]!;
    const tan = ro.tan!;
    const X = ro.plan.program!.state.map((x) => initialState(ro.plan, x, 1, new Float64Array(ro.plan.size)));
    const OUT = tan.outputs.map(() => new Float64Array(ro.plan.size));
    ro.tangent!(X, tan.ports.map(() => new Float64Array(ro.plan.size)), new Float64Array(ro.plan.size), OUT, ro.forward!.arrays, 1, ro.plan.size);
    const at = new Map(tan.outputs.map((o, i) => [o, OUT[i]![0]!]));
    this.readoutJ = Float64Array.from(tan.state.flatMap((x) => tan.state.map((y) => at.get(TANGENT.state(x, y))!)));
    this.readoutJin = tan.ports.map((p) => Float64Array.from(tan.state.map((x) => at.get(TANGENT.input(x, p))!)));
  }

  /**
   * Runs the batch; with `learn` (the default, a training batch) it also carries the traces and
   * sums the gradient, which backward() returns.
   */
  async forward(samples: readonly SpikeSample[], steps: number, learn = true): Promise<BatchForward> {
    const B = samples.length;
    const T = steps;
    this.allocate(B);
    for (const g of this.grads) g.fill(0);
    for (const t of this.traces) {
      t.e.fill(0);
      t.f?.fill(0);
    }
    const roPlan = this.plan.readout;
    const ro = this.pops[roPlan.population.index]!;
    const No = roPlan.population.size;
    const roBN = B * No;
    const readout = new Float64Array(roBN).fill(roPlan.kind === 'max_over_time' ? -Infinity : 0);
    const err = new Float64Array(roBN);
    for (const p of this.pops) {
      for (const s of p.S) s.fill(0);
      p.CNT.fill(0);
      p.signal.fill(0);
      p.plan.program?.state.forEach((x, i) => initialState(p.plan, x, B, p.X[i]!));
    }
    // the readout variable over time, when the loss reports on it (MSE to traces)
    const trace = lossReadsOverTime(this.plan.train.loss) === 'trace' ? new Float64Array((T + 1) * roBN) : undefined;
    if (trace) trace.set(ro.X[this.roVar]!.subarray(0, roBN));
    const cursor = new Int32Array(B);
    const labels = samples.map((s) => s.label);
    for (let k = 0; k < T; k++) {
      for (const p of this.pops) {
        const BN = B * p.plan.size;
        const S = p.S[k % p.ring]!;
        if (p.plan.isInput) {
          this.inputRow(samples, k, cursor, S, p.plan.size);
          continue;
        }
        if (!p.forward) continue;
        for (const x of p.IN) x.fill(0);
        for (const pr of p.incoming) if (k - pr.lag >= 0) this.deliver(pr, p, k);
        // the forward kernel writes row 1 of X from row 0, the spikes into this step's slot
        p.forward.forward(p.X, p.IN, S, p.CNT, NO_GATE, p.forward.arrays, 0, BN, p.plan.size);
        if (p === ro && trace) trace.set(ro.X[this.roVar]!.subarray(BN, 2 * BN), (k + 1) * BN);
        if (!learn) {
          if (p === ro) this.readOut(ro, readout, k, T, roBN);
          for (const x of p.X) x.copyWithin(0, BN, 2 * BN);
          continue;
        }
        // the Jacobians at the start of the step
        p.tangent!(p.X, p.IN, S, p.OUT, p.forward.arrays, BN, p.plan.size);
        if (p === ro) {
          this.readOut(ro, readout, k, T, roBN);
          this.stepError(ro, samples, labels, k, T, err);
        }
        for (const t of this.traces) if (t.pr.post === p.plan.index) this.carry(t, p, k, p === ro ? err : undefined);
        for (const x of p.X) x.copyWithin(0, BN, 2 * BN);
      }
      if (learn) this.learningSignals(err);
    }
    if (learn) for (const t of this.traces) if (t.f) this.carry(t, this.pops[t.pr.post]!, T, undefined, true);
    this.storedBytes = this.heldBytes() + (trace?.byteLength ?? 0);
    if (roPlan.kind === 'mean_over_time') for (let n = 0; n < roBN; n++) readout[n]! /= T;
    const counts = new Map<string, Float64Array>();
    for (const p of this.pops) if (p.plan.program?.margin) counts.set(p.plan.name, Float64Array.from(p.CNT));
    return { readout, counts, ...(trace ? { trace } : {}) };
  }

  /** The readout per sample and output from the readout variable after step k. */
  private readOut(ro: OnlinePop, readout: Float64Array, k: number, T: number, BN: number): void {
    const X = ro.X[this.roVar]!;
    const kind = this.plan.readout.kind;
    for (let n = 0; n < BN; n++) {
      const y = X[BN + n]!;
      if (kind === 'max_over_time') readout[n] = Math.max(readout[n]!, y);
      else if (kind === 'mean_over_time') readout[n]! += y;
      else if (k === T - 1) readout[n] = y;
    }
  }

  /** dL_k/dy: the error of the per-step loss at step k (mean over steps and samples). */
  private stepError(ro: OnlinePop, samples: readonly SpikeSample[], labels: number[], k: number, T: number, err: Float64Array): void {
    const X = ro.X[this.roVar]!;
    const B = samples.length;
    const No = ro.plan.size;
    const BN = B * No;
    if (this.plan.train.loss.kind === 'mse') {
      for (let b = 0; b < B; b++) {
        const t = samples[b]!.trace;
        if (!t) throw new Error('mse: a sample has no target trace');
        for (let o = 0; o < No; o++) err[b * No + o] = (2 * (X[BN + b * No + o]! - t[k * No + o]!)) / (T * BN);
      }
      return;
    }
    for (let b = 0; b < B; b++) {
      let max = -Infinity;
      for (let o = 0; o < No; o++) max = Math.max(max, X[BN + b * No + o]!);
      let z = 0;
      for (let o = 0; o < No; o++) z += Math.exp(X[BN + b * No + o]! - max);
      for (let o = 0; o < No; o++) err[b * No + o] = (Math.exp(X[BN + b * No + o]! - max) / z - (o === labels[b] ? 1 : 0)) / (T * B);
    }
  }

  /** Each spiking population's learning signal for this step: L = B · err. */
  private learningSignals(err: Float64Array): void {
    const No = this.plan.readout.population.size;
    for (const [index, fb] of this.feedbackOf) {
      const p = this.pops[index]!;
      const N = p.plan.size;
      const L = p.signal;
      L.fill(0);
      for (let b = 0; b < this.batch; b++) {
        for (let o = 0; o < No; o++) {
          const e = err[b * No + o]!;
          if (e === 0) continue;
          if (fb instanceof Float64Array) for (let n = 0; n < N; n++) L[b * N + n]! += fb[n * No + o]! * e;
          else {
            const W = this.W[fb.index]!;
            for (let r = 0; r < fb.rows; r++) {
              const n = fb.preIndex[r]!;
              for (let q = 0; q < fb.cols; q++) if (fb.postIndex[q] === o) L[b * N + n]! += W[r * fb.cols + q]! * e;
            }
          }
        }
      }
    }
  }

  /** One step of a projection's traces and the gradient they give (backends/cpu/online-kernels.ts); `last`: only the final Σ L f term. */
  private carry(t: Traces, post: OnlinePop, k: number, err: Float64Array | undefined, last = false): void {
    const pr = t.pr;
    const pre = this.pops[pr.pre]!;
    t.kernel({
      E: t.e,
      F: t.f ?? EMPTY,
      G: this.grads[pr.index]!,
      OUT: post.OUT,
      S: k - pr.lag >= 0 && !last ? pre.S[(k - pr.lag) % pre.ring]! : this.zeros(pre),
      SIG: err ?? post.signal,
      preIndex: pr.preIndex,
      postIndex: pr.postIndex,
      B: this.batch,
      Npre: pre.plan.size,
      N: post.plan.size,
      last: last ? 1 : 0,
    });
  }

  /** A zero spike row of the population (steps before the first delivery). */
  private zeros(p: OnlinePop): Float64Array {
    const n = this.batch * p.plan.size;
    if (this.zeroRow.length < n) this.zeroRow = new Float64Array(n);
    return this.zeroRow;
  }

  /** The readout port that the spiking target of `pr` feeds (where its spikes arrive in the readout). */
  private readoutPort(pr: PlanProjection): number {
    const roIndex = this.plan.readout.population.index;
    const out = this.plan.projections.find((q) => q.pre === pr.post && q.post === roIndex);
    return out?.port ?? 0;
  }

  /** The data population's spikes of step k, [B][N] (several events in a bin add up). */
  private inputRow(samples: readonly SpikeSample[], k: number, cursor: Int32Array, S: Float64Array, N: number): void {
    S.fill(0);
    samples.forEach((s, b) => {
      let e = cursor[b]!;
      while (e < s.steps.length && s.steps[e]! < k) e++;
      for (; e < s.steps.length && s.steps[e] === k; e++) S[b * N + s.units[e]!]! += 1;
      cursor[b] = e;
    });
  }

  /** IN[port] of `post` += the weights of the pre spikes of step k − lag. */
  private deliver(pr: PlanProjection, post: OnlinePop, k: number): void {
    const pre = this.pops[pr.pre]!;
    const S = pre.S[(k - pr.lag) % pre.ring]!;
    const W = this.W[pr.index]!;
    const IN = post.IN[pr.port]!;
    const Npre = pre.plan.size;
    const Npost = post.plan.size;
    for (let b = 0; b < this.batch; b++) {
      for (let r = 0; r < pr.rows; r++) {
        const c = S[b * Npre + pr.preIndex[r]!]!;
        if (c === 0) continue;
        for (let q = 0; q < pr.cols; q++) IN[b * Npost + pr.postIndex[q]!]! += c * W[r * pr.cols + q]!;
      }
    }
  }

  async backward(): Promise<Float64Array[]> {
    return this.plan.projections.map((pr, i) => {
      const g = Float64Array.from(this.grads[i]!);
      if (!pr.trainable) g.fill(0);
      else for (let q = 0; q < g.length; q++) if (!pr.mask[q]) g[q] = 0;
      return g;
    });
  }

  dispose(): void {}
}
