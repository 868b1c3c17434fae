/**
 * The CPU reference backend: a clock-driven float64 simulation of a Network IR, the definition of
 * what a model means (DESIGN.md principle 2). Each step follows `ir.stepOrder`:
 *   deliver → inject → update → threshold → reset → propagate, recording at the start of a step.
 * Update maps, thresholds, resets and input handlers are compiled to JavaScript loops
 * (codegen.ts); every random draw comes from the counter-based stream, so the same seed gives the
 * same result bit for bit.
 */
import { connect, expandSlices } from '../../compiler/connect.js';
import { degree, evaluate } from '../../compiler/ir/eval.js';
import type { IRAssign, IRNeuronModel, IRPopulation, NetworkIR } from '../../compiler/ir/types.js';
import { I_INJ, WEIGHT } from '../../compiler/lower/model.js';
import { CounterRng } from '../../compiler/random/philox.js';
import { HELPERS, identifier, js } from './codegen.js';

export interface SpikeTrain {
  /** Spike times in ms (the end of the step in which the threshold was crossed). */
  times: number[];
  /** Index of the neuron in its population. */
  senders: number[];
}

export interface Trace {
  label: string;
  variable: string;
  neurons: { population: string; index: number }[];
  /** Sample times in ms. */
  times: number[];
  /** values[k][j]: neuron j at times[k]. */
  values: Float64Array[];
}

export interface SimulationResult {
  dt: number;
  duration: number;
  steps: number;
  /** Spikes of every population, counted; times and senders kept for recorded ones. */
  spikeCounts: Record<string, number>;
  spikes: Record<string, SpikeTrain>;
  traces: Trace[];
  synapseCount: number;
  /** Wall-clock seconds for building (connectivity, code) and for the time loop. */
  buildSeconds: number;
  runSeconds: number;
}

export interface SimulateOptions {
  /** Called about every 1 % of the run with the fraction done. */
  onProgress?: (fraction: number) => void;
}

type StepFn = (S: Record<string, Float64Array>, P: Record<string, Float64Array>, inj: Float64Array, refr: Int32Array, refSteps: Float64Array, out: Int32Array, H: typeof HELPERS) => number;
type InputFn = (S: Record<string, Float64Array>, P: Record<string, Float64Array>, buf: Float64Array, H: typeof HELPERS) => void;

interface PopRuntime {
  ir: IRPopulation;
  model: IRNeuronModel;
  size: number;
  state: Record<string, Float64Array>;
  params: Record<string, Float64Array>;
  refr: Int32Array;
  refSteps: Float64Array;
  inj: Float64Array;
  /** Ring buffers per port: delay slots × neurons. */
  buffers: Map<string, Float64Array>;
  inputFns: Map<string, InputFn>;
  step?: StepFn;
  spikedOut: Int32Array;
  /** Outgoing projections and, per neuron, its row in each. */
  outgoing: { proj: ProjRuntime; row: Int32Array }[];
  arraySteps?: number[];
}

interface ProjRuntime {
  /** CSR by pre row. */
  rowStart: Int32Array;
  targetPop: PopRuntime[];
  targetIndex: Int32Array;
  weight: Float64Array;
  delay: Int32Array;
  port: string;
}

