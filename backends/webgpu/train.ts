/**
 * The WebGPU training backend: forward pass and backprop through time in float32 compute
 * shaders generated from the same step programs as the CPU reference (compiler/grad/step.ts).
 *
 * One workgroup runs one sample through all time steps and populations: samples are independent
 * and, since every delay is at least one step, a population reads only spikes of earlier steps,
 * so a workgroup barrier between steps is all the synchronisation needed. The forward time loop
 * is one dispatch (training.md §4.3: ~18 µs per dispatch on lavapipe).
 *
 * Memory (issue 4, point 7: at most 5 bytes per neuron-step). What the backward pass keeps over
 * all T steps is the spikes, bit-packed (1 bit per neuron and step; the data population's counts
 * in as few bits as the batch's largest count per bin needs), and the state of every population
 * at the start of every K-th step (checkpoints). The backward pass runs per segment of K steps,
 * last to first, one dispatch each: every workgroup recomputes its sample's forward pass over the
 * segment from the checkpoint (the forward step is one WGSL function per population, shared by
 * the forward kernel and the recompute, so the recomputed state is the forward's; the spikes of
 * the forward are read, for delivery and for the reset, and every neuron's recompute is
 * independent of the others', so it needs no barrier), keeping the state and the arrivals of each step of the
 * segment, then steps back through it. dL/d(arrivals) overwrites the arrivals in place, and the
 * weight gradients Σ_k Σ_b s_pre[k−d] · dL/d(arrivals)[k] are accumulated per segment by one
 * kernel per trainable projection. dL/d(spike) of a population is a ring of (longest outgoing
 * lag + 1) steps. K ≈ √(T · checkpoint bytes / segment bytes) minimises their sum. With a
 * surrogate of compact support (triangle) the forward pass also keeps, one bit per neuron-step,
 * whether σ'(m) ≠ 0, and the backward pass computes W · dL/d(arrivals) only there. `storedBytes`
 * is the size of every buffer the batch allocates (everything but the weights, parameters and
 * weight gradients): about 2 bytes per neuron-step on the randman bench network (100 → 200
 * recurrent → 2, T 200), 3.4 on the SHD-size one (700 → 200 recurrent → 20, T 100).
 *
 * Buffers are arenas with offsets baked into the shader: `wts` (weights and per-neuron
 * parameters), `st` (f32: state, checkpoints, the segment, counts, the readout over time), `ev`
 * (u32: packed spikes and gates), `adj` (f32: adjoints), `gw` (weight gradients), and per
 * segment a 4-byte buffer holding its index. Only the current batch layout's buffers exist.
 */
import { STEP, type StepProgram } from '../../compiler/grad/step.js';
import type { IRExpr } from '../../compiler/ir/types.js';
import { specialize } from '../cpu/codegen.js';
import type { SpikeSample } from '../../stdlib/data/dataset.js';
import { initialState, inputSpikes, readoutAdjoint, readoutOverTime } from '../training/batch.js';
import { lossReadsOverTime } from '../training/loss.js';
import type { BatchForward, OverTimeGradients, TrainEngine } from '../training/engine.js';
import { TrainPlanError, type PlanPopulation, type TrainPlan } from '../training/plan.js';
import { bindGroup, checkStorageSize, dispatch, emptyBuffer, pipeline, read, write } from './buffers.js';
import type { WebGpu } from './device.js';
import { wgsl, wgslBool, wgslIdent, WGSL_HELPERS } from './wgsl.js';

const WG = 64;

/** The weight-gradient kernel's blocks of post neurons per thread: their size and number for `cols` post neurons. */
function gradientBlocks(cols: number): { size: number; blocks: number } {
  const size = Math.max(1, Math.min(8, cols));
  return { size, blocks: Math.ceil(cols / size) };
}

/** How a population's spikes are packed into u32 words: `width` bits per neuron, [T][B][words]. */
export interface Packing {
  width: number;
  perWord: number;
  words: number;
  mask: number;
}

export function packing(size: number, width: number): Packing {
  const perWord = 32 / width;
  return { width, perWord, words: Math.ceil(size / perWord), mask: width === 32 ? 0xffffffff : 2 ** width - 1 };
}

/** The fewest bits per neuron (1, 2, 4, …, 32) that hold counts up to `max`. */
export function countWidth(max: number): number {
  return [1, 2, 4, 8, 16].find((w) => max < 2 ** w) ?? 32;
}

/** Packs spike counts [rows][N] (rows: steps × samples) into `p`'s words, [rows][words]. */
export function packCounts(counts: ArrayLike<number>, rows: number, N: number, p: Packing, out = new Uint32Array(rows * p.words)): Uint32Array {
  out.fill(0);
  for (let r = 0; r < rows; r++) {
    for (let n = 0; n < N; n++) {
      const c = counts[r * N + n]!;
      if (c !== 0) out[r * p.words + Math.floor(n / p.perWord)]! += c * 2 ** ((n % p.perWord) * p.width);
    }
  }
  return out;
}

/** Unpacks [rows][words] into counts [rows][N]. */
export function unpackCounts(words: Uint32Array, rows: number, N: number, p: Packing, out = new Float64Array(rows * N)): Float64Array {
  for (let r = 0; r < rows; r++) {
    for (let n = 0; n < N; n++) out[r * N + n] = Math.floor(words[r * p.words + Math.floor(n / p.perWord)]! / 2 ** ((n % p.perWord) * p.width)) % 2 ** p.width;
  }
  return out;
}

