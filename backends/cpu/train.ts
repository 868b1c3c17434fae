/**
 * The CPU training backend: a batch's forward pass and backprop through time in float64, the
 * gradient reference every other backend is tested against (DESIGN.md principle 2). Each step
 * follows the simulation's order (deliver, update, threshold, reset; spikes reach their targets
 * after the projection's delay), so with the same weights and input the forward spikes are the
 * simulation's. The per-neuron forward and backward code is generated from the step programs the
 * compiler derived (compiler/grad/step.ts); projections are dense matrices, driven by the
 * presynaptic spikes, which are few.
 */
import type { IRExpr } from '../../compiler/ir/types.js';
import { STEP, type StepProgram } from '../../compiler/grad/step.js';
import type { SpikeSample } from '../../stdlib/data/dataset.js';
import type { BatchForward, OverTimeGradients, TrainEngine } from '../training/engine.js';
import { lossReadsOverTime } from '../training/loss.js';
import { initialState, readoutAdjoint, readoutOverTime } from '../training/batch.js';
import type { PlanPopulation, PlanProjection, TrainPlan } from '../training/plan.js';
import { HELPERS, identifier, js, specialize } from './codegen.js';
import { SimdArena, type SimdKernels } from './simd.js';

type ForwardKernel = (X: Float64Array[], IN: Float64Array[], S: Float64Array, CNT: Float64Array, G: Uint8Array, PA: Float64Array[], k: number, BN: number, N: number) => void;
type BackwardKernel = (
  X: Float64Array[], IN: Float64Array[], S: Float64Array, AS: Float64Array, DC: Float64Array, L: Float64Array[], GIN: Float64Array[], PA: Float64Array[], k: number, BN: number, N: number,
) => void;

interface Kernels {
  forward: ForwardKernel;
  backward: BackwardKernel;
  /** Per-neuron parameter arrays, in the order the kernels take them. */
  arrays: Float64Array[];
}

