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
import { initialState, inputSpikes, readoutAdjoint, readoutOverTime } from '../training/batch.js';
import type { PlanPopulation, PlanProjection, TrainPlan } from '../training/plan.js';
import { HELPERS, identifier, js, specialize } from './codegen.js';

type ForwardKernel = (X: Float64Array[], IN: Float64Array[], S: Float64Array, CNT: Float64Array, PA: Float64Array[], k: number, BN: number, N: number) => void;
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
export function compileKernels(pop: PlanPopulation, prog: StepProgram, smoothSpikes?: number): Kernels {
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
    if (a !== undefined) return `PA[${a}][j]`;
    if (stateIndex.has(name)) return identifier('x', name);
    if (portIndex.has(name)) return identifier('in', name);
    return identifier('l', name);
  };
  const expr = (e: IRExpr): string => js(specialize(e, scalars), resolve);
  const loads = [
    ...prog.state.map((x, i) => `const ${identifier('x', x)} = X[${i}][o0 + n];`),
    ...prog.ports.map((p, i) => `const ${identifier('in', STEP.input(p))} = IN[${i}][o0 + n];`),
  ];
  const loop = (body: string[]): string => [
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
  for (const [i, x] of prog.state.entries()) {
    const u = resolve(prog.updated[x]!);
    const r = prog.reset[x];
    const mixed = smoothSpikes !== undefined ? `s * ${r && resolve(r)} + (1 - s) * ${u}` : `s ? ${r && resolve(r)} : ${u}`;
    fwd.push(`X[${i}][o1 + n] = ${r ? mixed : u};`);
  }
  // backward: recompute, then the adjoint assignments
  const bwd: string[] = [
    `const ${identifier('l', STEP.spike)} = S[o0 + n];`,
    `const ${identifier('l', STEP.adjSpike)} = AS[o0 + n] + DC[n];`,
    ...prog.state.map((x, i) => `const ${identifier('l', STEP.adjState(x))} = L[${i}][n];`),
  ];
  for (const a of prog.backward) {
    if (a.target.startsWith('$dx:')) bwd.push(`L[${stateIndex.get(a.target.slice(4))}][n] = ${expr(a.expr)};`);
    else if (a.target.startsWith('$din:')) bwd.push(`GIN[${prog.ports.indexOf(a.target.slice(5))}][n] = ${expr(a.expr)};`);
    else bwd.push(`const ${resolve(a.target)} = ${expr(a.expr)};`);
  }
  const forward = new Function('H', 'X', 'IN', 'S', 'CNT', 'PA', 'k', 'BN', 'N', `"use strict";\n${loop(fwd)}`) as (H: typeof HELPERS, ...rest: Parameters<ForwardKernel>) => void;
  const backward = new Function('H', 'X', 'IN', 'S', 'AS', 'DC', 'L', 'GIN', 'PA', 'k', 'BN', 'N', `"use strict";\n${loop(bwd)}`) as (H: typeof HELPERS, ...rest: Parameters<BackwardKernel>) => void;
  return {
    forward: (...a) => forward(HELPERS, ...a),
    backward: (...a) => backward(HELPERS, ...a),
    arrays,
  };
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
}

export class CpuTrainEngine implements TrainEngine {
  readonly backend = 'cpu';
  readonly device = 'CPU, float64';
  private W: Float64Array[];
  private pops: PopState[];
  private batch = 0;
  private steps = 0;
  /** Step at which each readout value is largest (max_over_time), [B][outputs]. */
  private argmax: Int32Array = new Int32Array(0);
  storedBytes = 0;

  /**
   * `smoothSpikes: beta` replaces the spike's step by the logistic function of beta times the
   * threshold margin, so that the network is differentiable and the gradient can be checked
   * against finite differences (with the `sigmoid` surrogate of the same beta and
   * reset_gradient: true, the backward pass is then the exact gradient).
   */
  constructor(readonly plan: TrainPlan, opts: { smoothSpikes?: number } = {}) {
    this.W = plan.projections.map((p) => Float64Array.from(p.weight));
    this.pops = plan.populations.map((p) => ({
      plan: p,
      ...(p.program ? { kernels: compileKernels(p, p.program, opts.smoothSpikes) } : {}),
      X: [],
      IN: [],
      S: new Float64Array(0),
      CNT: new Float64Array(0),
      AS: new Float64Array(0),
      incoming: plan.projections.filter((pr) => pr.post === p.index),
    }));
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
    let bytes = 0;
    for (const p of this.pops) {
      const BN = B * p.plan.size;
      p.S = new Float64Array(T * BN);
      p.CNT = new Float64Array(BN);
      bytes += p.S.byteLength;
      if (!p.plan.program) continue;
      p.X = p.plan.program.state.map(() => new Float64Array((T + 1) * BN));
      p.IN = p.plan.program.ports.map(() => new Float64Array(T * BN));
      p.AS = new Float64Array(T * BN);
      bytes += p.X.reduce((a, x) => a + x.byteLength, 0) + p.IN.reduce((a, x) => a + x.byteLength, 0);
    }
    this.storedBytes = bytes;
  }