/** Offsets (in elements) of every array in the arenas, for one batch size, length and input packing. */
interface Layout {
  B: number;
  T: number;
  /** Steps per segment (checkpoint interval) and the number of segments. */
  K: number;
  segments: number;
  /** Per population: its spike packing; undefined for a population that never spikes. */
  pack: (Packing | undefined)[];
  /** In `st`, per population and state variable: the current state [B][N], the checkpoints [segments][B][N], the segment's state [K][B][N]. */
  CUR: number[][];
  CK: number[][];
  SX: number[][];
  /** In `st`, per population and port: the segment's arrivals [K][B][N], overwritten by dL/d(arrivals) in the backward pass. */
  SIN: number[][];
  /** In `st`: spike counts [B][N] per spiking population; the readout variable over time [(T+1)][B][N], then its adjoint (-1: none). */
  CNT: number[];
  RO: number;
  /** In `ev`: packed spikes [T][B][words] per spiking population; per gated population, whether σ'(m) ≠ 0, packed alike (-1: none). */
  SP: number[];
  GB: number[];
  /** In `adj`: λ per state variable [B][N], dL/d(count) [B][N], dL/d(spike) ring [ring][B][N], dL/d(readout spikes) [T][B][N] (-1: none). */
  L: number[][];
  DC: number[];
  AS: number[];
  ring: number[];
  DSP: number;
  /** Elements of each arena. */
  st: number;
  ev: number;
  adj: number;
}

interface Compiled {
  key: string;
  layout: Layout;
  forward: GPUComputePipeline;
  backward: GPUComputePipeline;
  /** Per projection; undefined when it has no gradient (fixed, or its pre population never spikes). */
  gradients: (GPUComputePipeline | undefined)[];
}

/** The buffers of the current batch layout: the arenas and one buffer per segment holding its index. */
interface BatchBuffers {
  key: string;
  st: GPUBuffer;
  ev: GPUBuffer;
  adj: GPUBuffer;
  segs: GPUBuffer[];
  /** Bind groups over these buffers, per pipeline and segment (made on first use). */
  groups: Map<GPUComputePipeline, GPUBindGroup[]>;
}

export class WebGpuTrainEngine implements TrainEngine {
  readonly backend = 'webgpu';
  readonly device: string;
  private W: Float64Array[];
  /** Offsets in `wts` of each projection's weights and each population's per-neuron parameters. */
  private wOff: number[] = [];
  private pOff = new Map<string, number>();
  private wts: GPUBuffer;
  private gw: GPUBuffer;
  private gwOff: number[] = [];
  private compiled = new Map<string, Compiled>();
  private current?: Compiled;
  private buffers?: BatchBuffers;
  private argmax: Int32Array = new Int32Array(0);
  /** Bytes of every buffer the current batch layout allocates (see the header). */
  storedBytes = 0;
  /**
   * With a surrogate of compact support (triangle) the spike's adjoint is needed only where
   * σ'(m) ≠ 0 (StepProgram.spikeGate): the forward pass keeps that bit per neuron-step, and the
   * backward pass computes W · dL/d(arrivals) only there (exact, as the CPU engine does).
   */
  private readonly gated: boolean;

  private constructor(
    readonly plan: TrainPlan,
    private readonly gpu: WebGpu,
  ) {
    this.device = `${gpu.adapter.description || gpu.adapter.vendor}${gpu.software ? ' (software)' : ''}, float32`;
    this.W = plan.projections.map((p) => Float64Array.from(p.weight));
    for (const pr of plan.projections) {
      if (!pr.identity) throw new TrainPlanError(`'${pr.name}' connects part of a population; the WebGPU backend trains projections between whole populations only`, `projection:${pr.name}`, 'use --backend cpu');
    }
    let n = 0;
    for (const w of this.W) {
      this.wOff.push(n);
      n += w.length;
    }
    for (const p of plan.populations) {
      for (const [k, v] of Object.entries(p.params)) {
        if (typeof v === 'number') continue;
        this.pOff.set(`${p.index}:${k}`, n);
        n += v.length;
      }
    }
    this.wts = emptyBuffer(gpu, Math.max(4, n * 4), 'wts');
    this.uploadAll();
    let g = 0;
    for (const w of this.W) {
      this.gwOff.push(g);
      g += w.length;
    }
    this.gw = emptyBuffer(gpu, Math.max(4, g * 4), 'gw');
    this.gated = plan.train.surrogate.kind === 'triangle';
  }

  static async create(plan: TrainPlan, gpu: WebGpu): Promise<WebGpuTrainEngine> {
    return new WebGpuTrainEngine(plan, gpu);
  }

  private uploadAll(): void {
    const buf = new Float32Array(this.wts.size / 4);
    this.W.forEach((w, i) => buf.set(w, this.wOff[i]));
    for (const p of this.plan.populations) {
      for (const [k, v] of Object.entries(p.params)) if (typeof v !== 'number') buf.set(v, this.pOff.get(`${p.index}:${k}`)!);
    }
    write(this.gpu, this.wts, buf);
  }

  weights(): Float64Array[] {
    return this.W;
  }

  setWeights(w: Float64Array[]): void {
    w.forEach((x, i) => {
      this.W[i]!.set(x);
      write(this.gpu, this.wts, Float32Array.from(x), this.wOff[i]! * 4);
    });
  }

