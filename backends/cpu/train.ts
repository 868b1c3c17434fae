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
import { initialState } from '../training/batch.js';
import type { PlanPopulation, PlanProjection, TrainPlan } from '../training/plan.js';
import { HELPERS, identifier, js, specialize } from './codegen.js';
import { SimdArena, type SimdKernels } from './simd.js';

type ForwardKernel = (X: Float64Array[], IN: Float64Array[], S: Float64Array | Uint8Array, CNT: Float64Array, G: Uint8Array, PA: Float64Array[], k: number, BN: number, N: number) => void;
type BackwardKernel = (
  X: Float64Array[], IN: Float64Array[], S: Float64Array | Uint8Array, AS: Float64Array, DC: Float64Array, L: Float64Array[], GIN: Float64Array[], PA: Float64Array[], k: number, BN: number, N: number,
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
    // arrivals: one row, the current step's (the engine delivers them again before the backward step)
    ...prog.ports.map((p, i) => `const ${identifier('in', STEP.input(p))} = IN${i}[n];`),
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
    `const ${identifier('l', STEP.adjSpike)} = AS[n] + DC[n];`,
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

/**
 * Spike lists of a population over the whole batch: the neurons that spiked at step k in sample
 * b are I[O[k B + b] .. O[k B + b + 1]) (16-bit for populations of up to 65,536 neurons; a data
 * unit with several events in a step is listed that many times), each spike worth 1 or, in
 * finite-difference mode, its smooth value V.
 */
interface SpikeLists {
  O: Int32Array;
  I: Int32Array | Uint16Array;
  V?: Float64Array;
}

/** Grows the lists to hold `n` entries. */
function reserve(l: SpikeLists, n: number): void {
  if (n <= l.I.length) return;
  const size = Math.max(l.I.length * 2, n);
  const I = l.I instanceof Uint16Array ? new Uint16Array(size) : new Int32Array(size);
  I.set(l.I);
  l.I = I;
  if (!l.V) return;
  const V = new Float64Array(size);
  V.set(l.V);
  l.V = V;
}

/** Appends the spikes of row `row` of S ([rows][B][N]), which is step k, to the lists. */
function collect(S: Float64Array | Uint8Array, row: number, k: number, B: number, N: number, l: SpikeLists): void {
  let at = l.O[k * B]!;
  for (let b = 0; b < B; b++) {
    const o = (row * B + b) * N;
    reserve(l, at + N);
    const I = l.I;
    const V = l.V;
    for (let n = 0; n < N; n++) {
      const a = S[o + n]!;
      if (a === 0) continue;
      I[at] = n;
      if (V) V[at] = a;
      at++;
    }
    l.O[k * B + b + 1] = at;
  }
}

/** The data population's spike lists, straight from the samples (no dense [T][B][N] array). */
function collectInput(samples: readonly SpikeSample[], T: number, l: SpikeLists): void {
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
      reserve(l, at + end - e);
      for (; e < end; e++) {
        // several events in one (step, unit) bin are that many entries: that many spikes
        l.I[at++] = s.units[e]!;
      }
      cursor[b] = end;
      l.O[k * B + b + 1] = at;
    }
  }
}

/**
 * What the engine keeps of a population for one batch. Over the whole batch only the spike
 * lists and the state at the start of every segment of K steps (checkpoints); the state,
 * arrivals, spikes and surrogate gates over time exist for one segment at a time: the forward
 * pass computes them segment by segment, and the backward pass recomputes each segment from its
 * checkpoint (Griewank's checkpointing, with segments of about sqrt(T) steps) before it steps
 * back through it. The recomputation runs the same code on the same arrivals, so it gives the
 * forward pass's bits.
 */