/** Compiles a population's step program into forward and backward loops over batch × neurons. */
export function compileKernels(pop: PlanPopulation, prog: StepProgram, smoothSpikes?: number, gated = false): Kernels {
  const scalars = new Map<string, number>();
  const arrays: Float64Array[] = [];
  const arrayIndex = new Map<string, number>();
  for (const [k, v] of Object.entries(pop.params)) {
    if (typeof v === 'number') scalars.set(k, v);
    else {
      arrayIndex.set(k, arrays.length);
      arrays.push(v);
    }
  }
  const stateIndex = new Map(prog.state.map((x, i) => [x, i]));
  const portIndex = new Map(prog.ports.map((p, i) => [STEP.input(p), i]));
  const resolve = (name: string): string => {
    const a = arrayIndex.get(name);
    if (a !== undefined) return `PA${a}[j]`;
    if (stateIndex.has(name)) return identifier('x', name);
    if (portIndex.has(name)) return identifier('in', name);
    return identifier('l', name);
  };
  const expr = (e: IRExpr): string => js(specialize(e, scalars), resolve);
  const loads = [
    ...prog.state.map((x, i) => `const ${identifier('x', x)} = X${i}[o0 + n];`),
    ...prog.ports.map((p, i) => `const ${identifier('in', STEP.input(p))} = IN${i}[o0 + n];`),
  ];
  // the arrays out of their lists once per call, so that the loop indexes typed arrays directly
  const hoist = (backward: boolean): string[] => [
    ...prog.state.map((_, i) => `const X${i} = X[${i}];`),
    ...prog.ports.map((_, i) => `const IN${i} = IN[${i}];`),
    ...arrays.map((_, i) => `const PA${i} = PA[${i}];`),
    ...(backward ? [...prog.state.map((_, i) => `const L${i} = L[${i}];`), ...prog.ports.map((_, i) => `const GIN${i} = GIN[${i}];`)] : []),
  ];
  const loop = (body: string[], backward: boolean): string => [
    ...hoist(backward),
    'const o0 = k * BN, o1 = o0 + BN;',
    'for (let n = 0, j = 0; n < BN; n++, j = (j + 1 === N ? 0 : j + 1)) {',
    ...loads.map((l) => `  ${l}`),
    ...body.map((l) => `  ${l}`),
    '}',
  ].join('\n');
  // forward: the program, the spike, and the new state
  const fwd: string[] = prog.forward.map((a) => `const ${resolve(a.target)} = ${expr(a.expr)};`);
  if (!prog.spikeCondition) fwd.push('const s = 0;');
  else if (smoothSpikes !== undefined) fwd.push(`const s = 1 / (1 + Math.exp(-${smoothSpikes} * ${resolve(prog.margin!)}));`);
  else fwd.push(`const s = ${expr(prog.spikeCondition)} ? 1 : 0;`);
  fwd.push('S[o0 + n] = s;', 'CNT[n] += s;');
  // where σ'(m) is 0 the backward step ignores the spike's adjoint (StepProgram.spikeGate)
  if (gated && prog.spikeGate) fwd.push(`G[o0 + n] = ${expr(prog.spikeGate)} !== 0 ? 1 : 0;`);
  for (const [i, x] of prog.state.entries()) {
    const u = resolve(prog.updated[x]!);
    const r = prog.reset[x];
    const mixed = smoothSpikes !== undefined ? `s * ${r && resolve(r)} + (1 - s) * ${u}` : `s ? ${r && resolve(r)} : ${u}`;
    fwd.push(`X${i}[o1 + n] = ${r ? mixed : u};`);
  }
  // backward: recompute, then the adjoint assignments
  const bwd: string[] = [
    `const ${identifier('l', STEP.spike)} = S[o0 + n];`,
    `const ${identifier('l', STEP.adjSpike)} = AS[o0 + n] + DC[n];`,
    ...prog.state.map((x, i) => `const ${identifier('l', STEP.adjState(x))} = L${i}[n];`),
  ];
  for (const a of prog.backward) {
    if (a.target.startsWith('$dx:')) bwd.push(`L${stateIndex.get(a.target.slice(4))}[n] = ${expr(a.expr)};`);
    else if (a.target.startsWith('$din:')) bwd.push(`GIN${prog.ports.indexOf(a.target.slice(5))}[n] = ${expr(a.expr)};`);
    else bwd.push(`const ${resolve(a.target)} = ${expr(a.expr)};`);
  }
  const forward = new Function('H', 'X', 'IN', 'S', 'CNT', 'G', 'PA', 'k', 'BN', 'N', `"use strict";\n${loop(fwd, false)}`) as (H: typeof HELPERS, ...rest: Parameters<ForwardKernel>) => void;
  const backward = new Function('H', 'X', 'IN', 'S', 'AS', 'DC', 'L', 'GIN', 'PA', 'k', 'BN', 'N', `"use strict";\n${loop(bwd, true)}`) as (H: typeof HELPERS, ...rest: Parameters<BackwardKernel>) => void;
  return {
    forward: (...a) => forward(HELPERS, ...a),
    backward: (...a) => backward(HELPERS, ...a),
    arrays,
  };
}

const NO_GATE = new Uint8Array(0);

/** Appends the nonzero entries of row k of A ([T][B][N]) to the population's spike ('E', with values) or gate ('G') lists. */
function collect(A: Float64Array | Uint8Array, k: number, B: number, N: number, p: PopState, which: 'E' | 'G'): void {
  const spikes = which === 'E';
  const O = spikes ? p.EO : p.GO;
  let at = O[k * B]!;
  for (let b = 0; b < B; b++) {
    const o = (k * B + b) * N;
    reserve(p, which, at + N);
    const I = spikes ? p.EI : p.GI;
    const V = p.EV;
    for (let n = 0; n < N; n++) {
      const a = A[o + n]!;
      if (a === 0) continue;
      I[at] = n;
      if (spikes) V[at] = a;
      at++;
    }
    O[k * B + b + 1] = at;
  }
}

/** Grows the population's spike ('E') or gate ('G') lists to hold `n` entries. */
function reserve(p: PopState, which: 'E' | 'G', n: number): void {
  const I = which === 'E' ? p.EI : p.GI;
  if (n <= I.length) return;
  const size = Math.max(I.length * 2, n);
  const grownI = new Int32Array(size);
  grownI.set(I);
  if (which === 'G') {
    p.GI = grownI;
    return;
  }
  const grownV = new Float64Array(size);
  grownV.set(p.EV);
  p.EI = grownI;
  p.EV = grownV;
}

