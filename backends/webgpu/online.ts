/// <reference types="@webgpu/types" />
/**
 * Online training on WebGPU (float32): the CPU online engine's computation (backends/cpu/online.ts,
 * spec/training.md §Online) in compute shaders generated from the same step and tangent programs.
 * Memory does not grow with the number of steps: per sample and trainable synapse the engine keeps
 * its eligibility traces, nothing over time.
 *
 * The time loop runs on the host, every step a few dispatches in one compute pass (WebGPU orders
 * the dispatches of a pass, each seeing the writes of those before it):
 *
 * 1. `forward`, one thread per sample and neuron of every population: the data population copies
 *    its row of the step; every other population sums the weights of the spikes that arrive
 *    (dense, from its presynaptic populations' rings of the last `lag` steps), runs the step,
 *    writes its spike into its ring and, when learning, the tangent program's outputs that are
 *    not constants of the model; the readout population also updates the readout (max, sum or
 *    last) and, for mse(targets), the readout variable over time;
 * 2. `error` (learning), one thread per sample: the readout's error this step, dL_k/dy(k);
 * 3. one trace kernel per trainable projection, one thread per synapse looping over the samples
 *    (so that it alone adds to its weight's gradient): e¹ = J·e + Jin·s_pre and, into a spiking
 *    population, Σ L(k−1)·f(k−1) and the filtered trace f, exactly as backends/cpu/online-kernels.ts
 *    (constant Jacobian entries are literals there and here);
 * 4. `signal` (learning): each spiking population's learning signal L = B·err, which the trace
 *    kernels of the next step read;
 * 5. `tick`: the step counter, which every kernel reads, goes up by one.
 *
 * After the last step one kernel per projection into a spiking population adds the last Σ L·f
 * term. Steps are submitted in chunks of CHUNK: before each, the data's rows (and mse's target
 * rows) for those steps are written into a buffer of CHUNK rows, so nothing the engine allocates
 * depends on T, except the readout variable over time that mse(targets) reads (as on the CPU).
 *
 * The dispatches cost little: ~20 µs each on lavapipe, against ~6 ms for the trace kernel of a
 * 100 × 100 projection and 32 samples, so a time loop inside one shader (with workgroup
 * barriers, and per-sample gradients to sum) would save under 1 % there. The kernels read the
 * batch size from `ctl` and are compiled once per engine (lavapipe compiles a shader on its first
 * dispatch, seconds for these), whatever the batch sizes.
 *
 * Buffers: `wts` (weights, per-neuron parameters, random feedback matrices) and `gw` (the weight
 * gradients) live with the engine; per batch, made when its size changes: `st` (f32 arena:
 * state, spike rings, counts, tangent outputs, learning signals, error, readout, labels, the
 * chunk's data and target rows), `ctl` (u32: step, T, learn, B), and per trainable projection its
 * traces `e` [B][rows][cols][nx] and, into a spiking population, `f` [B][rows][cols][nr]; for
 * mse(targets), the readout variable over time [(T+1)][B][N]. `storedBytes` is their total.
 */
import { STEP, type StepProgram } from '../../compiler/grad/step.js';
import { TANGENT, tangentProgram, type TangentProgram } from '../../compiler/grad/tangent.js';
import { evaluate } from '../../compiler/ir/eval.js';
import type { IRExpr } from '../../compiler/ir/types.js';
import type { SpikeSample } from '../../stdlib/data/dataset.js';
import { specialize } from '../cpu/codegen.js';
import { CpuOnlineEngine, randomFeedback, type OnlineOptions } from '../cpu/online.js';
import { initialState } from '../training/batch.js';
import type { BatchForward, TrainEngine } from '../training/engine.js';
import { lossReadsOverTime } from '../training/loss.js';
import { TrainPlanError, type PlanPopulation, type PlanProjection, type TrainPlan } from '../training/plan.js';
import { bindGroup, checkStorageSize, dispatch, emptyBuffer, pipeline, read, write } from './buffers.js';
import type { WebGpu } from './device.js';
import { wgsl, wgslBool, wgslIdent, wgslNumber, WGSL_HELPERS } from './wgsl.js';

const WG = 64;
/** Steps per submission (and rows of the data and target buffers). */
export const CHUNK = 16;

/** A stepped population, with its tangent program and which of its outputs are constants of the model. */
interface OnlinePop {
  plan: PlanPopulation & { program: StepProgram };
  tan: TangentProgram;
  /** Per tangent output: its value where the model makes it a constant (then it is a literal, never stored). */
  constant: (number | undefined)[];
  /** Whether the traces of some trainable projection read its tangent outputs. */
  traced: boolean;
}

/**
 * Offsets of every array in the `st` arena, in f32 elements per sample: every array is B times
 * as long as for one sample, so that its offset for a batch of B is B times the one here, and the
 * kernels, which read B from `ctl`, serve every batch size.
 */
interface Layout {
  /** Per population: its spike ring [ring][B][N] and the ring's length. */
  S: number[];
  ring: number[];
  /** Per population and state variable: the state [B][N] (none for the data population). */
  CUR: number[][];
  /** Per population: spike counts [B][N] (-1: never spikes). */
  CNT: number[];
  /** Per population and tangent output: this step's value [B][N] (-1: a constant, or not needed). */
  OUT: number[][];
  /** Per population: the learning signal of the last step [B][N] (-1: none). */
  SIG: number[];
  /** The readout's error this step [B][No], the readout [B][No], the labels [B]. */
  ERR: number;
  RD: number;
  LBL: number;
  /** The data population's rows of the chunk [CHUNK][B][Nin]; mse's target rows [CHUNK][B][No] (-1: none). */
  INP: number;
  TGT: number;
  st: number;
}