export function simulate(ir: NetworkIR, opts: SimulateOptions = {}): SimulationResult {
  const t0 = performance.now();
  const dt = ir.dt;
  const steps = Math.round(ir.duration / dt);
  const rng = new CounterRng(ir.seed);
  const pops = new Map<string, PopRuntime>();
  for (const p of ir.populations) pops.set(p.name, popRuntime(p, ir.models[p.model]!, dt));

  // Connectivity, then ring buffers long enough for the longest delay.
  let maxDelay = 1;
  let synapseCount = 0;
  for (const proj of ir.projections) {
    const syn = connect(proj, ir.seed, dt);
    synapseCount += syn.pre.length;
    const pre = expandSlices(proj.pre);
    const post = expandSlices(proj.post);
    const order = Array.from(syn.pre.keys()).sort((a, b) => syn.pre[a]! - syn.pre[b]! || a - b);
    const rowStart = new Int32Array(pre.length + 1);
    for (const k of order) rowStart[syn.pre[k]! + 1]!++;
    for (let r = 0; r < pre.length; r++) rowStart[r + 1]! += rowStart[r]!;
    const rt: ProjRuntime = {
      rowStart,
      targetPop: order.map((k) => pops.get(post[syn.post[k]!]!.population)!),
      targetIndex: Int32Array.from(order.map((k) => post[syn.post[k]!]!.index)),
      weight: Float64Array.from(order.map((k) => syn.weight[k]!)),
      delay: Int32Array.from(order.map((k) => syn.delaySteps[k]!)),
      port: proj.receptor,
    };
    for (const d of rt.delay) maxDelay = Math.max(maxDelay, d);
    const rows = new Map<string, Int32Array>();
    pre.forEach((n, r) => {
      let row = rows.get(n.population);
      if (!row) {
        row = new Int32Array(pops.get(n.population)!.size).fill(-1);
        rows.set(n.population, row);
      }
      row[n.index] = r;
    });
    for (const [name, row] of rows) pops.get(name)!.outgoing.push({ proj: rt, row });
  }
  // A spike stamped t + dt (the end of step n) with a delay of d steps arrives at t + dt + d dt,
  // the start of step n + 1 + d: the ring needs maxDelay + 2 slots so that this never lands on
  // the slot being read in step n.
  const slots = maxDelay + 2;
  for (const p of pops.values()) {
    for (const h of p.model.inputs) p.buffers.set(h.port, new Float64Array(slots * p.size));
  }

  // Recordings.
  const recordedSpikes = new Map<string, Uint8Array>();
  const spikes: Record<string, SpikeTrain> = {};
  const spikeCounts: Record<string, number> = {};
  for (const p of pops.values()) spikeCounts[p.ir.name] = 0;
  const traces: (Trace & { every: number; arrays: Float64Array[]; idx: Int32Array })[] = [];
  for (const r of ir.recordings) {
    const neurons = expandSlices(r.target);
    if (r.variable === 'spikes') {
      for (const n of neurons) {
        let mask = recordedSpikes.get(n.population);
        if (!mask) {
          mask = new Uint8Array(pops.get(n.population)!.size);
          recordedSpikes.set(n.population, mask);
          spikes[n.population] = { times: [], senders: [] };
        }
        mask[n.index] = 1;
      }
    } else {
      traces.push({
        label: r.label,
        variable: r.variable,
        neurons,
        times: [],
        values: [],
        every: r.everySteps,
        arrays: neurons.map((n) => pops.get(n.population)!.state[r.variable]!),
        idx: Int32Array.from(neurons.map((n) => n.index)),
      });
    }
  }
  const t1 = performance.now();

  const progressEvery = Math.max(1, Math.floor(steps / 100));
  for (let n = 0; n < steps; n++) {
    const t = n * dt;
    const slot = n % slots;
    // record (the state at the start of the step, time t)
    for (const tr of traces) {
      if (n % tr.every !== 0) continue;
      tr.times.push(t);
      const row = new Float64Array(tr.idx.length);
      for (let j = 0; j < row.length; j++) row[j] = tr.arrays[j]![tr.idx[j]!]!;
      tr.values.push(row);
    }
    for (const p of pops.values()) {
      // deliver
      for (const [port, buf] of p.buffers) p.inputFns.get(port)!(p.state, p.params, buf.subarray(slot * p.size, (slot + 1) * p.size), HELPERS);
      // inject
      p.inj.fill(0);
    }
    for (const cs of ir.currentSources) {
      if (cs.kind !== 'DC' || t < cs.start || t >= (cs.stop ?? Infinity)) continue;
      for (const s of cs.target) {
        const p = pops.get(s.population)!;
        for (let i = s.start; i < s.stop; i += s.step) p.inj[i]! += cs.amplitude;
      }
    }
    for (const p of pops.values()) {
      // update, threshold, reset
      let count = 0;
      if (p.step) count = p.step(p.state, p.params, p.inj, p.refr, p.refSteps, p.spikedOut, HELPERS);
      else if (p.model.kind === 'poisson') count = poissonStep(p, rng, n, t, dt);
      else if (p.arraySteps && p.arraySteps.length > 0) {
        while (p.arraySteps.length > 0 && p.arraySteps[0]! < n) p.arraySteps.shift();
        if (p.arraySteps[0] === n) {
          for (let i = 0; i < p.size; i++) p.spikedOut[i] = i;
          count = p.size;
        }
      }
      if (count === 0) continue;
      spikeCounts[p.ir.name]! += count;
      const mask = recordedSpikes.get(p.ir.name);
      const tSpike = (n + 1) * dt;
      for (let c = 0; c < count; c++) {
        const i = p.spikedOut[c]!;
        if (mask?.[i]) {
          spikes[p.ir.name]!.times.push(tSpike);
          spikes[p.ir.name]!.senders.push(i);
        }
        // propagate
        for (const o of p.outgoing) {
          const r = o.row[i]!;
          if (r < 0) continue;
          const pr = o.proj;
          for (let k = pr.rowStart[r]!; k < pr.rowStart[r + 1]!; k++) {
            const tp = pr.targetPop[k]!;
            const b = tp.buffers.get(pr.port)!;
            b[((n + 1 + pr.delay[k]!) % slots) * tp.size + pr.targetIndex[k]!]! += pr.weight[k]!;
          }
        }
      }
    }
    // The ring-buffer slot of this step has been read; clear it for step n + slots.
    for (const p of pops.values()) for (const buf of p.buffers.values()) buf.fill(0, slot * p.size, (slot + 1) * p.size);
    if (opts.onProgress && n % progressEvery === 0) opts.onProgress(n / steps);
  }
  opts.onProgress?.(1);
  const t2 = performance.now();
  return {
    dt,
    duration: steps * dt,
    steps,
    spikeCounts,
    spikes,
    traces: traces.map(({ label, variable, neurons, times, values }) => ({ label, variable, neurons, times, values })),
    synapseCount,
    buildSeconds: (t1 - t0) / 1000,
    runSeconds: (t2 - t1) / 1000,
  };
}

