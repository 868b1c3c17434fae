/**
 * The WebGPU training backend: forward pass and backprop through time in float32 compute
 * shaders generated from the same step programs as the CPU reference (compiler/grad/step.ts).
 *
 * One workgroup runs one sample through all time steps and populations: samples are independent
 * and, since every delay is at least one step, a population reads only spikes of earlier steps,
 * so a workgroup barrier between steps is all the synchronisation needed. The whole time loop
 * is therefore inside one dispatch (forward) and one more (backward), instead of one dispatch
 * per step and layer (training.md §4.3: ~18 µs per dispatch on lavapipe). Weight gradients,
 * Σ_k Σ_b s_pre[k−d] · dL/d(arrivals)[k], are a third kernel, one thread per weight.
 *
 * Buffers are arenas with offsets baked into the shader: `wts` (weights and per-neuron
 * parameters), `st` (state over time), `ev` (arrivals, spikes, counts), `adj` (adjoints), `gw`.
 */
import { STEP, type StepProgram } from '../../compiler/grad/step.js';
import type { IRExpr } from '../../compiler/ir/types.js';
import { specialize } from '../cpu/codegen.js';
import type { SpikeSample } from '../../stdlib/data/dataset.js';
import { initialState, inputSpikes, readoutAdjoint, readoutOverTime } from '../training/batch.js';
import { lossReadsOverTime } from '../training/loss.js';
import type { BatchForward, OverTimeGradients, TrainEngine } from '../training/engine.js';
import { TrainPlanError, type PlanPopulation, type TrainPlan } from '../training/plan.js';
import { checkStorageSize, dispatch, emptyBuffer, pipeline, read, write } from './buffers.js';
import type { WebGpu } from './device.js';
import { wgsl, wgslBool, wgslIdent, WGSL_HELPERS } from './wgsl.js';

const WG = 64;

/** Offsets (in f32 elements) of every array in the arenas, for one batch size and length. */
interface Layout {
  B: number;
  T: number;
  /** Per population: state arrays X[var] [(T+1)][B][N] in `st`. */
  X: number[][];
  /** Per population: arrivals per port [T][B][N], spikes [T][B][N] and counts [B][N] in `ev`. */
  IN: number[][];
  S: number[];
  CNT: number[];
  /** In `adj`: dL/d(spike) [T][B][N], λ per var [B][N], dL/d(count) [B][N], dL/d(arrivals) per port [T][B][N]. */
  AS: number[];
  L: number[][];
  DC: number[];
  GIN: number[][];
  /** dL/d(readout variable) at each step [(T+1)][B][N] of the readout population. */
  RADJ: number;
  st: number;
  ev: number;
  adj: number;
}

interface Compiled {
  layout: Layout;
  forward: GPUComputePipeline;
  backward: GPUComputePipeline;
  gradients: GPUComputePipeline[];
  buffers: { st: GPUBuffer; ev: GPUBuffer; adj: GPUBuffer };
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
  private argmax: Int32Array = new Int32Array(0);
  storedBytes = 0;

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

  private layout(B: number, T: number): Layout {
    const ends = { st: 0, ev: 0, adj: 0 };
    /** The offset of `n` more floats in an arena. */
    const take = (arena: keyof typeof ends, n: number): number => (ends[arena] += n) - n;
    const L: Layout = { B, T, X: [], IN: [], S: [], CNT: [], AS: [], L: [], DC: [], GIN: [], RADJ: 0, st: 0, ev: 0, adj: 0 };
    for (const p of this.plan.populations) {
      const BN = B * p.size;
      const state = p.program?.state ?? [];
      const ports = p.program?.ports ?? [];
      L.X.push(state.map(() => take('st', (T + 1) * BN)));
      L.IN.push(ports.map(() => take('ev', T * BN)));
      L.S.push(take('ev', T * BN));
      L.CNT.push(take('ev', BN));
      L.AS.push(take('adj', T * BN));
      L.L.push(state.map(() => take('adj', BN)));
      L.DC.push(take('adj', BN));
      L.GIN.push(ports.map(() => take('adj', T * BN)));
    }
    L.RADJ = take('adj', (T + 1) * B * this.plan.readout.population.size);
    L.st = Math.max(1, ends.st);
    L.ev = Math.max(1, ends.ev);
    L.adj = Math.max(1, ends.adj);
    return L;
  }