/** The data population's spike lists, straight from the samples (no dense [T][B][N] array). */
function collectInput(samples: readonly SpikeSample[], T: number, p: PopState): void {
  const B = samples.length;
  const cursor = new Int32Array(B);
  let at = 0;
  for (let k = 0; k < T; k++) {
    for (let b = 0; b < B; b++) {
      const s = samples[b]!;
      let e = cursor[b]!;
      while (e < s.steps.length && s.steps[e]! < k) e++;
      let end = e;
      while (end < s.steps.length && s.steps[end] === k) end++;
      reserve(p, 'E', at + end - e);
      for (; e < end; e++) {
        const n = s.units[e]!;
        // several events in one (step, unit) bin count as that many spikes
        if (at > p.EO[k * B + b]! && p.EI[at - 1] === n) p.EV[at - 1]! += 1;
        else {
          p.EI[at] = n;
          p.EV[at++] = 1;
        }
      }
      cursor[b] = end;
      p.EO[k * B + b + 1] = at;
    }
  }
}

interface PopState {
  plan: PlanPopulation;
  kernels?: Kernels;
  /** State at the start of each step: per variable, [(T+1)][B][N]. */
  X: Float64Array[];
  /** Arrivals per port: [T][B][N]. */
  IN: Float64Array[];
  /** Spikes (counts for data) per step: [T][B][N]. */
  S: Float64Array;
  CNT: Float64Array;
  /** dL/d(spike) per step, filled by the projections leaving the population. */
  AS: Float64Array;
  /** The incoming projections. */
  incoming: PlanProjection[];
  /**
   * Per step, sample and neuron, whether σ'(m) ≠ 0, [T][B][N], for a surrogate with compact
   * support (triangle) and a detached reset; elsewhere the spike's adjoint is never read, so the
   * projections leaving the population skip it (exact, and most of the backward pass's time).
   */
  G?: Uint8Array;
  /** The neurons that spiked (S ≠ 0), per step and sample: indices EI[EO[k B + b] .. EO[k B + b + 1]). */
  EO: Int32Array;
  EI: Int32Array;
  /** The spike values (1, a count for data, the smooth spike in finite-difference mode). */
  EV: Float64Array;
  /** Likewise the neurons whose σ'(m) ≠ 0, when G is kept. */
  GO: Int32Array;
  GI: Int32Array;
}

export class CpuTrainEngine implements TrainEngine {
  readonly backend = 'cpu';
  readonly device = 'CPU, float64';
  private W: Float64Array[];
  /** Weight gradients, and per population and port dL/d(arrivals) of the current step, [B][N]. */
  private gW: Float64Array[];
  private GIN: Float64Array[][] = [];
  /** W, gW, the arrivals and GIN live in one WebAssembly memory, for the SIMD kernels. */
  private simd: SimdKernels;
  private pops: PopState[];
  private batch = 0;
  private steps = 0;
  /** Step at which each readout value is largest (max_over_time), [B][outputs]. */
  private argmax: Int32Array = new Int32Array(0);
  storedBytes = 0;
  private readonly gated: boolean;
  private readonly rowOf: Int32Array[];