  /**
   * The checkpoint interval K for T steps: checkpoints cost c floats per sample every K steps,
   * the segment s floats per sample and step of K, so c·T/K + s·K is least at K = √(c·T/s);
   * then K is evened out over the segments.
   */
  private interval(T: number): number {
    let c = 0;
    let s = 0;
    for (const p of this.plan.populations) {
      if (!p.program) continue;
      c += p.size * p.program.state.length;
      s += p.size * (p.program.state.length + p.program.ports.length);
    }
    const K = s > 0 ? Math.min(T, Math.max(1, Math.round(Math.sqrt((c * T) / s)))) : T;
    return Math.ceil(T / Math.ceil(T / Math.max(1, K)));
  }

  private layout(B: number, T: number, inputWidth: number): Layout {
    const ends = { st: 0, ev: 0, adj: 0 };
    /** The offset of `n` more elements in an arena. */
    const take = (arena: keyof typeof ends, n: number): number => (ends[arena] += n) - n;
    const K = Math.max(1, this.interval(T));
    const segments = Math.max(1, Math.ceil(T / K));
    const ro = this.plan.readout;
    const L: Layout = { B, T, K, segments, pack: [], CUR: [], CK: [], SX: [], SIN: [], CNT: [], RO: -1, SP: [], GB: [], L: [], DC: [], AS: [], ring: [], DSP: -1, st: 0, ev: 0, adj: 0 };
    for (const p of this.plan.populations) {
      const BN = B * p.size;
      const state = p.program?.state ?? [];
      const ports = p.program?.ports ?? [];
      const spiking = p.isInput || p.program?.spikeCondition !== undefined;
      const pk = spiking ? packing(p.size, p.isInput ? inputWidth : 1) : undefined;
      // the longest lag of a projection whose post population reads this one's spike adjoint
      const lag = Math.max(0, ...this.plan.projections.filter((pr) => pr.pre === p.index && this.plan.populations[pr.post]!.program).map((pr) => pr.lag));
      const ring = p.program && pk && lag > 0 ? lag + 1 : 0;
      L.pack.push(pk);
      L.CUR.push(state.map(() => take('st', BN)));
      L.CK.push(state.map(() => take('st', segments * BN)));
      L.SX.push(state.map(() => take('st', K * BN)));
      L.SIN.push(ports.map(() => take('st', K * BN)));
      L.CNT.push(p.program && pk ? take('st', BN) : -1);
      L.SP.push(pk ? take('ev', T * B * pk.words) : -1);
      // the gates are read where a projection from this population computes its spike adjoint
      L.GB.push(this.gated && ring && p.program?.spikeGate ? take('ev', T * B * pk!.words) : -1);
      L.L.push(state.map(() => take('adj', BN)));
      L.DC.push(p.program && pk ? take('adj', BN) : -1);
      L.ring.push(ring);
      L.AS.push(ring ? take('adj', ring * BN) : -1);
    }
    const No = ro.population.size;
    if (ro.kind !== 'spike_count') L.RO = take('st', (T + 1) * B * No);
    if (lossReadsOverTime(this.plan.train.loss) === 'spikes') L.DSP = take('adj', T * B * No);
    L.st = Math.max(1, ends.st);
    L.ev = Math.max(1, ends.ev);
    L.adj = Math.max(1, ends.adj);
    return L;
  }

  private async compile(B: number, T: number, inputWidth: number): Promise<Compiled> {
    const key = `${B}x${T}x${inputWidth}`;
    const hit = this.compiled.get(key);
    if (hit) return hit;
    const layout = this.layout(B, T, inputWidth);
    for (const [what, n] of [['state', layout.st], ['spikes', layout.ev], ['adjoints', layout.adj]] as const) checkStorageSize(this.gpu, n * 4, `the ${what} of a batch of ${B} × ${T} steps`);
    const gen = new ShaderGen(this.plan, layout, this.wOff, this.pOff);
    const [forward, backward, ...gradients] = await Promise.all([
      pipeline(this.gpu, gen.forward(), 'main'),
      pipeline(this.gpu, gen.backward(), 'main'),
      ...this.plan.projections.map((pr, i) => (pr.trainable && layout.pack[pr.pre] ? pipeline(this.gpu, gen.gradient(i, this.gwOff[i]!), 'main') : Promise.resolve(undefined))),
    ]);
    const c: Compiled = { key, layout, forward: forward!, backward: backward!, gradients };
    this.compiled.set(key, c);
    return c;
  }

  /** The buffers of `c`'s layout, allocated when the layout changes (those of the previous one are freed). */
  private batchBuffers(c: Compiled): BatchBuffers {
    if (this.buffers?.key === c.key) return this.buffers;
    this.freeBuffers();
    const L = c.layout;
    const segs = Array.from({ length: L.segments }, (_, s) => {
      const b = emptyBuffer(this.gpu, 4, `segment ${s}`);
      write(this.gpu, b, Uint32Array.of(s));
      return b;
    });
    this.buffers = { key: c.key, st: emptyBuffer(this.gpu, L.st * 4, 'st'), ev: emptyBuffer(this.gpu, L.ev * 4, 'ev'), adj: emptyBuffer(this.gpu, L.adj * 4, 'adj'), segs, groups: new Map() };
    return this.buffers;
  }

  /** The bind group of `p` over `bindings` for segment `s` (0 for the forward kernel), cached with the batch buffers. */
  private group(buf: BatchBuffers, p: GPUComputePipeline, s: number, bindings: () => GPUBuffer[]): GPUBindGroup {
    let list = buf.groups.get(p);
    if (!list) buf.groups.set(p, (list = []));
    return (list[s] ??= bindGroup(this.gpu, p, bindings()));
  }