  private async compile(B: number, T: number): Promise<Compiled> {
    const key = `${B}x${T}`;
    const hit = this.compiled.get(key);
    if (hit) return hit;
    const layout = this.layout(B, T);
    for (const [what, n] of [['state', layout.st], ['spikes and arrivals', layout.ev], ['adjoints', layout.adj]] as const) checkStorageSize(this.gpu, n * 4, `the ${what} of a batch of ${B} × ${T} steps`);
    const gen = new ShaderGen(this.plan, layout, this.wOff, this.pOff);
    const [forward, backward, ...gradients] = await Promise.all([
      pipeline(this.gpu, gen.forward(), 'main'),
      pipeline(this.gpu, gen.backward(), 'main'),
      ...this.plan.projections.map((pr, i) => pipeline(this.gpu, gen.gradient(i, this.gwOff[i]!), 'main')),
    ]);
    const c: Compiled = {
      layout,
      forward: forward!,
      backward: backward!,
      gradients,
      buffers: { st: emptyBuffer(this.gpu, layout.st * 4, 'st'), ev: emptyBuffer(this.gpu, layout.ev * 4, 'ev'), adj: emptyBuffer(this.gpu, layout.adj * 4, 'adj') },
    };
    this.compiled.set(key, c);
    return c;
  }

  async forward(samples: readonly SpikeSample[], steps: number): Promise<BatchForward> {
    const B = samples.length;
    const T = steps;
    const c = await this.compile(B, T);
    this.current = c;
    const L = c.layout;
    this.storedBytes = (L.st + L.ev) * 4;
    // the data population's spikes, initial state, zero counts
    const input = this.plan.input;
    write(this.gpu, c.buffers.ev, inputSpikes(samples, T, input.size, new Float32Array(T * B * input.size)), L.S[input.index]! * 4);
    for (const p of this.plan.populations) {
      if (!p.program) continue;
      write(this.gpu, c.buffers.ev, new Float32Array(B * p.size), L.CNT[p.index]! * 4);
      p.program.state.forEach((x, i) => write(this.gpu, c.buffers.st, initialState(p, x, B, new Float32Array(B * p.size)), L.X[p.index]![i]! * 4));
    }
    dispatch(this.gpu, c.forward, [this.wts, c.buffers.st, c.buffers.ev], [B]);
    const ro = this.plan.readout;
    const counts = new Map<string, Float64Array>();
    for (const p of this.plan.populations) {
      if (!p.program?.margin) continue;
      counts.set(p.name, Float64Array.from(await read(this.gpu, c.buffers.ev, Float32Array, { byteOffset: L.CNT[p.index]! * 4, length: B * p.size })));
    }
    const f: BatchForward = { readout: new Float64Array(0), counts };
    const reads = lossReadsOverTime(this.plan.train.loss);
    if (reads === 'spikes') f.spikes = Float64Array.from(await read(this.gpu, c.buffers.ev, Float32Array, { byteOffset: L.S[ro.population.index]! * 4, length: T * B * ro.population.size }));
    if (ro.kind === 'spike_count') {
      f.readout = Float64Array.from(counts.get(ro.population.name)!);
      return f;
    }
    const vi = ro.population.program!.state.indexOf(ro.variable);
    const X = await read(this.gpu, c.buffers.st, Float32Array, { byteOffset: L.X[ro.population.index]![vi]! * 4, length: (T + 1) * B * ro.population.size });
    const r = readoutOverTime(ro.kind, X, T, B * ro.population.size);
    this.argmax = r.argmax;
    f.readout = r.values;
    if (reads === 'trace') f.trace = Float64Array.from(X);
    return f;
  }

  async backward(dReadout: Float64Array, dCounts: ReadonlyMap<string, Float64Array>, overTime: OverTimeGradients = {}): Promise<Float64Array[]> {
    const c = this.current;
    if (!c) throw new Error('backward before forward');
    const L = c.layout;
    const { B, T } = L;
    this.storedBytes = (L.st + L.ev) * 4;
    const zeros = new Float32Array(L.adj);
    const ro = this.plan.readout;
    const No = ro.population.size;
    // dL/d(readout variable) per step, and dL/d(count) per population
    if (ro.kind !== 'spike_count') {
      const R = readoutAdjoint(ro.kind, dReadout, this.argmax, T, B * No, zeros.subarray(L.RADJ, L.RADJ + (T + 1) * B * No));
      if (overTime.dTrace) for (let i = 0; i < R.length; i++) R[i]! += overTime.dTrace[i]!;
    }
    if (overTime.dSpikes) zeros.set(overTime.dSpikes, L.AS[ro.population.index]!);
    for (const p of this.plan.populations) {
      const dc = zeros.subarray(L.DC[p.index]!, L.DC[p.index]! + B * p.size);
      const given = dCounts.get(p.name);
      if (given) dc.set(given);
      if (ro.kind === 'spike_count' && p === ro.population) for (let n = 0; n < dc.length; n++) dc[n]! += dReadout[n]!;
    }
    write(this.gpu, c.buffers.adj, zeros);
    const enc = this.gpu.device.createCommandEncoder();
    dispatch(this.gpu, c.backward, [this.wts, c.buffers.st, c.buffers.ev, c.buffers.adj], [B], enc);
    this.plan.projections.forEach((pr, i) => {
      if (pr.trainable) dispatch(this.gpu, c.gradients[i]!, [c.buffers.ev, c.buffers.adj, this.gw], [Math.ceil((pr.rows * pr.cols) / WG)], enc);
    });
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
    for (const c of this.compiled.values()) for (const b of Object.values(c.buffers)) b.destroy();
    this.wts.destroy();
    this.gw.destroy();
  }
}