function poissonStep(p: PopRuntime, rng: CounterRng, n: number, t: number, dt: number): number {
  const rate = p.params.rate!;
  const start = p.params.start!;
  const duration = p.params.duration!;
  const stream = p.ir.streams.poisson;
  let count = 0;
  for (let i = 0; i < p.size; i++) {
    if (t < start[i]! || t >= start[i]! + duration[i]!) continue;
    // rate in Hz, dt in ms: the probability of a spike in the step
    if (rng.uniform(stream, i, n) < rate[i]! * dt * 1e-3) p.spikedOut[count++] = i;
  }
  return count;
}

function broadcast(v: number | number[] | undefined, size: number): Float64Array {
  if (v === undefined) return new Float64Array(size).fill(NaN);
  return typeof v === 'number' ? new Float64Array(size).fill(v) : Float64Array.from(v);
}

function popRuntime(p: IRPopulation, model: IRNeuronModel, dt: number): PopRuntime {
  const size = p.size;
  const state: Record<string, Float64Array> = {};
  for (const x of model.state) state[x] = broadcast(p.initial[x], size);
  const params: Record<string, Float64Array> = {};
  for (const [k, v] of Object.entries(p.params)) params[k] = broadcast(v, size);
  const refSteps = new Float64Array(size);
  if (model.refractory) {
    for (let i = 0; i < size; i++) refSteps[i] = Math.round(evaluate(model.refractory.period, (n) => params[n]![i]!) / dt);
  }
  const rt: PopRuntime = {
    ir: p,
    model,
    size,
    state,
    params,
    refr: new Int32Array(size),
    refSteps,
    inj: new Float64Array(size),
    buffers: new Map(),
    inputFns: new Map(),
    spikedOut: new Int32Array(size),
    outgoing: [],
  };
  if (model.kind === 'neuron') {
    rt.step = compileStep(model, p, size, dt);
    for (const h of model.inputs) rt.inputFns.set(h.port, compileInput(model, h.update, p, size));
  }
  if (model.kind === 'array') {
    rt.arraySteps = [...new Set((p.spikeTimes ?? []).map((s) => Math.max(0, Math.ceil(s / dt - 1e-9) - 1)))].sort((a, b) => a - b);
  }
  return rt;
}