  /**
   * `smoothSpikes: beta` replaces the spike's step by the logistic function of beta times the
   * threshold margin, so that the network is differentiable and the gradient can be checked
   * against finite differences (with the `sigmoid` surrogate of the same beta and
   * reset_gradient: true, the backward pass is then the exact gradient). `skipZeroSurrogate:
   * false` computes the spike's adjoint everywhere, also where the surrogate is 0 (for tests).
   */
  constructor(readonly plan: TrainPlan, opts: { smoothSpikes?: number; skipZeroSurrogate?: boolean } = {}) {
    const arena = new SimdArena(SimdArena.bytesFor(plan.projections.flatMap((p) => [p.weight.length, p.weight.length])));
    this.W = plan.projections.map((p) => {
      const a = arena.f64(p.weight.length);
      a.set(p.weight);
      return a;
    });
    this.gW = plan.projections.map((p) => arena.f64(p.weight.length));
    this.simd = arena.kernels;
    const gated = plan.train.surrogate.kind === 'triangle' && opts.smoothSpikes === undefined && opts.skipZeroSurrogate !== false;
    this.gated = gated;
    this.pops = plan.populations.map((p) => ({
      plan: p,
      ...(p.program ? { kernels: compileKernels(p, p.program, opts.smoothSpikes, gated && p.program.spikeGate !== undefined) } : {}),
      X: [],
      IN: [],
      S: new Float64Array(0),
      CNT: new Float64Array(0),
      AS: new Float64Array(0),
      incoming: plan.projections.filter((pr) => pr.post === p.index),
      EO: new Int32Array(0),
      EI: new Int32Array(0),
      EV: new Float64Array(0),
      GO: new Int32Array(0),
      GI: new Int32Array(0),
    }));
    // row of each pre neuron in each projection (-1: not a row)
    this.rowOf = plan.projections.map((pr) => {
      const r = new Int32Array(plan.populations[pr.pre]!.size).fill(-1);
      pr.preIndex.forEach((n, i) => (r[n] = i));
      return r;
    });
  }

  weights(): Float64Array[] {
    return this.W;
  }

  setWeights(w: Float64Array[]): void {
    w.forEach((x, i) => this.W[i]!.set(x));
  }

  private allocate(B: number, T: number): void {
    if (B === this.batch && T === this.steps) return;
    this.batch = B;
    this.steps = T;
    // a new arena for this shape: the weights (carried over), their gradients, arrivals, GIN
    const lengths = this.plan.projections.flatMap((p) => [p.weight.length, p.weight.length]);
    for (const p of this.pops) for (const _ of p.plan.program?.ports ?? []) lengths.push(T * B * p.plan.size, B * p.plan.size);
    const arena = new SimdArena(SimdArena.bytesFor(lengths));
    this.W = this.W.map((w) => {
      const a = arena.f64(w.length);
      a.set(w);
      return a;
    });
    this.gW = this.W.map((w) => arena.f64(w.length));
    this.simd = arena.kernels;
    this.GIN = [];
    for (const p of this.pops) {
      const BN = B * p.plan.size;
      p.CNT = new Float64Array(BN);
      p.EO = new Int32Array(T * B + 1);
      p.EI = new Int32Array(Math.max(16, T * BN >> 4));
      p.EV = new Float64Array(p.EI.length);
      if (!p.plan.program) continue;
      p.S = new Float64Array(T * BN);
      p.X = p.plan.program.state.map(() => new Float64Array((T + 1) * BN));
      p.IN = p.plan.program.ports.map(() => arena.f64(T * BN));
      this.GIN[p.plan.index] = p.plan.program.ports.map(() => arena.f64(BN));
      p.AS = new Float64Array(T * BN);
      if (this.gated && p.plan.program.spikeGate) {
        p.G = new Uint8Array(T * BN);
        p.GO = new Int32Array(T * B + 1);
        p.GI = new Int32Array(Math.max(16, T * BN >> 4));
      }
    }
  }

  /** Bytes of everything over time the backward pass reads: state, arrivals, spikes, their adjoint, the spike and gate lists. */
  private heldBytes(): number {
    let bytes = 0;
    for (const p of this.pops) {
      for (const a of [p.S, p.AS, p.EO, p.EI, p.EV, ...p.X, ...p.IN, ...(p.G ? [p.G, p.GO, p.GI] : [])]) bytes += a.byteLength;
    }
    return bytes;
  }