  async forward(samples: readonly SpikeSample[], steps: number): Promise<BatchForward> {
    const B = samples.length;
    const T = steps;
    this.allocate(B, T);
    for (const p of this.pops) {
      if (p.plan.isInput) {
        inputSpikes(samples, T, p.plan.size, p.S);
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
        p.kernels.forward(p.X, p.IN, p.S, p.CNT, p.kernels.arrays, k, B * N, N);
      }
    }
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
    const Npre = pre.plan.size;
    const Npost = post.plan.size;
    const S = pre.S;
    const src = (k - pr.lag) * B * Npre;
    const IN = post.IN[pr.port]!;
    const cols = pr.cols;
    for (let b = 0; b < B; b++) {
      const dst = k * B * Npost + b * Npost;
      for (let r = 0; r < pr.rows; r++) {
        const c = S[src + b * Npre + pr.preIndex[r]!]!;
        if (c === 0) continue;
        const row = r * cols;
        if (pr.identity) for (let q = 0; q < cols; q++) IN[dst + q]! += c * W[row + q]!;
        else for (let q = 0; q < cols; q++) IN[dst + pr.postIndex[q]!]! += c * W[row + q]!;
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
    const grads = this.W.map((w) => new Float64Array(w.length));
    const L = new Map<PopState, Float64Array[]>();
    const GIN = new Map<PopState, Float64Array[]>();
    const DC = new Map<PopState, Float64Array>();
    for (const p of this.pops) {
      if (!p.plan.program) continue;
      const BN = B * p.plan.size;
      L.set(p, p.plan.program.state.map(() => new Float64Array(BN)));
      GIN.set(p, p.plan.program.ports.map(() => new Float64Array(BN)));
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
    return grads;
  }

  /** Weight gradients and the pre spikes' adjoint from dL/d(arrivals) of step k. */
  private scatter(pr: PlanProjection, post: PopState, k: number, B: number, gin: Float64Array, gW: Float64Array): void {
    const pre = this.pops[pr.pre]!;
    const W = this.W[pr.index]!;
    const Npre = pre.plan.size;
    const Npost = post.plan.size;
    const src = (k - pr.lag) * B * Npre;
    const cols = pr.cols;
    const needPre = pre.plan.program !== undefined;
    for (let b = 0; b < B; b++) {
      const g0 = b * Npost;
      for (let r = 0; r < pr.rows; r++) {
        const row = r * cols;
        const at = src + b * Npre + pr.preIndex[r]!;
        const c = pre.S[at]!;
        if (c !== 0 && pr.trainable) {
          if (pr.identity) for (let q = 0; q < cols; q++) gW[row + q]! += c * gin[g0 + q]!;
          else for (let q = 0; q < cols; q++) gW[row + q]! += c * gin[g0 + pr.postIndex[q]!]!;
        }
        if (needPre) {
          let acc = 0;
          if (pr.identity) {
            // four partial sums: the dot product is most of the backward pass's time
            let a1 = 0, a2 = 0, a3 = 0;
            let q = 0;
            for (; q + 3 < cols; q += 4) {
              acc += W[row + q]! * gin[g0 + q]!;
              a1 += W[row + q + 1]! * gin[g0 + q + 1]!;
              a2 += W[row + q + 2]! * gin[g0 + q + 2]!;
              a3 += W[row + q + 3]! * gin[g0 + q + 3]!;
            }
            for (; q < cols; q++) acc += W[row + q]! * gin[g0 + q]!;
            acc += a1 + a2 + a3;
          } else for (let q = 0; q < cols; q++) acc += W[row + q]! * gin[g0 + pr.postIndex[q]!]!;
          pre.AS[at]! += acc;
        }
      }
    }
  }

  dispose(): void {}
}