  private freeBuffers(): void {
    if (!this.buffers) return;
    for (const b of [this.buffers.st, this.buffers.ev, this.buffers.adj, ...this.buffers.segs]) b.destroy();
    this.buffers = undefined;
  }

  /** Bytes of every buffer the current batch layout holds: what the backward pass keeps, and the scratch it works in. */
  private batchBytes(): number {
    const b = this.buffers;
    return b ? [b.st, b.ev, b.adj, ...b.segs].reduce((a, x) => a + x.size, 0) : 0;
  }

  async forward(samples: readonly SpikeSample[], steps: number): Promise<BatchForward> {
    const B = samples.length;
    const T = steps;
    const input = this.plan.input;
    const counts0 = inputSpikes(samples, T, input.size, new Float32Array(T * B * input.size));
    let most = 0;
    for (const x of counts0) if (x > most) most = x;
    const c = await this.compile(B, T, countWidth(most));
    this.current = c;
    const buf = this.batchBuffers(c);
    const L = c.layout;
    this.storedBytes = this.batchBytes();
    // the data population's spikes, packed; initial state; zero counts; the readout's initial value
    write(this.gpu, buf.ev, packCounts(counts0, T * B, input.size, L.pack[input.index]!), L.SP[input.index]! * 4);
    const ro = this.plan.readout;
    for (const p of this.plan.populations) {
      if (!p.program) continue;
      if (L.CNT[p.index]! >= 0) write(this.gpu, buf.st, new Float32Array(B * p.size), L.CNT[p.index]! * 4);
      p.program.state.forEach((x, i) => {
        const x0 = initialState(p, x, B, new Float32Array(B * p.size));
        write(this.gpu, buf.st, x0, L.CUR[p.index]![i]! * 4);
        if (p === ro.population && x === ro.variable && L.RO >= 0) write(this.gpu, buf.st, x0, L.RO * 4);
      });
    }
    dispatch(this.gpu, c.forward, this.group(buf, c.forward, 0, () => [this.wts, buf.st, buf.ev]), [B]);
    const counts = new Map<string, Float64Array>();
    for (const p of this.plan.populations) {
      if (!p.program?.margin) continue;
      counts.set(p.name, Float64Array.from(await read(this.gpu, buf.st, Float32Array, { byteOffset: L.CNT[p.index]! * 4, length: B * p.size })));
    }
    const f: BatchForward = { readout: new Float64Array(0), counts };
    const reads = lossReadsOverTime(this.plan.train.loss);
    const No = ro.population.size;
    if (reads === 'spikes') {
      const pk = L.pack[ro.population.index]!;
      f.spikes = unpackCounts(await read(this.gpu, buf.ev, Uint32Array, { byteOffset: L.SP[ro.population.index]! * 4, length: T * B * pk.words }), T * B, No, pk);
    }
    if (ro.kind === 'spike_count') {
      f.readout = Float64Array.from(counts.get(ro.population.name)!);
      return f;
    }
    const X = await read(this.gpu, buf.st, Float32Array, { byteOffset: L.RO * 4, length: (T + 1) * B * No });
    const r = readoutOverTime(ro.kind, X, T, B * No);
    this.argmax = r.argmax;
    f.readout = r.values;
    if (reads === 'trace') f.trace = Float64Array.from(X);
    return f;
  }

  async backward(dReadout: Float64Array, dCounts: ReadonlyMap<string, Float64Array>, overTime: OverTimeGradients = {}): Promise<Float64Array[]> {
    const c = this.current;
    if (!c) throw new Error('backward before forward');
    const buf = this.batchBuffers(c);
    const L = c.layout;
    const { B, T } = L;
    this.storedBytes = this.batchBytes();
    const ro = this.plan.readout;
    const No = ro.population.size;
    // dL/d(readout variable) per step, over the readout variable (which the backward pass does not read)
    if (ro.kind !== 'spike_count') {
      const R = readoutAdjoint(ro.kind, dReadout, this.argmax, T, B * No, new Float32Array((T + 1) * B * No));
      if (overTime.dTrace) for (let i = 0; i < R.length; i++) R[i]! += overTime.dTrace[i]!;
      write(this.gpu, buf.st, R, L.RO * 4);
    }
    // λ = 0, the spike adjoint rings 0, dL/d(count) per population, dL/d(readout spikes)
    const zeros = new Float32Array(L.adj);
    if (overTime.dSpikes && L.DSP >= 0) zeros.set(overTime.dSpikes, L.DSP);
    for (const p of this.plan.populations) {
      if (L.DC[p.index]! < 0) continue;
      const dc = zeros.subarray(L.DC[p.index]!, L.DC[p.index]! + B * p.size);
      const given = dCounts.get(p.name);
      if (given) dc.set(given);
      if (ro.kind === 'spike_count' && p === ro.population) for (let n = 0; n < dc.length; n++) dc[n]! += dReadout[n]!;
    }
    write(this.gpu, buf.adj, zeros);
    const enc = this.gpu.device.createCommandEncoder();
    enc.clearBuffer(this.gw);
    // one pass: WebGPU orders its dispatches, each seeing the writes of those before
    const pass = enc.beginComputePass();
    for (let s = L.segments - 1; s >= 0; s--) {
      const seg = buf.segs[s]!;
      dispatch(this.gpu, c.backward, this.group(buf, c.backward, s, () => [this.wts, buf.st, buf.ev, buf.adj, seg]), [B], pass);
      this.plan.projections.forEach((pr, i) => {
        const g = c.gradients[i];
        if (g) dispatch(this.gpu, g, this.group(buf, g, s, () => [buf.ev, buf.st, this.gw, seg]), [Math.ceil((pr.rows * gradientBlocks(pr.cols).blocks) / WG)], pass);
      });
    }
    pass.end();
    this.gpu.device.queue.submit([enc.finish()]);
    const g = await read(this.gpu, this.gw, Float32Array);
    return this.plan.projections.map((pr, i) => {
      const out = new Float64Array(pr.rows * pr.cols);
      if (!pr.trainable) return out;
      const off = this.gwOff[i]!;
      for (let q = 0; q < out.length; q++) out[q] = pr.mask[q] ? g[off + q]! : 0;
      return out;
    });
  }