  async forward(samples: readonly SpikeSample[], steps: number): Promise<BatchForward> {
    const B = samples.length;
    const T = steps;
    this.allocate(B, T);
    for (const p of this.pops) {
      if (p.plan.isInput) {
        collectInput(samples, T, p);
        continue;
      }
      p.S.fill(0);
      p.CNT.fill(0);
      for (const a of p.IN) a.fill(0);
      p.plan.program?.state.forEach((x, i) => initialState(p.plan, x, B, p.X[i]!));
    }
    for (let k = 0; k < T; k++) {
      for (const p of this.pops) {
        if (!p.kernels) continue;
        const N = p.plan.size;
        for (const pr of p.incoming) if (k - pr.lag >= 0) this.deliver(pr, p, k, B);
        p.kernels.forward(p.X, p.IN, p.S, p.CNT, p.G ?? NO_GATE, p.kernels.arrays, k, B * N, N);
        collect(p.S, k, B, N, p, 'E');
        if (p.G) collect(p.G, k, B, N, p, 'G');
      }
    }
    this.storedBytes = this.heldBytes();
    const counts = new Map<string, Float64Array>();
    for (const p of this.pops) if (p.plan.program?.margin) counts.set(p.plan.name, p.CNT);
    const f: BatchForward = { readout: this.readout(B, T), counts };
    const ro = this.plan.readout;
    const reads = lossReadsOverTime(this.plan.train.loss);
    if (reads === 'spikes') f.spikes = Float64Array.from(this.pops[ro.population.index]!.S);
    if (reads === 'trace') f.trace = Float64Array.from(this.pops[ro.population.index]!.X[ro.population.program!.state.indexOf(ro.variable)]!);
    return f;
  }

  /** IN[port][k] of `post` += the weights of the pre spikes of step k - delay. */
  private deliver(pr: PlanProjection, post: PopState, k: number, B: number): void {
    const pre = this.pops[pr.pre]!;
    const W = this.W[pr.index]!;
    const rowOf = this.rowOf[pr.index]!;
    const Npost = post.plan.size;
    const EO = pre.EO;
    const EI = pre.EI;
    const EV = pre.EV;
    const src = (k - pr.lag) * B;
    const IN = post.IN[pr.port]!;
    const cols = pr.cols;
    const identity = pr.identity;
    const postIndex = pr.postIndex;
    const axpy = this.simd.axpy;
    const inAt = IN.byteOffset;
    const wAt = W.byteOffset;
    for (let b = 0; b < B; b++) {
      const dst = k * B * Npost + b * Npost;
      for (let e = EO[src + b]!, end = EO[src + b + 1]!; e < end; e++) {
        const r = rowOf[EI[e]!]!;
        if (r < 0) continue;
        const c = EV[e]!;
        const row = r * cols;
        if (identity) axpy(inAt + 8 * dst, wAt + 8 * row, c, cols);
        else for (let q = 0; q < cols; q++) IN[dst + postIndex[q]!]! += c * W[row + q]!;
      }
    }
  }

  private readout(B: number, T: number): Float64Array {
    const { population, variable, kind } = this.plan.readout;
    const p = this.pops[population.index]!;
    if (kind === 'spike_count') return Float64Array.from(p.CNT);
    const r = readoutOverTime(kind, p.X[population.program!.state.indexOf(variable)]!, T, B * population.size);
    this.argmax = r.argmax;
    return r.values;
  }