interface Compiled {
  forward: GPUComputePipeline;
  error: GPUComputePipeline;
  signal?: GPUComputePipeline;
  tick: GPUComputePipeline;
  /** Per trainable projection, in plan order: its trace kernel and, into a spiking population, the last Σ L·f. */
  traces: { pr: PlanProjection; kernel: GPUComputePipeline; last?: GPUComputePipeline }[];
}

/** The buffers of one batch size, and the bind groups over them. */
interface BatchBuffers {
  B: number;
  st: GPUBuffer;
  ctl: GPUBuffer;
  e: GPUBuffer[];
  f: (GPUBuffer | undefined)[];
  /** The readout variable over time (mse(targets)), for `T` steps. */
  tr?: GPUBuffer;
  T: number;
  groups: Map<GPUComputePipeline, GPUBindGroup>;
}

/** Workgroups for `n` threads, spread over y when x would exceed the device's limit. */
function grid(n: number, max: number): [number, number] {
  const groups = Math.max(1, Math.ceil(n / WG));
  const x = Math.min(groups, max);
  return [x, Math.ceil(groups / x)];
}

export class WebGpuOnlineEngine implements TrainEngine {
  readonly backend = 'webgpu';
  readonly device: string;
  private W: Float64Array[];
  /** Offsets in `wts` of each projection's weights and each population's per-neuron parameters. */
  private wOff: number[] = [];
  private pOff = new Map<string, number>();
  /** Per spiking population with a learning signal: the projection to the readout (symmetric) or the offset of B in `wts` (random). */
  private readonly feedbackOf = new Map<number, PlanProjection | number>();
  private wts: GPUBuffer;
  private gw: GPUBuffer;
  private gwOff: number[] = [];
  private readonly pops: (OnlinePop | undefined)[];
  private readonly roVar: number;
  /** The readout model's Jacobians at rest: J [nr][nr], Jin [nr] per port. */
  private readoutJ = new Float64Array(0);
  private readoutJin: Float64Array[] = [];
  private readonly L: Layout;
  private compiled?: Promise<Compiled>;
  private buffers?: BatchBuffers;
  storedBytes = 0;

  private constructor(
    readonly plan: TrainPlan,
    private readonly gpu: WebGpu,
    opts: OnlineOptions,
  ) {
    // the CPU engine's constructor refuses what online training cannot do (TrainPlanError): the same refusals here
    void new CpuOnlineEngine(plan, opts);
    this.device = `${gpu.adapter.description || gpu.adapter.vendor}${gpu.software ? ' (software)' : ''}, float32, online (eligibility traces)`;
    for (const pr of plan.projections) {
      if (!pr.identity) throw new TrainPlanError(`'${pr.name}' connects part of a population; the WebGPU backend trains projections between whole populations only`, `projection:${pr.name}`, 'use --backend cpu');
    }
    const ro = plan.readout;
    this.roVar = ro.population.program!.state.indexOf(ro.variable);
    const surrogateOpts = { dt: plan.dt, surrogate: plan.train.surrogate, resetGradient: plan.train.resetGradient };
    const tracedPops = new Set(plan.projections.filter((pr) => pr.trainable).map((pr) => pr.post));
    this.pops = plan.populations.map((p) => {
      if (!p.program) return undefined;
      const tan = tangentProgram(p.program, surrogateOpts);
      const scalars = scalarParams(p);
      const exprOf = new Map(tan.assignments.map((a) => [a.target, a.expr]));
      const constant = tan.outputs.map((o) => {
        const s = specialize(exprOf.get(o)!, scalars);
        return 'num' in s && Number.isFinite(s.num) ? s.num : undefined;
      });
      return { plan: p as PlanPopulation & { program: StepProgram }, tan, constant, traced: tracedPops.has(p.index) };
    });
    this.W = plan.projections.map((p) => Float64Array.from(p.weight));
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
    /** The random feedback matrices and their offsets in `wts`. */
    const random: [number, Float64Array][] = [];
    const roIndex = ro.population.index;
    for (const pr of plan.projections) {
      if (!pr.trainable || pr.post === roIndex || this.feedbackOf.has(pr.post)) continue;
      const post = plan.populations[pr.post]!;
      if (opts.feedback === 'random') {
        const B = randomFeedback(plan, post);
        random.push([n, B]);
        this.feedbackOf.set(post.index, n);
        n += B.length;
      } else this.feedbackOf.set(post.index, plan.projections.find((q) => q.pre === post.index && q.post === roIndex)!);
    }
    this.wts = emptyBuffer(gpu, Math.max(4, n * 4), 'wts');
    const img = new Float32Array(this.wts.size / 4);
    this.W.forEach((w, i) => img.set(w, this.wOff[i]));
    for (const p of plan.populations) {
      for (const [k, v] of Object.entries(p.params)) if (typeof v !== 'number') img.set(v, this.pOff.get(`${p.index}:${k}`)!);
    }
    for (const [off, B] of random) img.set(B, off);
    write(gpu, this.wts, img);
    let g = 0;
    for (const w of this.W) {
      this.gwOff.push(g);
      g += w.length;
    }
    this.gw = emptyBuffer(gpu, Math.max(4, g * 4), 'gw');
    this.readoutJacobians();
    this.L = this.layout();
  }