  dispose(): void {
    this.freeBuffers();
    this.wts.destroy();
    this.gw.destroy();
  }
}

/** Generates the kernels' WGSL for one layout. */
class ShaderGen {
  constructor(
    private readonly plan: TrainPlan,
    private readonly L: Layout,
    private readonly wOff: number[],
    private readonly pOff: Map<string, number>,
  ) {}

  private header(bindings: string[]): string {
    return [...bindings.map((b, i) => `@group(0) @binding(${i}) var<storage, ${b};`), WGSL_HELPERS].join('\n');
  }

  private resolver(p: PlanPopulation, prog: StepProgram): (name: string) => string {
    const stateSet = new Set(prog.state);
    const ports = new Set(prog.ports.map(STEP.input));
    return (name) => {
      const arr = this.pOff.get(`${p.index}:${name}`);
      if (arr !== undefined) return `wts[${arr}u + n]`;
      if (stateSet.has(name)) return wgslIdent('x', name);
      if (ports.has(name)) return wgslIdent('in', name);
      return wgslIdent('l', name);
    };
  }

  private readonly scalarCache = new Map<PlanPopulation, Map<string, number>>();

  /** The population's scalar parameters, which the kernels take as literals. */
  private scalars(p: PlanPopulation): Map<string, number> {
    let m = this.scalarCache.get(p);
    if (!m) {
      m = new Map(Object.entries(p.params).filter((e): e is [string, number] => typeof e[1] === 'number'));
      this.scalarCache.set(p, m);
    }
    return m;
  }

  private expr(p: PlanPopulation, e: IRExpr, resolve: (n: string) => string): string {
    return wgsl(specialize(e, this.scalars(p)), resolve);
  }

  /** The populations with a step program, in plan order. */
  private stepped(): (PlanPopulation & { program: StepProgram })[] {
    return this.plan.populations.filter((p): p is PlanPopulation & { program: StepProgram } => p.program !== undefined);
  }

  /** The spike count (a u32 expression) of neuron `j` of population `p` at step `k` of sample `b` (WGSL expressions); or its gate bit, from the array at `off`. */
  private spikeAt(p: PlanPopulation, k: string, b: string, j: string, off = this.L.SP[p.index]!): string {
    const pk = this.L.pack[p.index]!;
    const word = `ev[${off}u + (${k} * ${this.L.B}u + ${b}) * ${pk.words}u + ${j} / ${pk.perWord}u]`;
    return pk.width === 1 ? `((${word} >> (${j} % 32u)) & 1u)` : `((${word} >> ((${j} % ${pk.perWord}u) * ${pk.width}u)) & ${pk.mask >>> 0}u)`;
  }