interface PopState {
  plan: PlanPopulation;
  kernels?: Kernels;
  /** State of the segment, per variable: [(K+1)][B][N]; row j is the state at the start of step a + j. */
  X: Float64Array[];
  /** Arrivals of the current step, per port: [B][N] (in the SIMD arena). */
  IN: Float64Array[];
  /** Spikes of the segment, [K][B][N]: bytes, or float64 for smooth spikes. */
  S: Float64Array | Uint8Array;
  /**
   * Per step, sample and neuron of the segment, whether σ'(m) ≠ 0, [K][B][N], for a surrogate
   * with compact support (triangle) and a detached reset; elsewhere the spike's adjoint is never
   * read, so the backward pass computes it only where this is set (exact, and most of the
   * backward pass's time).
   */
  G?: Uint8Array;
  /** State at the start of each segment, per variable: [segments][B][N]. */
  CK: Float64Array[];
  CNT: Float64Array;
  /** dL/d(spike) of the current step of the backward pass, [B][N]. */
  AS: Float64Array;
  /** λ, dL/d(state) per variable, and dL/d(count), [B][N]. */
  L: Float64Array[];
  DC: Float64Array;
  /**
   * dL/d(arrivals) of the last `ring` steps of the backward pass: slot k mod ring, per port,
   * [B][N] (in the SIMD arena). Ring = the longest lag into the population + 1, so a projection
   * out of a population reads its targets' dL/d(arrivals) at step k + lag while it is still there.
   */
  GIN: Float64Array[][];
  ring: number;
  spikes: SpikeLists;
  incoming: PlanProjection[];
  outgoing: PlanProjection[];
}

export class CpuTrainEngine implements TrainEngine {
  readonly backend = 'cpu';
  readonly device = 'CPU, float64';
  private W: Float64Array[];
  private gW: Float64Array[];
  /** W, gW, the arrivals and dL/d(arrivals) live in one WebAssembly memory, for the SIMD kernels. */
  private simd: SimdKernels;
  private pops: PopState[];
  private batch = 0;
  private steps = 0;
  /** Steps per segment between checkpoints. */
  private segment = 1;
  /** Spike counts of a recomputed segment, thrown away. */
  private scratchCNT = new Float64Array(0);
  /** The readout per sample and output neuron, and the step of each maximum (max_over_time). */
  private readoutValues = new Float64Array(0);
  private argmax = new Int32Array(0);
  private overTime: { spikes?: Float64Array; trace?: Float64Array } = {};
  /** Bytes held for the batch (everything sized by it), at the end of the last forward pass. */
  storedBytes = 0;
  /** Of the neuron-steps of gated populations in the last backward pass, the fraction whose spike adjoint was computed. */
  spikeAdjointFraction = 1;
  private readonly gated: boolean;
  private readonly smooth: boolean;
  private readonly rowOf: Int32Array[];