/** How names read inside a generated per-neuron loop body. */
function resolver(model: IRNeuronModel, p: IRPopulation, dt: number, locals: Set<string>): (name: string) => string {
  const state = new Set(model.state);
  return (name) => {
    if (locals.has(name)) return identifier('l', name);
    if (state.has(name)) return `${identifier('s', name)}[i]`;
    if (name === 'dt') return `(${dt})`;
    if (name === I_INJ) return 'inj[i]';
    if (name === WEIGHT) return 'w';
    const v = p.params[name];
    if (typeof v === 'number') return `(${v})`;
    if (v !== undefined) return `${identifier('p', name)}[i]`;
    throw new Error(`the update map of ${model.name} reads '${name}', which population ${p.name} does not define`);
  };
}

function prologue(model: IRNeuronModel, p: IRPopulation): string {
  const lines = model.state.map((x) => `const ${identifier('s', x)} = S[${JSON.stringify(x)}];`);
  for (const [k, v] of Object.entries(p.params)) if (typeof v !== 'number') lines.push(`const ${identifier('p', k)} = P[${JSON.stringify(k)}];`);
  return lines.join('\n');
}

function assignments(list: IRAssign[], res: (name: string) => string): string {
  return list.map((a) => (a.local ? `const ${identifier('l', a.target)} = ${js(a.expr, res)};` : `${res(a.target)} = ${js(a.expr, res)};`)).join('\n');
}

function compileStep(model: IRNeuronModel, p: IRPopulation, size: number, dt: number): StepFn {
  const locals = new Set(model.update.filter((a) => a.local).map((a) => a.target));
  const res = resolver(model, p, dt, locals);
  const clamp = model.refractory?.clamp ?? [];
  const body = `
${prologue(model, p)}
let count = 0;
for (let i = 0; i < ${size}; i++) {
  const refractory = refr[i] > 0;
  ${clamp.map((x, k) => `const c${k} = ${res(x)};`).join('\n  ')}
  {
${assignments(model.update, res)}
  }
  if (refractory) {
    ${clamp.map((x, k) => `${res(x)} = c${k};`).join('\n    ')}
    refr[i]--;
    continue;
  }
  ${
    model.threshold
      ? `if (${js(model.threshold, res)}) {
    out[count++] = i;
${assignments(model.reset, res)}
    refr[i] = refSteps[i];
  }`
      : ''
  }
}
return count;`;
  return new Function('S', 'P', 'inj', 'refr', 'refSteps', 'out', 'H', body) as StepFn;
}

function compileInput(model: IRNeuronModel, update: IRAssign[], p: IRPopulation, size: number): InputFn {
  // Weights arriving in one step are summed first, which is exact only for handlers linear in w.
  for (const a of update) {
    if (degree(a.expr, new Set([WEIGHT])) > 1) throw new Error(`the input handler of ${model.name} is not linear in the weight; the CPU backend sums the weights arriving in one step`);
  }
  const res = resolver(model, p, 0, new Set());
  const body = `
${prologue(model, p)}
for (let i = 0; i < ${size}; i++) {
  const w = buf[i];
  if (w === 0) continue;
${assignments(update, res)}
}`;
  return new Function('S', 'P', 'buf', 'H', body) as InputFn;
}