  /**
   * The forward step of each population as a WGSL function, shared by the forward kernel and the
   * backward kernel's recompute: deliver (the weights of the pre spikes of step k − lag, summed
   * per port, walking the set bits of the packed spikes), update, threshold, reset.
   * `fwdP(b, n, k, x…[, forced]) -> FwdP`: the state after the step, the arrivals per port, the
   * spike (`forced` when ≥ 0) and, when gated, whether σ'(m) ≠ 0.
   */
  private stepFunctions(): string {
    const out: string[] = [];
    const { B } = this.L;
    for (const p of this.stepped()) {
      const prog = p.program;
      const r = this.resolver(p, prog);
      const gated = this.L.GB[p.index]! >= 0;
      const fields = [...prog.state.map((_, i) => `x${i}: f32`), ...prog.ports.map((_, i) => `a${i}: f32`), 's: f32', ...(gated ? ['g: f32'] : [])];
      const lines: string[] = [];
      prog.ports.forEach((_, pi) => lines.push(`var acc${pi} = 0.0;`));
      for (const pr of this.plan.projections) {
        if (pr.post !== p.index) continue;
        const pre = this.plan.populations[pr.pre]!;
        const pk = this.L.pack[pre.index];
        if (!pk) continue; // a population that never spikes delivers nothing
        const w = `wts[${this.wOff[pr.index]}u + j * ${pr.cols}u + n]`;
        const take =
          pk.width === 1
            ? [`let j = w * 32u + countTrailingZeros(bits);`, `acc${pr.port} += ${w};`, 'bits &= bits - 1u;']
            : [
                `let f = countTrailingZeros(bits) / ${pk.width}u;`,
                `let j = w * ${pk.perWord}u + f;`,
                `acc${pr.port} += f32((bits >> (f * ${pk.width}u)) & ${pk.mask >>> 0}u) * ${w};`,
                `bits &= ~(${pk.mask >>> 0}u << (f * ${pk.width}u));`,
              ];
        lines.push(
          `if (k >= ${pr.lag}u) {`,
          `  let e0 = ${this.L.SP[pre.index]}u + ((k - ${pr.lag}u) * ${B}u + b) * ${pk.words}u;`,
          `  for (var w = 0u; w < ${pk.words}u; w++) {`,
          '    var bits = ev[e0 + w];',
          '    while (bits != 0u) {',
          ...take.map((l) => `      ${l}`),
          '    }',
          '  }',
          '}',
        );
      }
      prog.ports.forEach((port, pi) => lines.push(`let ${wgslIdent('in', STEP.input(port))} = acc${pi};`));
      for (const a of prog.forward) lines.push(`let ${r(a.target)} = ${this.expr(p, a.expr, r)};`);
      // the recompute passes the forward's spike (`forced` ≥ 0), so that a last-bit difference in
      // how a compiler evaluates the two copies of this function cannot move a reset
      const spiking = this.L.pack[p.index] !== undefined;
      lines.push(spiking ? `let s = select(select(0.0, 1.0, ${wgslBool(specialize(prog.spikeCondition!, this.scalars(p)), r)}), forced, forced >= 0.0);` : 'let s = 0.0;');
      const next = prog.state.map((x) => {
        const u = r(prog.updated[x]!);
        const rs = prog.reset[x];
        return rs ? `select(${u}, ${r(rs)}, s != 0.0)` : u;
      });
      if (gated) lines.push(`let g = select(0.0, 1.0, ${this.expr(p, prog.spikeGate!, r)} != 0.0);`);
      lines.push(`return Fwd${p.index}(${[...next, ...prog.ports.map((_, pi) => `acc${pi}`), 's', ...(gated ? ['g'] : [])].join(', ')});`);
      out.push(
        `struct Fwd${p.index} { ${fields.join(', ')} }`,
        `fn fwd${p.index}(b: u32, n: u32, k: u32${prog.state.map((x) => `, ${wgslIdent('x', x)}: f32`).join('')}${spiking ? ', forced: f32' : ''}) -> Fwd${p.index} {`,
        ...lines.map((l) => `  ${l}`),
        '}',
      );
    }
    return out.join('\n');
  }

  /** The state arguments of fwdP from `value(i)`. */
  private stateArgs(prog: StepProgram, value: (i: number) => string): string {
    return prog.state.map((_, i) => `, ${value(i)}`).join('');
  }

  forward(): string {
    const { B, T, K } = this.L;
    const ro = this.plan.readout;
    const body: string[] = [];
    // per spiking population, its words in the workgroup's spike bits, and those of its gates
    const flush: { pop: number; at: number; wo: number }[] = [];
    const wbits = new Map<string, number>();
    let words = 0;
    for (const p of this.stepped()) {
      const pk = this.L.pack[p.index];
      if (!pk) continue;
      for (const [what, at] of [['s', this.L.SP[p.index]!], ['g', this.L.GB[p.index]!]] as const) {
        if (at < 0) continue;
        wbits.set(`${what}${p.index}`, words);
        flush.push({ pop: p.index, at, wo: words });
        words += pk.words;
      }
    }
    for (const p of this.stepped()) {
      const prog = p.program;
      const N = p.size;
      const lines = [`let i0 = b * ${N}u + n;`];
      prog.state.forEach((x, i) => lines.push(`let ${wgslIdent('x', x)} = st[${this.L.CUR[p.index]![i]}u + i0];`));
      if (prog.state.length > 0) {
        lines.push(`if (k % ${K}u == 0u) {`, `  let c0 = (k / ${K}u * ${B}u + b) * ${N}u + n;`);
        prog.state.forEach((x, i) => lines.push(`  st[${this.L.CK[p.index]![i]}u + c0] = ${wgslIdent('x', x)};`));
        lines.push('}');
      }
      lines.push(`let r = fwd${p.index}(b, n, k${this.stateArgs(prog, (i) => wgslIdent('x', prog.state[i]!))}${this.L.pack[p.index] ? ', -1.0' : ''});`);
      prog.state.forEach((_, i) => lines.push(`st[${this.L.CUR[p.index]![i]}u + i0] = r.x${i};`));
      const wo = wbits.get(`s${p.index}`);
      if (wo !== undefined) lines.push(`if (r.s != 0.0) { atomicOr(&wbits[par * ${words}u + ${wo}u + n / 32u], 1u << (n % 32u)); st[${this.L.CNT[p.index]}u + i0] += 1.0; }`);
      const go = wbits.get(`g${p.index}`);
      if (go !== undefined) lines.push(`if (r.g != 0.0) { atomicOr(&wbits[par * ${words}u + ${go}u + n / 32u], 1u << (n % 32u)); }`);
      if (p === ro.population && this.L.RO >= 0) lines.push(`st[${this.L.RO}u + ((k + 1u) * ${B}u + b) * ${N}u + n] = r.x${prog.state.indexOf(ro.variable)};`);
      body.push(`for (var n = lid.x; n < ${N}u; n += ${WG}u) {`, ...lines.map((l) => `  ${l}`), '}');
    }
    // Step k's spikes go from the workgroup's bits (two sets, by the parity of the step) into the
    // packed array during step k + 1, one thread per word: a delay of one step at least means that
    // they are read from step k + 2 on, so one barrier per step orders everything.
    const flushRow = (row: string, par: string): string[] =>
      flush.map(({ pop, at, wo }) => {
        const pk = this.L.pack[pop]!;
        return `for (var w = lid.x; w < ${pk.words}u; w += ${WG}u) { ev[${at}u + (${row} * ${B}u + b) * ${pk.words}u + w] = atomicExchange(&wbits[${par} * ${words}u + ${wo}u + w], 0u); }`;
      });
    if (words > 0) body.push('if (k > 0u) {', ...flushRow('(k - 1u)', '(1u - par)').map((l) => `  ${l}`), '}');
    body.push('storageBarrier();', 'workgroupBarrier();');
    return [
      this.header(['read> wts: array<f32>', 'read_write> st: array<f32>', 'read_write> ev: array<u32>']),
      this.stepFunctions(),
      words > 0 ? `var<workgroup> wbits: array<atomic<u32>, ${2 * words}>;` : '',
      `@compute @workgroup_size(${WG})`,
      'fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {',
      '  _ = &wts;',
      '  _ = &ev;',
      '  let b = wid.x;',
      `  for (var k = 0u; k < ${T}u; k++) {`,
      '    let par = k % 2u;',
      ...body.map((l) => `    ${l}`),
      '  }',
      ...(words > 0 && T > 0 ? flushRow(`${T - 1}u`, `${(T - 1) % 2}u`).map((l) => `  ${l}`) : []),
      '}',
    ].join('\n');
  }