  /**
   * `smoothSpikes: beta` replaces the spike's step by the logistic function of beta times the
   * threshold margin, so that the network is differentiable and the gradient can be checked
   * against finite differences (with the `sigmoid` surrogate of the same beta and
   * reset_gradient: true, the backward pass is then the exact gradient). `skipZeroSurrogate:
   * false` computes the spike's adjoint everywhere, also where the surrogate is 0 (for tests).
   * `segment` fixes the steps between checkpoints (default: the one that holds least).
   */
  constructor(readonly plan: TrainPlan, private readonly opts: { smoothSpikes?: number; skipZeroSurrogate?: boolean; segment?: number } = {}) {
    const arena = new SimdArena(SimdArena.bytesFor(plan.projections.flatMap((p) => [p.weight.length, p.weight.length])));
    this.W = plan.projections.map((p) => {
      const a = arena.f64(p.weight.length);
      a.set(p.weight);
      return a;
    });
    this.gW = plan.projections.map((p) => arena.f64(p.weight.length));
    this.simd = arena.kernels;
    this.smooth = opts.smoothSpikes !== undefined;
    const gated = plan.train.surrogate.kind === 'triangle' && !this.smooth && opts.skipZeroSurrogate !== false;
    this.gated = gated;
    this.pops = plan.populations.map((p) => {
      const incoming = plan.projections.filter((pr) => pr.post === p.index);
      return {
        plan: p,
        ...(p.program ? { kernels: compileKernels(p, p.program, opts.smoothSpikes, gated && p.program.spikeGate !== undefined) } : {}),
        X: [],
        IN: [],
        S: new Uint8Array(0),
        CK: [],
        CNT: new Float64Array(0),
        AS: new Float64Array(0),
        L: [],
        DC: new Float64Array(0),
        GIN: [],
        ring: 1 + Math.max(0, ...incoming.map((pr) => pr.lag)),
        spikes: { O: new Int32Array(0), I: p.size <= 65536 ? new Uint16Array(0) : new Int32Array(0), ...(this.smooth && !p.isInput ? { V: new Float64Array(0) } : {}) },
        incoming,
        outgoing: plan.projections.filter((pr) => pr.pre === p.index),
      };
    });
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

  /**
   * Steps per segment that hold least: a segment of K steps holds K + 1 rows of state and K of
   * spikes and gates, s bytes per neuron and row, and ceil(T/K) checkpoints c bytes each: least
   * near K = sqrt(T c / s), searched exactly.
   */
  private segmentLength(T: number): number {
    if (this.opts.segment) return Math.max(1, Math.min(T, Math.floor(this.opts.segment)));
    let c = 0;
    let s = 0;
    for (const p of this.pops) {
      const prog = p.plan.program;
      if (!prog) continue;
      c += 8 * prog.state.length * p.plan.size;
      s += (8 * prog.state.length + (this.smooth ? 8 : 1) + (this.gated && prog.spikeGate ? 1 : 0)) * p.plan.size;
    }
    if (s === 0) return T;
    let best = T;
    for (let K = 1; K < T; K++) if (s * (K + 1) + c * Math.ceil(T / K) < s * (best + 1) + c * Math.ceil(T / best)) best = K;
    return best;
  }

  private allocate(B: number, T: number): void {
    if (B === this.batch && T === this.steps) return;
    this.batch = B;
    this.steps = T;
    const K = (this.segment = this.segmentLength(T));
    const segments = Math.ceil(T / K);
    // a new arena for this shape: the weights (carried over), their gradients, arrivals, dL/d(arrivals)
    const lengths = this.plan.projections.flatMap((p) => [p.weight.length, p.weight.length]);
    for (const p of this.pops) for (const _ of p.plan.program?.ports ?? []) lengths.push(B * p.plan.size, ...Array.from({ length: p.ring }, () => B * p.plan.size));
    const arena = new SimdArena(SimdArena.bytesFor(lengths));
    this.W = this.W.map((w) => {
      const a = arena.f64(w.length);
      a.set(w);
      return a;
    });
    this.gW = this.W.map((w) => arena.f64(w.length));
    this.simd = arena.kernels;
    let widest = 0;
    for (const p of this.pops) {
      const BN = B * p.plan.size;
      widest = Math.max(widest, BN);
      p.spikes.O = new Int32Array(T * B + 1);
      const capacity = Math.max(16, (T * BN) >> 6);
      p.spikes.I = p.spikes.I instanceof Uint16Array ? new Uint16Array(capacity) : new Int32Array(capacity);
      if (p.spikes.V) p.spikes.V = new Float64Array(p.spikes.I.length);
      const prog = p.plan.program;
      if (!prog) continue;
      p.CNT = new Float64Array(BN);
      p.S = this.smooth ? new Float64Array(K * BN) : new Uint8Array(K * BN);
      p.X = prog.state.map(() => new Float64Array((K + 1) * BN));
      p.CK = prog.state.map(() => new Float64Array(segments * BN));
      p.IN = prog.ports.map(() => arena.f64(BN));
      p.GIN = Array.from({ length: p.ring }, () => prog.ports.map(() => arena.f64(BN)));
      p.AS = new Float64Array(BN);
      p.L = prog.state.map(() => new Float64Array(BN));
      p.DC = new Float64Array(BN);
      if (this.gated && prog.spikeGate) p.G = new Uint8Array(K * BN);
    }
    this.scratchCNT = new Float64Array(widest);
    const roBN = B * this.plan.readout.population.size;
    this.readoutValues = new Float64Array(roBN);
    this.argmax = new Int32Array(roBN);
  }

  /** Bytes of everything the engine holds for the batch: checkpoints, segment buffers, spike lists, adjoints, readout. */
  private heldBytes(): number {
    let bytes = this.scratchCNT.byteLength + this.readoutValues.byteLength + this.argmax.byteLength;
    for (const a of [this.overTime.spikes, this.overTime.trace]) bytes += a?.byteLength ?? 0;
    for (const p of this.pops) {
      const arrays = [p.spikes.O, p.spikes.I, p.spikes.V, p.S, p.G, p.CNT, p.AS, p.DC, ...p.X, ...p.CK, ...p.IN, ...p.L, ...p.GIN.flat()];
      for (const a of arrays) bytes += a?.byteLength ?? 0;
    }
    return bytes;
  }

  async forward(samples: readonly SpikeSample[], steps: number): Promise<BatchForward> {
    const B = samples.length;
    const T = steps;
    this.allocate(B, T);
    const K = this.segment;
    const ro = this.plan.readout;
    const roPop = this.pops[ro.population.index]!;
    const reads = lossReadsOverTime(this.plan.train.loss);
    const roBN = B * ro.population.size;
    this.overTime = {
      ...(reads === 'spikes' ? { spikes: new Float64Array(T * roBN) } : {}),
      ...(reads === 'trace' ? { trace: new Float64Array((T + 1) * roBN) } : {}),
    };
    for (const p of this.pops) {
      if (p.plan.isInput) {
        collectInput(samples, T, p.spikes);
        continue;
      }
      p.CNT.fill(0);
      p.plan.program?.state.forEach((x, i) => initialState(p.plan, x, B, p.X[i]!));
    }
    const roVar = ro.kind === 'spike_count' ? -1 : ro.population.program!.state.indexOf(ro.variable);
    if (ro.kind === 'max_over_time') this.readoutValues.fill(-Infinity);
    else this.readoutValues.fill(0);
    if (this.overTime.trace && roVar >= 0) this.overTime.trace.set(roPop.X[roVar]!.subarray(0, roBN));
    for (let a = 0, seg = 0; a < T; a += K, seg++) {
      const end = Math.min(T, a + K);
      for (const p of this.pops) p.X.forEach((x, i) => p.CK[i]!.set(x.subarray(0, B * p.plan.size), seg * B * p.plan.size));
      this.runSegment(a, end, true);
      if (roVar >= 0) this.readStates(roPop.X[roVar]!, a, end, T, roBN);
      if (this.overTime.spikes) for (let k = a; k < end; k++) this.spikeRow(roPop, k - a, this.overTime.spikes.subarray(k * roBN, (k + 1) * roBN));
      // the last state of this segment starts the next one
      for (const p of this.pops) for (const x of p.X) x.copyWithin(0, (end - a) * B * p.plan.size, (end - a + 1) * B * p.plan.size);
    }
    this.storedBytes = this.heldBytes();
    const counts = new Map<string, Float64Array>();
    for (const p of this.pops) if (p.plan.program?.margin) counts.set(p.plan.name, p.CNT);
    if (ro.kind === 'mean_over_time') for (let n = 0; n < roBN; n++) this.readoutValues[n]! /= T;
    const f: BatchForward = { readout: Float64Array.from(ro.kind === 'spike_count' ? roPop.CNT : this.readoutValues), counts };
    if (this.overTime.spikes) f.spikes = this.overTime.spikes;
    if (this.overTime.trace) f.trace = this.overTime.trace;
    return f;
  }

  /** Readout and trace from the readout variable's rows 1..(end − a) of a segment starting at step a (row j: after step a + j − 1). */
  private readStates(X: Float64Array, a: number, end: number, T: number, BN: number): void {
    const kind = this.plan.readout.kind;
    const v = this.readoutValues;
    for (let k = a + 1; k <= end; k++) {
      const o = (k - a) * BN;
      if (this.overTime.trace) this.overTime.trace.set(X.subarray(o, o + BN), k * BN);
      if (kind === 'last') {
        if (k === T) v.set(X.subarray(o, o + BN));
      } else if (kind === 'mean_over_time') {
        for (let n = 0; n < BN; n++) v[n]! += X[o + n]!;
      } else {
        for (let n = 0; n < BN; n++) {
          if (X[o + n]! > v[n]!) {
            v[n] = X[o + n]!;
            this.argmax[n] = k;
          }
        }
      }
    }
  }

  /** Row `row` of a population's segment spikes as float64. */
  private spikeRow(p: PopState, row: number, out: Float64Array): void {
    const BN = out.length;
    for (let n = 0; n < BN; n++) out[n] = p.S[row * BN + n]!;
  }

  /**
   * Steps a..end−1 of every population from the segment's first state rows: deliver, update,
   * threshold, reset. `record` keeps the spikes in the lists and counts them (the forward pass);
   * the backward pass's recomputation reads the lists and counts into scratch.
   */
  private runSegment(a: number, end: number, record: boolean): void {
    const B = this.batch;
    for (let k = a; k < end; k++) {
      for (const p of this.pops) {
        if (!p.kernels) continue;
        const N = p.plan.size;
        this.arrivals(p, k);
        p.kernels.forward(p.X, p.IN, p.S, record ? p.CNT : this.scratchCNT, p.G ?? NO_GATE, p.kernels.arrays, k - a, B * N, N);
        if (record) collect(p.S, k - a, k, B, N, p.spikes);
      }
    }
  }

  /** The population's arrivals at step k, from the spike lists. */
  private arrivals(p: PopState, k: number): void {
    for (const x of p.IN) x.fill(0);
    for (const pr of p.incoming) if (k - pr.lag >= 0) this.deliver(pr, p, k, this.batch);
  }

  /** The arrivals IN[port] of `post` += the weights of the pre spikes of step k − lag. */
  private deliver(pr: PlanProjection, post: PopState, k: number, B: number): void {
    const { O, I, V } = this.pops[pr.pre]!.spikes;
    const W = this.W[pr.index]!;
    const rowOf = this.rowOf[pr.index]!;
    const Npost = post.plan.size;
    const src = (k - pr.lag) * B;
    const IN = post.IN[pr.port]!;
    const cols = pr.cols;
    const identity = pr.identity;
    const postIndex = pr.postIndex;
    const axpy = this.simd.axpy;
    const inAt = IN.byteOffset;
    const wAt = W.byteOffset;
    for (let b = 0; b < B; b++) {
      const dst = b * Npost;
      for (let e = O[src + b]!, end = O[src + b + 1]!; e < end; e++) {
        const r = rowOf[I[e]!]!;
        if (r < 0) continue;
        const c = V ? V[e]! : 1;
        const at = r * cols;
        if (identity) axpy(inAt + 8 * dst, wAt + 8 * at, c, cols);
        else for (let q = 0; q < cols; q++) IN[dst + postIndex[q]!]! += c * W[at + q]!;
      }
    }
  }

  /** The population's spike trains over the last batch, [T][B][N] (for tests and reports). */
  spikeTrains(population: number): Float64Array {
    const p = this.pops[population]!;
    const B = this.batch;
    const N = p.plan.size;
    const out = new Float64Array(this.steps * B * N);
    const { O, I, V } = p.spikes;
    for (let kb = 0; kb < this.steps * B; kb++) for (let e = O[kb]!; e < O[kb + 1]!; e++) out[kb * N + I[e]!]! += V ? V[e]! : 1;
    return out;
  }

  async backward(dReadout: Float64Array, dCounts: ReadonlyMap<string, Float64Array>, overTime: OverTimeGradients = {}): Promise<Float64Array[]> {
    const B = this.batch;
    const T = this.steps;
    const K = this.segment;
    const grads = this.gW;
    for (const g of grads) g.fill(0);
    for (const p of this.pops) {
      if (!p.plan.program) continue;
      for (const l of p.L) l.fill(0);
      p.DC.fill(0);
      const given = dCounts.get(p.plan.name);
      if (given) p.DC.set(given);
      for (const slot of p.GIN) for (const g of slot) g.fill(0);
    }
    const { population, variable, kind } = this.plan.readout;
    const ro = this.pops[population.index]!;
    const roBN = B * population.size;
    if (kind === 'spike_count') for (let n = 0; n < roBN; n++) ro.DC[n]! += dReadout[n]!;
    const roVar = kind === 'spike_count' ? -1 : population.program!.state.indexOf(variable);
    let open = 0;
    let gatedSteps = 0;
    for (let a = Math.floor((T - 1) / K) * K, seg = Math.floor((T - 1) / K); a >= 0; a -= K, seg--) {
      const end = Math.min(T, a + K);
      for (const p of this.pops) p.X.forEach((x, i) => x.set(p.CK[i]!.subarray(seg * B * p.plan.size, (seg + 1) * B * p.plan.size)));
      this.runSegment(a, end, false);
      for (let k = end - 1; k >= a; k--) {
        for (const p of this.pops) {
          if (!p.kernels) continue;
          const N = p.plan.size;
          const BN = B * N;
          // dL/d(spike) of step k: the loss's, and what the projections out of the population carry back
          p.AS.fill(0);
          if (p === ro && overTime.dSpikes) p.AS.set(overTime.dSpikes.subarray(k * BN, (k + 1) * BN));
          if (p.G) {
            const G = p.G;
            const o = (k - a) * BN;
            for (let n = 0; n < BN; n++) open += G[o + n]!;
            gatedSteps += BN;
          }
          for (const pr of p.outgoing) if (k + pr.lag < T) this.pull(pr, p, k, k - a, B);
          if (p === ro && roVar >= 0) this.addReadoutAdjoint(p.L[roVar]!, dReadout, overTime.dTrace, k + 1, T, BN);
          const gin = p.GIN[k % p.ring]!;
          this.arrivals(p, k);
          p.kernels.backward(p.X, p.IN, p.S, p.AS, p.DC, p.L, gin, p.kernels.arrays, k - a, BN, N);
          for (const pr of p.incoming) if (pr.trainable && k - pr.lag >= 0) this.weightGradient(pr, p, k, B, gin[pr.port]!, grads[pr.index]!);
        }
      }
    }
    this.spikeAdjointFraction = gatedSteps ? open / gatedSteps : 1;
    this.plan.projections.forEach((pr, i) => {
      const g = grads[i]!;
      if (!pr.trainable) g.fill(0);
      else for (let q = 0; q < g.length; q++) if (!pr.mask[q]) g[q] = 0;
    });
    return grads.map((g) => Float64Array.from(g));
  }

  /** λ of the readout variable += dL/d(its value after step j − 1): the readout's adjoint and the loss's over time. */
  private addReadoutAdjoint(l: Float64Array, dReadout: Float64Array, dTrace: Float64Array | undefined, j: number, T: number, BN: number): void {
    const kind = this.plan.readout.kind;
    for (let n = 0; n < BN; n++) {
      let r = 0;
      if (kind === 'last') r = j === T ? dReadout[n]! : 0;
      else if (kind === 'mean_over_time') r = dReadout[n]! / T;
      else r = this.argmax[n] === j ? dReadout[n]! : 0;
      if (dTrace) r += dTrace[j * BN + n]!;
      l[n]! += r;
    }
  }

  /**
   * The pre population's dL/d(spike) at step k += W · dL/d(arrivals) of the post population at
   * step k + lag, where the pre neuron's step reads it (σ' ≠ 0, when gated).
   */
  private pull(pr: PlanProjection, pre: PopState, k: number, row: number, B: number): void {
    const post = this.pops[pr.post]!;
    if (!post.kernels) return;
    const gin = post.GIN[(k + pr.lag) % post.ring]![pr.port]!;
    const W = this.W[pr.index]!;
    const rowOf = this.rowOf[pr.index]!;
    const Npre = pre.plan.size;
    const Npost = post.plan.size;
    const { cols, rows, identity, postIndex, preIndex } = pr;
    const AS = pre.AS;
    const simdDot = this.simd.dot;
    const wAt = W.byteOffset;
    const ginAt = gin.byteOffset;
    const dot = (at: number, g0: number): number => {
      if (identity) return simdDot(wAt + 8 * at, ginAt + 8 * g0, cols);
      let acc = 0;
      for (let q = 0; q < cols; q++) acc += W[at + q]! * gin[g0 + postIndex[q]!]!;
      return acc;
    };
    const G = pre.G;
    for (let b = 0; b < B; b++) {
      const g0 = b * Npost;
      const o = b * Npre;
      if (G) {
        const go = (row * B + b) * Npre;
        for (let n = 0; n < Npre; n++) {
          if (!G[go + n]) continue;
          const r = rowOf[n]!;
          if (r >= 0) AS[o + n]! += dot(r * cols, g0);
        }
      } else for (let r = 0; r < rows; r++) AS[o + preIndex[r]!]! += dot(r * cols, g0);
    }
  }

  /** dL/dW[r][q] += s_pre[r] at step k − lag · dL/d(arrivals)[q] at step k, over the pre spikes. */
  private weightGradient(pr: PlanProjection, post: PopState, k: number, B: number, gin: Float64Array, gW: Float64Array): void {
    const { O, I, V } = this.pops[pr.pre]!.spikes;
    const rowOf = this.rowOf[pr.index]!;
    const Npost = post.plan.size;
    const src = (k - pr.lag) * B;
    const { cols, identity, postIndex } = pr;
    const axpy = this.simd.axpy;
    const ginAt = gin.byteOffset;
    const gwAt = gW.byteOffset;
    for (let b = 0; b < B; b++) {
      const g0 = b * Npost;
      for (let e = O[src + b]!, end = O[src + b + 1]!; e < end; e++) {
        const r = rowOf[I[e]!]!;
        if (r < 0) continue;
        const c = V ? V[e]! : 1;
        const at = r * cols;
        if (identity) axpy(gwAt + 8 * at, ginAt + 8 * g0, c, cols);
        else for (let q = 0; q < cols; q++) gW[at + q]! += c * gin[g0 + postIndex[q]!]!;
      }
    }
  }

  dispose(): void {}
}