/** Generates the three kernels' WGSL for one layout. */
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

  /** Index of neuron n of population p at step `k` (a WGSL expression) in a [steps][B][N] array at `off`. */
  private at(off: number, p: PlanPopulation, k: string): string {
    return `${off}u + (${k} * ${this.L.B}u + b) * ${p.size}u + n`;
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

  private loads(p: PlanPopulation, prog: StepProgram, withInputs: boolean): string[] {
    const out = prog.state.map((x, i) => `let ${wgslIdent('x', x)} = st[${this.at(this.L.X[p.index]![i]!, p, 'k')}];`);
    if (withInputs) out.push(...prog.ports.map((port, i) => `let ${wgslIdent('in', STEP.input(port))} = ev[${this.at(this.L.IN[p.index]![i]!, p, 'k')}];`));
    return out;
  }

  forward(): string {
    const body: string[] = [];
    for (const p of this.plan.populations) {
      const prog = p.program;
      if (!prog) continue;
      const r = this.resolver(p, prog);
      const lines: string[] = [];
      // deliver: the weights of the pre spikes of step k - delay, summed per port
      prog.ports.forEach((_, pi) => lines.push(`var acc${pi} = 0.0;`));
      for (const pr of this.plan.projections) {
        if (pr.post !== p.index) continue;
        const pre = this.plan.populations[pr.pre]!;
        lines.push(
          `if (k >= ${pr.lag}u) {`,
          `  let s0 = ${this.L.S[pre.index]}u + ((k - ${pr.lag}u) * ${this.L.B}u + b) * ${pre.size}u;`,
          `  for (var j = 0u; j < ${pr.rows}u; j++) { let c = ev[s0 + j]; if (c != 0.0) { acc${pr.port} += c * wts[${this.wOff[pr.index]}u + j * ${pr.cols}u + n]; } }`,
          '}',
        );
      }
      prog.ports.forEach((port, pi) => lines.push(`ev[${this.at(this.L.IN[p.index]![pi]!, p, 'k')}] = acc${pi};`, `let ${wgslIdent('in', STEP.input(port))} = acc${pi};`));
      lines.push(...this.loads(p, prog, false));
      for (const a of prog.forward) lines.push(`let ${r(a.target)} = ${this.expr(p, a.expr, r)};`);
      lines.push(prog.spikeCondition ? `let s = select(0.0, 1.0, ${wgslBool(specialize(prog.spikeCondition, this.scalars(p)), r)});` : 'let s = 0.0;');
      lines.push(`ev[${this.at(this.L.S[p.index]!, p, 'k')}] = s;`, `ev[${this.L.CNT[p.index]}u + b * ${p.size}u + n] += s;`);
      prog.state.forEach((x, i) => {
        const u = r(prog.updated[x]!);
        const rs = prog.reset[x];
        lines.push(`st[${this.at(this.L.X[p.index]![i]!, p, '(k + 1u)')}] = ${rs ? `select(${u}, ${r(rs)}, s != 0.0)` : u};`);
      });
      body.push(`for (var n = lid.x; n < ${p.size}u; n += ${WG}u) {`, ...lines.map((l) => `  ${l}`), '}');
    }
    return [
      this.header(['read> wts: array<f32>', 'read_write> st: array<f32>', 'read_write> ev: array<f32>']),
      `@compute @workgroup_size(${WG})`,
      'fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {',
      '  let b = wid.x;',
      `  for (var k = 0u; k < ${this.L.T}u; k++) {`,
      ...body.map((l) => `    ${l}`),
      '    storageBarrier();',
      '  }',
      '}',
    ].join('\n');
  }

  backward(): string {
    const body: string[] = [];
    const ro = this.plan.readout;
    for (const p of this.plan.populations) {
      const prog = p.program;
      if (!prog) continue;
      const r = this.resolver(p, prog);
      const lines: string[] = [...this.loads(p, prog, true)];
      lines.push(`let ${wgslIdent('l', STEP.spike)} = ev[${this.at(this.L.S[p.index]!, p, 'k')}];`);
      lines.push(`let ${wgslIdent('l', STEP.adjSpike)} = adj[${this.at(this.L.AS[p.index]!, p, 'k')}] + adj[${this.L.DC[p.index]}u + b * ${p.size}u + n];`);
      prog.state.forEach((x, i) => {
        const lam = `adj[${this.L.L[p.index]![i]!}u + b * ${p.size}u + n]`;
        const extra = p === ro.population && ro.kind !== 'spike_count' && x === ro.variable ? ` + adj[${this.at(this.L.RADJ, p, '(k + 1u)')}]` : '';
        lines.push(`let ${wgslIdent('l', STEP.adjState(x))} = ${lam}${extra};`);
      });
      for (const a of prog.backward) {
        if (a.target.startsWith('$dx:')) {
          const i = prog.state.indexOf(a.target.slice(4));
          lines.push(`adj[${this.L.L[p.index]![i]!}u + b * ${p.size}u + n] = ${this.expr(p, a.expr, r)};`);
        } else if (a.target.startsWith('$din:')) {
          const i = prog.ports.indexOf(a.target.slice(5));
          lines.push(`adj[${this.at(this.L.GIN[p.index]![i]!, p, 'k')}] = ${this.expr(p, a.expr, r)};`);
        } else lines.push(`let ${r(a.target)} = ${this.expr(p, a.expr, r)};`);
      }
      body.push(`for (var n = lid.x; n < ${p.size}u; n += ${WG}u) {`, ...lines.map((l) => `  ${l}`), '}');
    }
    body.push('storageBarrier();');
    // the pre spikes' adjoint: dL/ds_pre[k - d] += W · dL/d(arrivals)[k], one thread per pre neuron
    for (const pr of this.plan.projections) {
      const pre = this.plan.populations[pr.pre]!;
      if (!pre.program) continue;
      const post = this.plan.populations[pr.post]!;
      const gin = this.L.GIN[post.index]![pr.port]!;
      body.push(
        `if (k >= ${pr.lag}u) {`,
        `  for (var j = lid.x; j < ${pr.rows}u; j += ${WG}u) {`,
        '    var acc = 0.0;',
        `    let g0 = ${gin}u + (k * ${this.L.B}u + b) * ${post.size}u;`,
        `    let w0 = ${this.wOff[pr.index]}u + j * ${pr.cols}u;`,
        `    for (var i = 0u; i < ${pr.cols}u; i++) { acc += wts[w0 + i] * adj[g0 + i]; }`,
        `    adj[${this.L.AS[pre.index]}u + ((k - ${pr.lag}u) * ${this.L.B}u + b) * ${pre.size}u + j] += acc;`,
        '  }',
        '}',
        'storageBarrier();',
      );
    }
    return [
      this.header(['read> wts: array<f32>', 'read_write> st: array<f32>', 'read_write> ev: array<f32>', 'read_write> adj: array<f32>']),
      `@compute @workgroup_size(${WG})`,
      'fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {',
      // a network without hidden projections reads no weights here, but the bind group binds them
      '  _ = &wts;',
      '  let b = wid.x;',
      `  for (var kk = 0u; kk < ${this.L.T}u; kk++) {`,
      `    let k = ${this.L.T - 1}u - kk;`,
      ...body.map((l) => `    ${l}`),
      '  }',
      '}',
    ].join('\n');
  }

  /** dL/dW[j][i] = Σ_k Σ_b s_pre[k - d][b][j] · dL/d(arrivals)[k][b][i], one thread per weight. */
  gradient(index: number, gwOff: number): string {
    const pr = this.plan.projections[index]!;
    const pre = this.plan.populations[pr.pre]!;
    const post = this.plan.populations[pr.post]!;
    const { B, T } = this.L;
    return [
      this.header(['read> ev: array<f32>', 'read> adj: array<f32>', 'read_write> gw: array<f32>']),
      `@compute @workgroup_size(${WG})`,
      'fn main(@builtin(global_invocation_id) gid: vec3u) {',
      `  let q = gid.x;`,
      `  if (q >= ${pr.rows * pr.cols}u) { return; }`,
      `  let j = q / ${pr.cols}u;`,
      `  let i = q % ${pr.cols}u;`,
      '  var acc = 0.0;',
      `  for (var k = ${pr.lag}u; k < ${T}u; k++) {`,
      `    for (var b = 0u; b < ${B}u; b++) {`,
      `      let s = ev[${this.L.S[pre.index]}u + ((k - ${pr.lag}u) * ${B}u + b) * ${pre.size}u + j];`,
      `      if (s != 0.0) { acc += s * adj[${this.L.GIN[post.index]![pr.port]}u + (k * ${B}u + b) * ${post.size}u + i]; }`,
      '    }',
      '  }',
      `  gw[${gwOff}u + q] = acc;`,
      '}',
    ].join('\n');
  }
}