  /**
   * One segment of the backward pass (seg[0] its index): recompute the forward over the segment
   * from its checkpoint, keeping the state at the start of each step and the arrivals, then the
   * backward steps from its last step to its first.
   */
  backward(): string {
    const { B, T, K } = this.L;
    const ro = this.plan.readout;
    const recompute: string[] = [];
    const body: string[] = [];
    for (const p of this.stepped()) {
      const prog = p.program;
      const N = p.size;
      const r = this.resolver(p, prog);
      // recompute: every neuron on its own (it reads only the stored spikes of other neurons)
      const rc: string[] = [];
      prog.state.forEach((_, i) => rc.push(`var x${i} = st[${this.L.CK[p.index]![i]}u + (sg * ${B}u + b) * ${N}u + n];`));
      rc.push(
        'for (var k = k0; k < k1; k++) {',
        `  let o = ((k - k0) * ${B}u + b) * ${N}u + n;`,
        ...prog.state.map((_, i) => `  st[${this.L.SX[p.index]![i]}u + o] = x${i};`),
        `  let r = fwd${p.index}(b, n, k${this.stateArgs(prog, (i) => `x${i}`)}${this.L.pack[p.index] ? `, f32(${this.spikeAt(p, 'k', 'b', 'n')})` : ''});`,
        ...prog.ports.map((_, i) => `  st[${this.L.SIN[p.index]![i]}u + o] = r.a${i};`),
        ...prog.state.map((_, i) => `  x${i} = r.x${i};`),
        '}',
      );
      recompute.push(`for (var n = lid.x; n < ${N}u; n += ${WG}u) {`, ...rc.map((l) => `  ${l}`), '}');
      // the backward step
      const lines = [`let o = ((k - k0) * ${B}u + b) * ${N}u + n;`, `let i0 = b * ${N}u + n;`];
      prog.state.forEach((x, i) => lines.push(`let ${wgslIdent('x', x)} = st[${this.L.SX[p.index]![i]}u + o];`));
      prog.ports.forEach((port, i) => lines.push(`let ${wgslIdent('in', STEP.input(port))} = st[${this.L.SIN[p.index]![i]}u + o];`));
      const pk = this.L.pack[p.index];
      lines.push(`let ${wgslIdent('l', STEP.spike)} = ${pk ? `f32(${this.spikeAt(p, 'k', 'b', 'n')})` : '0.0'};`);
      const adjs = ['0.0'];
      if (this.L.DC[p.index]! >= 0) adjs.push(`adj[${this.L.DC[p.index]}u + i0]`);
      if (this.L.AS[p.index]! >= 0) {
        const slot = `${this.L.AS[p.index]}u + ((k % ${this.L.ring[p.index]}u) * ${B}u + b) * ${N}u + n`;
        lines.push(`let as0 = adj[${slot}];`, `adj[${slot}] = 0.0;`);
        adjs.push('as0');
      }
      if (p === ro.population && this.L.DSP >= 0) adjs.push(`adj[${this.L.DSP}u + (k * ${B}u + b) * ${N}u + n]`);
      lines.push(`let ${wgslIdent('l', STEP.adjSpike)} = ${adjs.join(' + ')};`);
      prog.state.forEach((x, i) => {
        const lam = `adj[${this.L.L[p.index]![i]!}u + i0]`;
        const extra = p === ro.population && this.L.RO >= 0 && x === ro.variable ? ` + st[${this.L.RO}u + ((k + 1u) * ${B}u + b) * ${N}u + n]` : '';
        lines.push(`let ${wgslIdent('l', STEP.adjState(x))} = ${lam}${extra};`);
      });
      for (const a of prog.backward) {
        if (a.target.startsWith('$dx:')) {
          const i = prog.state.indexOf(a.target.slice(4));
          lines.push(`adj[${this.L.L[p.index]![i]!}u + i0] = ${this.expr(p, a.expr, r)};`);
        } else if (a.target.startsWith('$din:')) {
          // dL/d(arrivals) over the arrivals of the step, which the step has read
          const i = prog.ports.indexOf(a.target.slice(5));
          lines.push(`st[${this.L.SIN[p.index]![i]!}u + o] = ${this.expr(p, a.expr, r)};`);
        } else lines.push(`let ${r(a.target)} = ${this.expr(p, a.expr, r)};`);
      }
      body.push(`for (var n = lid.x; n < ${N}u; n += ${WG}u) {`, ...lines.map((l) => `  ${l}`), '}');
    }
    body.push('storageBarrier();');
    // The pre spikes' adjoint: dL/ds_pre[k - lag] += W · dL/d(arrivals)[k], one thread per pre
    // neuron, the thread that runs the neuron's own step (so no barrier orders the ring), while the
    // others may already be in step k - 1, which neither writes dL/d(arrivals)[k] nor reads the
    // ring slots written here (lag ≥ 2): one barrier per step.
    for (const pr of this.plan.projections) {
      const pre = this.plan.populations[pr.pre]!;
      if (this.L.AS[pre.index]! < 0) continue;
      const post = this.plan.populations[pr.post]!;
      body.push(
        `if (k >= ${pr.lag}u) {`,
        `  let g0 = ${this.L.SIN[post.index]![pr.port]}u + ((k - k0) * ${B}u + b) * ${post.size}u;`,
        `  let a0 = ${this.L.AS[pre.index]}u + (((k - ${pr.lag}u) % ${this.L.ring[pre.index]}u) * ${B}u + b) * ${pre.size}u;`,
        `  for (var j = lid.x; j < ${pr.rows}u; j += ${WG}u) {`,
        // only where the pre neuron's step reads it (σ' ≠ 0), when gated
        ...(this.L.GB[pre.index]! >= 0 ? [`    if (${this.spikeAt(pre, `(k - ${pr.lag}u)`, 'b', 'j', this.L.GB[pre.index]!)} == 0u) { continue; }`] : []),
        '    var acc = 0.0;',
        `    let w0 = ${this.wOff[pr.index]}u + j * ${pr.cols}u;`,
        `    for (var i = 0u; i < ${pr.cols}u; i++) { acc += wts[w0 + i] * st[g0 + i]; }`,
        '    adj[a0 + j] += acc;',
        '  }',
        '}',
      );
    }
    return [
      this.header(['read> wts: array<f32>', 'read_write> st: array<f32>', 'read> ev: array<u32>', 'read_write> adj: array<f32>', 'read> seg: array<u32>']),
      this.stepFunctions(),
      `@compute @workgroup_size(${WG})`,
      'fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {',
      // a network without hidden projections reads no weights here, but the bind group binds them
      '  _ = &wts;',
      '  _ = &ev;',
      '  _ = &adj;',
      '  let b = wid.x;',
      '  let sg = seg[0];',
      `  let k0 = sg * ${K}u;`,
      `  let k1 = min(k0 + ${K}u, ${T}u);`,
      ...recompute.map((l) => `  ${l}`),
      '  storageBarrier();',
      '  for (var kk = k0; kk < k1; kk++) {',
      '    let k = k1 - 1u - (kk - k0);',
      ...body.map((l) => `    ${l}`),
      '  }',
      '}',
    ].join('\n');
  }