  async backward(dReadout: Float64Array, dCounts: ReadonlyMap<string, Float64Array>, overTime: OverTimeGradients = {}): Promise<Float64Array[]> {
    const B = this.batch;
    const T = this.steps;
    const grads = this.gW;
    for (const g of grads) g.fill(0);
    const L = new Map<PopState, Float64Array[]>();
    const GIN = new Map<PopState, Float64Array[]>();
    const DC = new Map<PopState, Float64Array>();
    for (const p of this.pops) {
      if (!p.plan.program) continue;
      const BN = B * p.plan.size;
      L.set(p, p.plan.program.state.map(() => new Float64Array(BN)));
      GIN.set(p, this.GIN[p.plan.index]!);
      p.AS.fill(0);
      const dc = new Float64Array(BN);
      const given = dCounts.get(p.plan.name);
      if (given) dc.set(given);
      DC.set(p, dc);
    }
    const { population, variable, kind } = this.plan.readout;
    const ro = this.pops[population.index]!;
    const roBN = B * population.size;
    if (kind === 'spike_count') {
      const dc = DC.get(ro)!;
      for (let n = 0; n < dc.length; n++) dc[n]! += dReadout[n]!;
    }
    const roVar = kind === 'spike_count' ? -1 : population.program!.state.indexOf(variable);
    // dL/d(readout variable) after each step
    const R = kind === 'spike_count' ? undefined : readoutAdjoint(kind, dReadout, this.argmax, T, roBN, new Float64Array((T + 1) * roBN));
    if (R && overTime.dTrace) for (let i = 0; i < R.length; i++) R[i]! += overTime.dTrace[i]!;
    if (overTime.dSpikes) ro.AS.set(overTime.dSpikes);
    for (let k = T - 1; k >= 0; k--) {
      for (const p of this.pops) {
        if (!p.kernels) continue;
        const N = p.plan.size;
        const BN = B * N;
        const lam = L.get(p)!;
        if (p === ro && R) {
          const l = lam[roVar]!;
          for (let n = 0, at = (k + 1) * BN; n < BN; n++) l[n]! += R[at + n]!;
        }
        const gin = GIN.get(p)!;
        p.kernels.backward(p.X, p.IN, p.S, p.AS, DC.get(p)!, lam, gin, p.kernels.arrays, k, BN, N);
        for (const pr of p.incoming) if (k - pr.lag >= 0) this.scatter(pr, p, k, B, gin[pr.port]!, grads[pr.index]!);
      }
    }
    this.plan.projections.forEach((pr, i) => {
      const g = grads[i]!;
      if (!pr.trainable) g.fill(0);
      else for (let q = 0; q < g.length; q++) if (!pr.mask[q]) g[q] = 0;
    });
    return grads.map((g) => Float64Array.from(g));
  }

  /** Weight gradients and the pre spikes' adjoint from dL/d(arrivals) of step k. */
  private scatter(pr: PlanProjection, post: PopState, k: number, B: number, gin: Float64Array, gW: Float64Array): void {
    const pre = this.pops[pr.pre]!;
    const W = this.W[pr.index]!;
    const rowOf = this.rowOf[pr.index]!;
    const Npre = pre.plan.size;
    const Npost = post.plan.size;
    const src = (k - pr.lag) * B;
    const cols = pr.cols;
    const rows = pr.rows;
    const identity = pr.identity;
    const postIndex = pr.postIndex;
    const preIndex = pr.preIndex;
    const AS = pre.AS;
    const { axpy, dot: simdDot } = this.simd;
    const wAt = W.byteOffset;
    const ginAt = gin.byteOffset;
    const gwAt = gW.byteOffset;
    const dot = (row: number, g0: number): number => {
      if (identity) return simdDot(wAt + 8 * row, ginAt + 8 * g0, cols);
      let acc = 0;
      for (let q = 0; q < cols; q++) acc += W[row + q]! * gin[g0 + postIndex[q]!]!;
      return acc;
    };
    for (let b = 0; b < B; b++) {
      const g0 = b * Npost;
      const sb = (src + b) * Npre;
      // dL/dW[r][q] += s_pre[r] · dL/d(arrivals)[q], over the pre spikes
      if (pr.trainable) {
        for (let e = pre.EO[src + b]!, end = pre.EO[src + b + 1]!; e < end; e++) {
          const r = rowOf[pre.EI[e]!]!;
          if (r < 0) continue;
          const c = pre.EV[e]!;
          const row = r * cols;
          if (identity) axpy(gwAt + 8 * row, ginAt + 8 * g0, c, cols);
          else for (let q = 0; q < cols; q++) gW[row + q]! += c * gin[g0 + postIndex[q]!]!;
        }
      }
      if (!pre.plan.program) continue;
      // dL/ds_pre = W · dL/d(arrivals), where the pre neuron's step reads it
      if (pre.G) {
        for (let e = pre.GO[src + b]!, end = pre.GO[src + b + 1]!; e < end; e++) {
          const n = pre.GI[e]!;
          const r = rowOf[n]!;
          if (r >= 0) AS[sb + n]! += dot(r * cols, g0);
        }
      } else for (let r = 0; r < rows; r++) AS[sb + preIndex[r]!]! += dot(r * cols, g0);
    }
  }

  dispose(): void {}
}