  static async create(plan: TrainPlan, gpu: WebGpu, opts: OnlineOptions = {}): Promise<WebGpuOnlineEngine> {
    return new WebGpuOnlineEngine(plan, gpu, opts);
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
   * The readout model's Jacobians at rest (neuron 0, its initial state, no input, no spike): what
   * filters a spike's eligibility, as the CPU engine computes them.
   */
  private readoutJacobians(): void {
    const ro = this.pops[this.plan.readout.population.index]!;
    const { tan, plan: p } = ro;
    const env = new Map<string, number>();
    for (const [k, v] of Object.entries(p.params)) env.set(k, typeof v === 'number' ? v : v[0]!);
    for (const x of tan.state) {
      const init = p.initial[x] ?? 0;
      env.set(x, typeof init === 'number' ? init : init[0]!);
    }
    for (const port of tan.ports) env.set(STEP.input(port), 0);
    env.set(STEP.spike, 0);
    const scalars = scalarParams(p);
    for (const a of tan.assignments) {
      env.set(
        a.target,
        evaluate(specialize(a.expr, scalars), (name) => {
          const v = env.get(name);
          if (v === undefined) throw new Error(`readout Jacobians: '${name}' has no value`);
          return v;
        }),
      );
    }
    this.readoutJ = Float64Array.from(tan.state.flatMap((x) => tan.state.map((y) => env.get(TANGENT.state(x, y))!)));
    this.readoutJin = tan.ports.map((port) => Float64Array.from(tan.state.map((x) => env.get(TANGENT.input(x, port))!)));
  }

  /** The readout port that the spiking target of `pr` feeds (where its spikes arrive in the readout). */
  private readoutPort(pr: PlanProjection): number {
    const roIndex = this.plan.readout.population.index;
    return this.plan.projections.find((q) => q.pre === pr.post && q.post === roIndex)?.port ?? 0;
  }

  private layout(): Layout {
    let end = 0;
    const take = (n: number): number => (end += n) - n;
    const plan = this.plan;
    const No = plan.readout.population.size;
    const L: Layout = { S: [], ring: [], CUR: [], CNT: [], OUT: [], SIG: [], ERR: 0, RD: 0, LBL: 0, INP: 0, TGT: -1, st: 0 };
    for (const p of plan.populations) {
      const N = p.size;
      const ring = 1 + Math.max(0, ...plan.projections.filter((pr) => pr.pre === p.index).map((pr) => pr.lag));
      const op = this.pops[p.index];
      L.ring.push(ring);
      L.S.push(take(ring * N));
      L.CUR.push(op ? op.tan.state.map(() => take(N)) : []);
      L.CNT.push(op?.plan.program.spikeCondition ? take(N) : -1);
      L.OUT.push(op ? op.constant.map((c) => (op.traced && c === undefined ? take(N) : -1)) : []);
      L.SIG.push(this.feedbackOf.has(p.index) ? take(N) : -1);
    }
    L.ERR = take(No);
    L.RD = take(No);
    L.LBL = take(1);
    L.INP = take(CHUNK * plan.input.size);
    if (plan.train.loss.kind === 'mse') L.TGT = take(CHUNK * No);
    L.st = end;
    return L;
  }

  /** The kernels, compiled once for every batch size. */
  private compile(): Promise<Compiled> {
    if (!this.compiled) {
      const c = this.build();
      this.compiled = c;
      c.catch(() => {
        if (this.compiled === c) this.compiled = undefined;
      });
    }
    return this.compiled;
  }

  private async build(): Promise<Compiled> {
    const gen = new ShaderGen(this.plan, this.L, this.shaderInputs());
    const trainable = this.plan.projections.filter((pr) => pr.trainable);
    const [forward, error, tick, signal] = await Promise.all([
      pipeline(this.gpu, gen.forward(), 'main'),
      pipeline(this.gpu, gen.error(), 'main'),
      pipeline(this.gpu, gen.tick(), 'main'),
      this.feedbackOf.size > 0 ? pipeline(this.gpu, gen.signal(), 'main') : Promise.resolve(undefined),
    ]);
    const traces = await Promise.all(
      trainable.map(async (pr) => {
        const spiking = pr.post !== this.plan.readout.population.index;
        const [kernel, last] = await Promise.all([pipeline(this.gpu, gen.trace(pr), 'main'), spiking ? pipeline(this.gpu, gen.last(pr), 'main') : Promise.resolve(undefined)]);
        return { pr, kernel: kernel!, ...(last ? { last } : {}) };
      }),
    );
    return { forward: forward!, error: error!, tick: tick!, ...(signal ? { signal } : {}), traces };
  }

  /** Elements of a projection's traces e and f (0: none) for a batch of B. */
  private traceSizes(pr: PlanProjection, B: number): { e: number; f: number } {
    const nx = this.pops[pr.post]!.tan.state.length;
    const nr = this.pops[this.plan.readout.population.index]!.tan.state.length;
    const n = B * pr.rows * pr.cols;
    return { e: n * nx, f: pr.post === this.plan.readout.population.index ? 0 : n * nr };
  }

  /** The buffers of a batch of B over T steps, made when B (or, for mse's trace, T) changes. */
  private batchBuffers(c: Compiled, B: number, T: number): BatchBuffers {
    const mse = lossReadsOverTime(this.plan.train.loss) === 'trace';
    let buf = this.buffers;
    if (buf?.B !== B) {
      this.freeBuffers();
      checkStorageSize(this.gpu, B * this.L.st * 4, `the state of a batch of ${B}`);
      const sized = c.traces.map((t) => this.traceSizes(t.pr, B));
      for (const [i, s] of sized.entries()) {
        const name = c.traces[i]!.pr.name;
        checkStorageSize(this.gpu, s.e * 4, `the traces of '${name}' for a batch of ${B}`);
        checkStorageSize(this.gpu, s.f * 4, `the filtered traces of '${name}' for a batch of ${B}`);
      }
      buf = {
        B,
        st: emptyBuffer(this.gpu, B * this.L.st * 4, 'st'),
        ctl: emptyBuffer(this.gpu, 16, 'ctl'),
        e: sized.map((s, i) => emptyBuffer(this.gpu, s.e * 4, `e ${c.traces[i]!.pr.name}`)),
        f: sized.map((s, i) => (s.f > 0 ? emptyBuffer(this.gpu, s.f * 4, `f ${c.traces[i]!.pr.name}`) : undefined)),
        T: -1,
        groups: new Map(),
      };
      this.buffers = buf;
    }
    if (mse && buf.T !== T) {
      buf.tr?.destroy();
      const n = (T + 1) * B * this.plan.readout.population.size;
      checkStorageSize(this.gpu, n * 4, `the readout over ${T} steps for a batch of ${B}`);
      buf.tr = emptyBuffer(this.gpu, n * 4, 'readout over time');
      buf.groups.delete(c.forward);
    }
    buf.T = T;
    return buf;
  }

  private freeBuffers(): void {
    const b = this.buffers;
    if (!b) return;
    for (const x of [b.st, b.ctl, ...b.e, ...b.f, b.tr]) x?.destroy();
    this.buffers = undefined;
  }

  private batchBytes(): number {
    const b = this.buffers;
    return b ? [b.st, b.ctl, ...b.e, ...b.f, b.tr].reduce((a, x) => a + (x?.size ?? 0), 0) : 0;
  }

  /** The bind group of `p` over `bindings`, cached with the batch buffers. */
  private group(buf: BatchBuffers, p: GPUComputePipeline, bindings: () => GPUBuffer[]): GPUBindGroup {
    let g = buf.groups.get(p);
    if (!g) buf.groups.set(p, (g = bindGroup(this.gpu, p, bindings())));
    return g;
  }

  /**
   * Runs the batch; with `learn` (the default, a training batch) it also carries the traces and
   * sums the gradient, which backward() returns.
   */
  async forward(samples: readonly SpikeSample[], steps: number, learn = true): Promise<BatchForward> {
    const B = samples.length;
    const T = steps;
    const plan = this.plan;
    const ro = plan.readout;
    const No = ro.population.size;
    const c = await this.compile();
    const buf = this.batchBuffers(c, B, T);
    const mse = plan.train.loss.kind === 'mse';
    /** The offset of an array in the arena for this batch. */
    const at = (off: number): number => B * off;
    // the arena's start: initial state, empty rings and counts, no signal, the readout's start, labels
    const img = new Float32Array(B * this.L.st);
    for (const op of this.pops) {
      if (!op) continue;
      op.tan.state.forEach((x, i) => initialState(op.plan, x, B, img.subarray(at(this.L.CUR[op.plan.index]![i]!), at(this.L.CUR[op.plan.index]![i]!) + B * op.plan.size)));
    }
    img.fill(ro.kind === 'max_over_time' ? -Infinity : 0, at(this.L.RD), at(this.L.RD) + B * No);
    samples.forEach((s, b) => (img[at(this.L.LBL) + b] = s.label));
    write(this.gpu, buf.st, img);
    write(this.gpu, buf.ctl, Uint32Array.of(0, T, learn ? 1 : 0, B));
    const y0 = at(this.L.CUR[ro.population.index]![this.roVar]!);
    if (buf.tr) write(this.gpu, buf.tr, img.slice(y0, y0 + B * No));
    const start = this.gpu.device.createCommandEncoder();
    start.clearBuffer(this.gw);
    for (const x of [...buf.e, ...buf.f]) if (x) start.clearBuffer(x);
    this.gpu.device.queue.submit([start.finish()]);

    const maxGroups = this.gpu.device.limits.maxComputeWorkgroupsPerDimension;
    const fwdThreads = plan.populations.reduce((a, p) => a + B * p.size, 0);
    const sigThreads = [...this.feedbackOf.keys()].reduce((a, i) => a + B * plan.populations[i]!.size, 0);
    const groups = {
      forward: this.group(buf, c.forward, () => [this.wts, buf.st, buf.ctl, ...(buf.tr ? [buf.tr] : [])]),
      error: this.group(buf, c.error, () => [buf.st, buf.ctl]),
      tick: this.group(buf, c.tick, () => [buf.ctl]),
      signal: c.signal ? this.group(buf, c.signal, () => [this.wts, buf.st, buf.ctl]) : undefined,
      traces: c.traces.map((t, i) => this.group(buf, t.kernel, () => [buf.st, buf.ctl, buf.e[i]!, ...(buf.f[i] ? [buf.f[i]] : []), this.gw])),
      last: c.traces.map((t, i) => (t.last ? this.group(buf, t.last, () => [buf.st, buf.ctl, buf.f[i]!, this.gw]) : undefined)),
    };
    const Nin = plan.input.size;
    const rows = new Float32Array(CHUNK * B * Nin);
    const targets = mse ? new Float32Array(CHUNK * B * No) : undefined;
    for (let k0 = 0; k0 < T; k0 += CHUNK) {
      const k1 = Math.min(T, k0 + CHUNK);
      this.chunkRows(samples, k0, k1, rows);
      write(this.gpu, buf.st, rows, at(this.L.INP) * 4);
      if (targets) {
        for (let b = 0; b < B; b++) {
          const t = samples[b]!.trace;
          if (!t) throw new Error('mse: a sample has no target trace');
          for (let k = k0; k < k1; k++) for (let o = 0; o < No; o++) targets[((k - k0) * B + b) * No + o] = t[k * No + o]!;
        }
        write(this.gpu, buf.st, targets, at(this.L.TGT) * 4);
      }
      const enc = this.gpu.device.createCommandEncoder();
      const pass = enc.beginComputePass();
      for (let k = k0; k < k1; k++) {
        dispatch(this.gpu, c.forward, groups.forward, grid(fwdThreads, maxGroups), pass);
        if (learn) {
          dispatch(this.gpu, c.error, groups.error, grid(B, maxGroups), pass);
          c.traces.forEach((t, i) => dispatch(this.gpu, t.kernel, groups.traces[i]!, grid(t.pr.rows * t.pr.cols, maxGroups), pass));
          if (c.signal) dispatch(this.gpu, c.signal, groups.signal!, grid(sigThreads, maxGroups), pass);
        }
        dispatch(this.gpu, c.tick, groups.tick, [1], pass);
      }
      if (learn && k1 === T) {
        c.traces.forEach((t, i) => {
          if (t.last) dispatch(this.gpu, t.last, groups.last[i]!, grid(t.pr.rows * t.pr.cols, maxGroups), pass);
        });
      }
      pass.end();
      this.gpu.device.queue.submit([enc.finish()]);
    }
    this.storedBytes = this.batchBytes();
    const readout = Float64Array.from(await read(this.gpu, buf.st, Float32Array, { byteOffset: at(this.L.RD) * 4, length: B * No }));
    if (ro.kind === 'mean_over_time') for (let n = 0; n < readout.length; n++) readout[n]! /= T;
    const counts = new Map<string, Float64Array>();
    for (const p of plan.populations) {
      if (!p.program?.margin || this.L.CNT[p.index]! < 0) continue;
      counts.set(p.name, Float64Array.from(await read(this.gpu, buf.st, Float32Array, { byteOffset: at(this.L.CNT[p.index]!) * 4, length: B * p.size })));
    }
    const f: BatchForward = { readout, counts };
    if (buf.tr) f.trace = Float64Array.from(await read(this.gpu, buf.tr, Float32Array));
    return f;
  }

  /** The data population's spike counts of steps k0..k1-1, [CHUNK][B][N] (several events in a bin add up). */
  private chunkRows(samples: readonly SpikeSample[], k0: number, k1: number, out: Float32Array): void {
    out.fill(0);
    const B = samples.length;
    const N = this.plan.input.size;
    samples.forEach((s, b) => {
      for (let e = 0; e < s.steps.length; e++) {
        const k = s.steps[e]!;
        if (k >= k0 && k < k1) out[((k - k0) * B + b) * N + s.units[e]!]! += 1;
      }
    });
  }

  async backward(): Promise<Float64Array[]> {
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

  /** What the shader generator reads from the engine. */
  private shaderInputs(): ShaderInputs {
    const nr = this.pops[this.plan.readout.population.index]!.tan.state.length;
    return {
      pops: this.pops,
      wOff: this.wOff,
      pOff: this.pOff,
      gwOff: this.gwOff,
      feedbackOf: this.feedbackOf,
      roVar: this.roVar,
      readoutJ: this.readoutJ,
      readoutJin: (pr) => this.readoutJin[this.readoutPort(pr)] ?? new Float64Array(nr),
    };
  }
}

interface ShaderInputs {
  pops: readonly (OnlinePop | undefined)[];
  wOff: readonly number[];
  pOff: ReadonlyMap<string, number>;
  gwOff: readonly number[];
  feedbackOf: ReadonlyMap<number, PlanProjection | number>;
  roVar: number;
  readoutJ: Float64Array;
  readoutJin: (pr: PlanProjection) => Float64Array;
}

function scalarParams(p: PlanPopulation): Map<string, number> {
  return new Map(Object.entries(p.params).filter((e): e is [string, number] => typeof e[1] === 'number'));
}

/** A term of a sum: a coefficient (a literal, or a WGSL expression) times a WGSL expression. */
type Coefficient = number | string;

/** Σ c·x as WGSL, without the zero terms and the unit coefficients ('0.0' when nothing is left). */
function sum(terms: [Coefficient, string][]): string {
  const kept = terms.filter(([c]) => c !== 0);
  if (kept.length === 0) return '0.0';
  return kept.map(([c, x]) => (c === 1 ? x : `${typeof c === 'number' ? wgslNumber(c) : c} * ${x}`)).join(' + ');
}

/**
 * Generates the kernels' WGSL. Every kernel reads the step k, T, whether it learns and the batch
 * size B from `ctl`, and an array of the arena at `B * offset` (see Layout).
 */
class ShaderGen {
  constructor(
    private readonly plan: TrainPlan,
    private readonly L: Layout,
    private readonly src: ShaderInputs,
  ) {}

  private header(bindings: string[]): string {
    return [...bindings.map((b, i) => `@group(0) @binding(${i}) var<storage, ${b};`), WGSL_HELPERS].join('\n');
  }

  /** The kernel's entry point: `t` is the thread's index (workgroups spread over x and y, see grid()), `B` the batch size. */
  private main(body: string[]): string {
    return [
      `@compute @workgroup_size(${WG})`,
      'fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(num_workgroups) nwg: vec3u) {',
      `  let t = (wid.y * nwg.x + wid.x) * ${WG}u + lid.x;`,
      '  let B = ctl[3];',
      ...body.map((l) => `  ${l}`),
      '}',
    ].join('\n');
  }

  /** The start of an array of the arena (per-sample offset `off`), as WGSL. */
  private at(off: number): string {
    return `B * ${off}u`;
  }

  private resolver(p: PlanPopulation, prog: { state: string[]; ports: string[] }): (name: string) => string {
    const stateSet = new Set(prog.state);
    const ports = new Set(prog.ports.map(STEP.input));
    return (name) => {
      const arr = this.src.pOff.get(`${p.index}:${name}`);
      if (arr !== undefined) return `wts[${arr}u + n]`;
      if (stateSet.has(name)) return wgslIdent('x', name);
      if (ports.has(name)) return wgslIdent('in', name);
      return wgslIdent('l', name);
    };
  }

  private expr(p: PlanPopulation, e: IRExpr, resolve: (n: string) => string): string {
    return wgsl(specialize(e, scalarParams(p)), resolve);
  }

  /** tanP(B, i, n, x…, in…, s): the tangent program's outputs that are not constants, into the arena at [b][n] (i = b·N + n). */
  private tangentFunction(op: OnlinePop): string {
    const p = op.plan;
    const tan = op.tan;
    const r = this.resolver(p, tan);
    const outAt = new Map(tan.outputs.map((o, i) => [o, this.L.OUT[p.index]![i]!]));
    const params = ['B: u32', 'i: u32', 'n: u32', ...tan.state.map((x) => `${wgslIdent('x', x)}: f32`), ...tan.ports.map((port) => `${wgslIdent('in', STEP.input(port))}: f32`), `${wgslIdent('l', STEP.spike)}: f32`];
    const lines: string[] = [];
    for (const a of tan.assignments) {
      const at = outAt.get(a.target);
      // constants (never stored) are still named, for the assignments that read them
      lines.push(`let ${r(a.target)} = ${this.expr(p, a.expr, r)};`);
      if (at !== undefined && at >= 0) lines.push(`st[${this.at(at)} + i] = ${r(a.target)};`);
    }
    return [`fn tan${p.index}(${params.join(', ')}) {`, ...lines.map((l) => `  ${l}`), '}'].join('\n');
  }

  /** One step of every population, a thread per sample and neuron (see the header). */
  forward(): string {
    const ro = this.plan.readout;
    const mse = this.plan.train.loss.kind === 'mse';
    const body: string[] = ['_ = &wts;', 'let k = ctl[0];', 'let learn = ctl[2] != 0u;', '_ = learn;'];
    const fns: string[] = [];
    let start = 0;
    for (const p of this.plan.populations) {
      const N = p.size;
      const lines: string[] = [`let i = t - B * ${start}u;`, `let b = i / ${N}u;`, `let n = i % ${N}u;`, '_ = b;'];
      const slot = `${this.at(this.L.S[p.index]!)} + (k % ${this.L.ring[p.index]}u) * B * ${N}u + i`;
      const op = this.src.pops[p.index];
      if (p.isInput) lines.push(`st[${slot}] = st[${this.at(this.L.INP)} + (k % ${CHUNK}u) * B * ${N}u + i];`);
      else if (op) {
        const prog = op.plan.program;
        const r = this.resolver(p, prog);
        prog.state.forEach((x, xi) => lines.push(`let ${wgslIdent('x', x)} = st[${this.at(this.L.CUR[p.index]![xi]!)} + i];`));
        prog.ports.forEach((_, pi) => lines.push(`var acc${pi} = 0.0;`));
        for (const pr of this.plan.projections) {
          if (pr.post !== p.index) continue;
          const pre = this.plan.populations[pr.pre]!;
          lines.push(
            `if (k >= ${pr.lag}u) {`,
            `  let s0 = ${this.at(this.L.S[pre.index]!)} + (((k - ${pr.lag}u) % ${this.L.ring[pre.index]}u) * B + b) * ${pre.size}u;`,
            `  for (var j = 0u; j < ${pr.rows}u; j++) {`,
            '    let c = st[s0 + j];',
            `    if (c != 0.0) { acc${pr.port} += c * wts[${this.src.wOff[pr.index]}u + j * ${pr.cols}u + n]; }`,
            '  }',
            '}',
          );
        }
        prog.ports.forEach((port, pi) => lines.push(`let ${wgslIdent('in', STEP.input(port))} = acc${pi};`));
        for (const a of prog.forward) lines.push(`let ${r(a.target)} = ${this.expr(p, a.expr, r)};`);
        lines.push(prog.spikeCondition ? `let s = select(0.0, 1.0, ${wgslBool(specialize(prog.spikeCondition, scalarParams(p)), r)});` : 'let s = 0.0;');
        prog.state.forEach((x, xi) => {
          const u = r(prog.updated[x]!);
          const rs = prog.reset[x];
          lines.push(`let y${xi} = ${rs ? `select(${u}, ${r(rs)}, s != 0.0)` : u};`);
        });
        if (op.traced) {
          // the Jacobians at the start of the step, from the state before it
          fns.push(this.tangentFunction(op));
          const args = ['B', 'i', 'n', ...prog.state.map((x) => wgslIdent('x', x)), ...prog.ports.map((port) => wgslIdent('in', STEP.input(port))), 's'];
          lines.push(`if (learn) { tan${p.index}(${args.join(', ')}); }`);
        }
        prog.state.forEach((_, xi) => lines.push(`st[${this.at(this.L.CUR[p.index]![xi]!)} + i] = y${xi};`));
        lines.push(`st[${slot}] = s;`);
        if (this.L.CNT[p.index]! >= 0) lines.push(`st[${this.at(this.L.CNT[p.index]!)} + i] += s;`);
        if (p === ro.population) {
          const y = `y${this.src.roVar}`;
          const rd = `st[${this.at(this.L.RD)} + i]`;
          lines.push(ro.kind === 'max_over_time' ? `${rd} = max(${rd}, ${y});` : ro.kind === 'mean_over_time' ? `${rd} += ${y};` : `${rd} = ${y};`);
          if (mse) lines.push(`tr[(k + 1u) * B * ${N}u + i] = ${y};`);
        }
      } else continue;
      body.push(`if (t >= B * ${start}u && t < B * ${start + N}u) {`, ...lines.map((l) => `  ${l}`), '  return;', '}');
      start += N;
    }
    return [
      this.header(['read> wts: array<f32>', 'read_write> st: array<f32>', 'read> ctl: array<u32>', ...(mse ? ['read_write> tr: array<f32>'] : [])]),
      ...fns,
      this.main(body),
    ].join('\n');
  }

  /** The readout's error this step, dL_k/dy(k), one thread per sample: (softmax(y) − onehot)/(T·B), or 2(y − target)/(T·B·N). */
  error(): string {
    const ro = this.plan.readout;
    const No = ro.population.size;
    const y = (o: string): string => `st[${this.at(this.L.CUR[ro.population.index]![this.src.roVar]!)} + b * ${No}u + ${o}]`;
    const err = (o: string): string => `st[${this.at(this.L.ERR)} + b * ${No}u + ${o}]`;
    const body = ['if (t >= B) { return; }', 'let b = t;', 'let k = ctl[0];', 'let T = f32(ctl[1]);'];
    if (this.plan.train.loss.kind === 'mse') {
      body.push(`for (var o = 0u; o < ${No}u; o++) {`, `  ${err('o')} = 2.0 * (${y('o')} - st[${this.at(this.L.TGT)} + ((k % ${CHUNK}u) * B + b) * ${No}u + o]) / (T * f32(B * ${No}u));`, '}');
    } else {
      body.push(
        'var mx = -3.4e38;',
        `for (var o = 0u; o < ${No}u; o++) { mx = max(mx, ${y('o')}); }`,
        'var z = 0.0;',
        `for (var o = 0u; o < ${No}u; o++) { z += exp(${y('o')} - mx); }`,
        `let label = u32(st[${this.at(this.L.LBL)} + b]);`,
        `for (var o = 0u; o < ${No}u; o++) { ${err('o')} = (exp(${y('o')} - mx) / z - select(0.0, 1.0, o == label)) / (T * f32(B)); }`,
      );
    }
    return [this.header(['read_write> st: array<f32>', 'read> ctl: array<u32>']), this.main(body)].join('\n');
  }

  /** Each spiking population's learning signal of this step, L = B·err, one thread per sample and neuron. */
  signal(): string {
    const No = this.plan.readout.population.size;
    const body: string[] = ['_ = &wts;'];
    let start = 0;
    for (const [index, fb] of this.src.feedbackOf) {
      const N = this.plan.populations[index]!.size;
      // B[n][o]: the weights n -> o of the projection to the readout (whole populations), or the random matrix
      const w = typeof fb === 'number' ? `wts[${fb}u + n * ${No}u + o]` : `wts[${this.src.wOff[fb.index]}u + n * ${fb.cols}u + o]`;
      body.push(
        `if (t >= B * ${start}u && t < B * ${start + N}u) {`,
        `  let i = t - B * ${start}u;`,
        `  let b = i / ${N}u;`,
        `  let n = i % ${N}u;`,
        '  var L = 0.0;',
        `  for (var o = 0u; o < ${No}u; o++) { L += ${w} * st[${this.at(this.L.ERR)} + b * ${No}u + o]; }`,
        `  st[${this.at(this.L.SIG[index]!)} + i] = L;`,
        '  return;',
        '}',
      );
      start += N;
    }
    return [this.header(['read> wts: array<f32>', 'read_write> st: array<f32>', 'read> ctl: array<u32>']), this.main(body)].join('\n');
  }

  tick(): string {
    return [this.header(['read_write> ctl: array<u32>']), '@compute @workgroup_size(1)', 'fn main() {', '  ctl[0] = ctl[0] + 1u;', '}'].join('\n');
  }

  /**
   * One step of a projection's traces and the gradient they give (backends/cpu/online-kernels.ts),
   * one thread per synapse (r, q), over the samples.
   */
  trace(pr: PlanProjection): string {
    const op = this.src.pops[pr.post]!;
    const tan = op.tan;
    const post = op.plan;
    const pre = this.plan.populations[pr.pre]!;
    const N = post.size;
    const port = post.program.ports[pr.port]!;
    const readout = pr.post === this.plan.readout.population.index;
    const outIndex = new Map(tan.outputs.map((o, i) => [o, i]));
    /** A per-neuron value: a literal when the model makes it constant. */
    const value = (name: string): Coefficient => {
      const i = outIndex.get(name)!;
      return op.constant[i] ?? `st[${this.at(this.L.OUT[post.index]![i]!)} + n]`;
    };
    const nx = tan.state.length;
    const J = (x: number, y: number): Coefficient => value(TANGENT.state(tan.state[x]!, tan.state[y]!));
    const Jin = (x: number): Coefficient => value(TANGENT.input(tan.state[x]!, port));
    const lines: string[] = [
      `let n = b * ${N}u + q;`,
      `let at = (b * ${pr.rows}u + r) * ${pr.cols}u + q;`,
      `let eo = at * ${nx}u;`,
      'var sp = 0.0;',
      `if (has) { sp = st[s0 + b * ${pre.size}u + r]; }`,
      ...tan.state.map((_, y) => `let e${y} = E[eo + ${y}u];`),
    ];
    if (!readout) {
      const RJ = this.src.readoutJ;
      const RJin = this.src.readoutJin(pr);
      const nr = RJin.length;
      lines.push(`let fo = at * ${nr}u;`);
      // Σ_k L(k) f(k): the previous step's signal with the filtered trace it saw
      lines.push(`acc += st[${this.at(this.L.SIG[post.index]!)} + n] * F[fo + ${this.src.roVar}u];`);
      const mw = sum([...tan.state.map((y, i): [Coefficient, string] => [value(TANGENT.marginState(y)), `e${i}`]), [value(TANGENT.marginInput(port)), 'sp']]);
      const sg = value(TANGENT.surrogate);
      lines.push(`let g = ${typeof sg === 'number' ? wgslNumber(sg) : sg} * (${mw});`);
      for (let x = 0; x < nr; x++) lines.push(`let f${x} = F[fo + ${x}u];`);
      for (let x = 0; x < nr; x++) {
        const terms: [Coefficient, string][] = [[RJin[x]!, 'g']];
        for (let y = 0; y < nr; y++) terms.push([RJ[x * nr + y]!, `f${y}`]);
        lines.push(`F[fo + ${x}u] = ${sum(terms)};`);
      }
    }
    for (let x = 0; x < nx; x++) {
      const terms: [Coefficient, string][] = [[Jin(x), 'sp']];
      for (let y = 0; y < nx; y++) terms.push([J(x, y), `e${y}`]);
      lines.push(`let n${x} = ${sum(terms)};`);
    }
    for (let x = 0; x < nx; x++) lines.push(`E[eo + ${x}u] = n${x};`);
    if (readout) lines.push(`acc += st[${this.at(this.L.ERR)} + n] * n${this.src.roVar};`);
    const ring = this.L.ring[pre.index]!;
    const body = [
      `if (t >= ${pr.rows * pr.cols}u) { return; }`,
      `let r = t / ${pr.cols}u;`,
      `let q = t % ${pr.cols}u;`,
      'let k = ctl[0];',
      // the presynaptic spikes that arrive this step, of step k − lag (none before the first delivery)
      `let has = k >= ${pr.lag}u;`,
      `let s0 = ${this.at(this.L.S[pre.index]!)} + ((k + ${ring - pr.lag}u) % ${ring}u) * B * ${pre.size}u;`,
      'var acc = 0.0;',
      'for (var b = 0u; b < B; b++) {',
      ...lines.map((l) => `  ${l}`),
      '}',
      `gw[${this.src.gwOff[pr.index]}u + t] += acc;`,
    ];
    const bindings = ['read> st: array<f32>', 'read> ctl: array<u32>', 'read_write> E: array<f32>', ...(readout ? [] : ['read_write> F: array<f32>']), 'read_write> gw: array<f32>'];
    return [this.header(bindings), this.main(body)].join('\n');
  }

  /** The last Σ L·f term of a projection into a spiking population, after the last step. */
  last(pr: PlanProjection): string {
    const N = this.plan.populations[pr.post]!.size;
    const nr = this.src.readoutJin(pr).length;
    const body = [
      `if (t >= ${pr.rows * pr.cols}u) { return; }`,
      `let r = t / ${pr.cols}u;`,
      `let q = t % ${pr.cols}u;`,
      'var acc = 0.0;',
      'for (var b = 0u; b < B; b++) {',
      `  let at = (b * ${pr.rows}u + r) * ${pr.cols}u + q;`,
      `  acc += st[${this.at(this.L.SIG[pr.post]!)} + b * ${N}u + q] * F[at * ${nr}u + ${this.src.roVar}u];`,
      '}',
      `gw[${this.src.gwOff[pr.index]}u + t] += acc;`,
    ];
    return [this.header(['read> st: array<f32>', 'read> ctl: array<u32>', 'read> F: array<f32>', 'read_write> gw: array<f32>']), this.main(body)].join('\n');
  }
}