  /**
   * dL/dW[j][i] += Σ_{k in the segment} Σ_b s_pre[k - lag][b][j] · dL/d(arrivals)[k][b][i]: one
   * thread per pre neuron j and block of GRAD_BLOCK post neurons, so that one test of the spike
   * bit serves the block.
   */
  gradient(index: number, gwOff: number): string {
    const pr = this.plan.projections[index]!;
    const pre = this.plan.populations[pr.pre]!;
    const post = this.plan.populations[pr.post]!;
    const { B, T, K } = this.L;
    const { size: IB, blocks } = gradientBlocks(pr.cols);
    const cols = Array.from({ length: IB }, (_, c) => c);
    const tail = pr.cols % IB !== 0;
    const guard = (c: number, stmt: string): string => (tail && c > 0 ? `if (i0 + ${c}u < ${pr.cols}u) { ${stmt} }` : stmt);
    return [
      this.header(['read> ev: array<u32>', 'read> st: array<f32>', 'read_write> gw: array<f32>', 'read> seg: array<u32>']),
      `@compute @workgroup_size(${WG})`,
      'fn main(@builtin(global_invocation_id) gid: vec3u) {',
      `  let q = gid.x;`,
      `  if (q >= ${pr.rows * blocks}u) { return; }`,
      `  let j = q / ${blocks}u;`,
      `  let i0 = (q % ${blocks}u) * ${IB}u;`,
      `  let k0 = seg[0] * ${K}u;`,
      `  let k1 = min(k0 + ${K}u, ${T}u);`,
      ...cols.map((c) => `  var acc${c} = 0.0;`),
      `  for (var k = max(k0, ${pr.lag}u); k < k1; k++) {`,
      `    for (var b = 0u; b < ${B}u; b++) {`,
      `      let c = ${this.spikeAt(pre, `(k - ${pr.lag}u)`, 'b', 'j')};`,
      '      if (c != 0u) {',
      '        let cf = f32(c);',
      `        let g0 = ${this.L.SIN[post.index]![pr.port]}u + ((k - k0) * ${B}u + b) * ${post.size}u + i0;`,
      ...cols.map((c) => `        ${guard(c, `acc${c} += cf * st[g0 + ${c}u];`)}`),
      '      }',
      '    }',
      '  }',
      `  let q0 = ${gwOff}u + j * ${pr.cols}u + i0;`,
      ...cols.map((c) => `  ${guard(c, `gw[q0 + ${c}u] += acc${c};`)}`),
      '}',
    ].join('\n');
  }
}
