/**
 * The CPU reference backend: a clock-driven float64 simulation of a Network IR, the definition of
 * what a model means (DESIGN.md principle 2). Each step follows `ir.stepOrder`:
 *   deliver → inject → update → threshold → reset → propagate, recording at the start of a step.
 * Update maps, thresholds, resets and input handlers are compiled to JavaScript loops
 * (codegen.ts), or to WebAssembly where the maps are plain arithmetic (wasm.ts); a network whose
 * every neuron population allows that and whose projections are static runs its whole time loop
 * as one WebAssembly module (fused.ts). All give the same bits; every random draw comes from the
 * counter-based stream, so the same seed gives the same result bit for bit.
 */
import { connect, expandSlices } from '../../compiler/connect.js';
import { degree, evaluate } from '../../compiler/ir/eval.js';
import type { IRAssign, IRCurrentSource, IRNeuronModel, IRPlasticityRule, IRPopulation, IRSynapseModel, NetworkIR } from '../../compiler/ir/types.js';
import { DELIVER } from '../../compiler/lower/synapse.js';
import { DT, I_INJ, WEIGHT } from '../../compiler/lower/model.js';
import { CounterRng } from '../../compiler/random/philox.js';
import { availableParallelism } from 'node:os';
import { HELPERS, identifier, js, specialize } from './codegen.js';
import { FACTORY_PARAMS, shared32, shared64, ThreadedSteps } from './threads.js';
import type { DenseWeights } from '../training/weights.js';
import { layout as wasmLayout, stepModule, wasmSupports } from './wasm.js';
import { fusedNetwork, type FusedNetwork, type FusedPopulation, type FusedProjection } from './fused.js';

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
  /** Final weights of plastic projections, by projection name: pre and post list indices per synapse. */
  weights: Record<string, { pre: Int32Array; post: Int32Array; weight: Float64Array }>;
  /** Threads that ran the neuron updates. */
  threads: number;
  /**
   * The time loop that ran: 'fused' (the whole step in one WebAssembly function, fused.ts) or
   * 'steps' (a step function per population: WebAssembly, JavaScript or threads).
   */
  loop: 'fused' | 'steps';
  /** Wall-clock seconds for building (connectivity, code) and for the time loop. */
  buildSeconds: number;
  runSeconds: number;
}

export interface SimulateOptions {
  /** Called about every 1 % of the run with the fraction done. */
  onProgress?: (fraction: number) => void;
  /**
   * Threads for the neuron updates (backends/cpu/threads.ts); results do not depend on it.
   * Default: up to 4 of the machine's cores for runs of at least 10^7 neuron updates, else 1.
   */
  threads?: number;
  /** Use WebAssembly step loops where the model allows (default true); false forces JavaScript. */
  wasm?: boolean;
  /**
   * Run the whole time loop as one WebAssembly function (backends/cpu/fused.ts) where the network
   * allows (default true, with `wasm`); false keeps a step function per population.
   */
  fused?: boolean;
  /** In the fused loop, two neurons per instruction with WebAssembly SIMD (default true); the same results. */
  simd?: boolean;
  /**
   * Weights that replace a projection's, by projection name: dense [pre list][post list] as `snn
   * train` writes them (backends/training/weights.ts). Several synapses between one pair share
   * the pair's weight equally, as training sums them.
   */
  weights?: DenseWeights;
}

/**
 * One step of one population, generated: deliver (read and clear this step's ring-buffer slot of
 * each input port, at offset `off`), update, threshold, reset. Returns the number of spikes, whose
 * neuron indices it writes to `out`.
 */
type StepFn = (off: number, lo: number, hi: number) => number;
/** Makes a population's StepFn over its arrays (S, P, …), writing spikes to `out`. */
export type StepFactory = (
  S: Record<string, Float64Array>, P: Record<string, Float64Array>, inj: Float64Array, refr: Int32Array, refSteps: Float64Array,
  out: Int32Array, H: typeof HELPERS, B: Float64Array[],
) => StepFn;

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
  /** The buffers in the order of model.inputs, as the step function takes them. */
  bufferList: Float64Array[];
  step?: StepFn;
  /** Spikes of this step from `step`, in spikedOut. */
  stepCount: number;
  /** The step function's source, for worker threads. */
  stepCode?: string;
  spikedOut: Int32Array;
  /** Outgoing projections and, per neuron, its row in each. */
  outgoing: { proj: ProjRuntime; row: Int32Array }[];
  /** Incoming plastic projections and, per neuron, its post column in each. */
  incomingPlastic: { proj: ProjRuntime; col: Int32Array }[];
  arraySteps?: number[];
  /** SpikeSourcePoisson: the step of each neuron's next spike, and how many gaps it has drawn. */
  poisson?: { next: Float64Array; drawn: Int32Array };
  /** Per-neuron spike times: [step, neuron] in step order, consumed as the run goes. */
  arrayEvents?: [number, number][];
  arrayCursor?: number;
}

interface ProjRuntime {
  /** CSR by pre row. */
  rowStart: Int32Array;
  /** The post populations, and which of them each synapse targets. */
  targetPops: PopRuntime[];
  targetWhich: Int32Array;
  /** Set when every target is in one population: its ring buffer for the port, and its size. */
  single?: { buffer: Float64Array; size: number };
  /** The delay in steps when all synapses share it. */
  uniformDelay?: number;
  targetIndex: Int32Array;
  weight: Float64Array;
  delay: Int32Array;
  port: string;
  /** A synapse model with per-synapse state (TsodyksMarkram), or undefined for static synapses. */
  synapse?: SynapseRuntime;
  /** A plasticity rule, or undefined. */
  plastic?: PlasticRuntime;
}

interface SynapseRuntime {
  model: IRSynapseModel;
  params: Record<string, number>;
  state: Record<string, Float64Array>;
  /** Time of each synapse's last presynaptic spike (its state is exact at that time). */
  last: Float64Array;
  /** a and c of x' = a x + c per state variable, evaluated at the projection's parameters. */
  relax: { x: string; a: number; c: number }[];
  /** The compiled presynaptic event: synapse k at time t with weight w; returns what it delivers. */
  event: (k: number, t: number, w: number) => number;
}

interface PlasticRuntime {
  rule: IRPlasticityRule;
  params: Record<string, number>;
  preTraces: { name: string; tau: number; value: Float64Array; last: Float64Array }[];
  postTraces: { name: string; tau: number; value: Float64Array; last: Float64Array }[];
  /** Pre row of each synapse, and the synapses of each post column (CSC). */
  preRow: Int32Array;
  postCol: Int32Array;
  colStart: Int32Array;
  colSyn: Int32Array;
  lower: number;
  upper: number;
  /** The rule's handlers compiled for this projection: update synapse k at time t. */
  onPre: (k: number, t: number) => void;
  onPost: (k: number, t: number) => void;
}

/**
 * How names read in a compiled event handler: the weight, the variables the handler's prologue
 * declared (`named`), its own temporaries, and the projection's parameters as literals.
 */
function handlerResolver(named: ReadonlyMap<string, string>, locals: ReadonlySet<string>, params: Record<string, number>, owner: string): (name: string) => string {
  return (name) => {
    if (name === WEIGHT) return 'w';
    const v = named.get(name);
    if (v) return v;
    if (locals.has(name)) return identifier('l', name);
    const p = params[name];
    if (p !== undefined) return `(${p})`;
    throw new Error(`${owner} reads '${name}', which it does not define`);
  };
}

/**
 * A plasticity handler as a JavaScript function over one projection's arrays: decays the traces
 * the synapse sees to time t (exactly), runs the handler, clips the weight.
 */
function compilePlasticHandler(pl: Omit<PlasticRuntime, 'onPre' | 'onPost'>, handler: IRAssign[], weight: Float64Array): (k: number, t: number) => void {
  const traceVar = new Map<string, string>();
  const lines: string[] = ['const r = preRow[k], j = postCol[k];'];
  const traces = [...pl.preTraces.map((tr) => ({ tr, idx: 'r', side: 'pre' })), ...pl.postTraces.map((tr) => ({ tr, idx: 'j', side: 'post' }))];
  traces.forEach(({ tr, idx }, n) => {
    traceVar.set(tr.name, `x${n}`);
    lines.push(`const x${n} = TV[${n}][${idx}] * Math.exp(-(t - TL[${n}][${idx}]) / ${tr.tau}); TV[${n}][${idx}] = x${n}; TL[${n}][${idx}] = t;`);
  });
  lines.push('let w = W[k];');
  const locals = new Set<string>();
  const res = handlerResolver(traceVar, locals, pl.params, `plasticity rule ${pl.rule.name}`);
  for (const a of handler) {
    const code = js(a.expr, res);
    if (a.target === WEIGHT) lines.push(`w = ${code};`);
    else {
      if (!locals.has(a.target)) lines.push(`let ${identifier('l', a.target)};`);
      locals.add(a.target);
      lines.push(`${identifier('l', a.target)} = ${code};`);
    }
  }
  lines.push(`W[k] = Math.min(Math.max(w, ${pl.lower}), ${pl.upper});`);
  const factory = new Function('preRow', 'postCol', 'TV', 'TL', 'W', 'H', `return function (k, t) {\n${lines.join('\n')}\n};`);
  return factory(pl.preRow, pl.postCol, traces.map((x) => x.tr.value), traces.map((x) => x.tr.last), weight, HELPERS) as (k: number, t: number) => void;
}

/** Decays a trace to time t (exact: value e^{-(t - last)/tau}). */
function traceAt(tr: { tau: number; value: Float64Array; last: Float64Array }, j: number, t: number): number {
  const v = tr.value[j]! * Math.exp(-(t - tr.last[j]!) / tr.tau);
  tr.value[j] = v;
  tr.last[j] = t;
  return v;
}

/**
 * A synapse model's presynaptic event as a JavaScript function over one projection's arrays:
 * relax each state variable exactly over the time since the synapse's last spike, run `on pre`,
 * return what it delivers.
 */
function compileSynapseEvent(sy: Omit<SynapseRuntime, 'event'>): (k: number, t: number, w: number) => number {
  const lines: string[] = ['const d = t - last[k];', 'last[k] = t;'];
  const vars = new Map<string, string>();
  sy.relax.forEach(({ x, a, c }, n) => {
    vars.set(x, `s${n}`);
    const e = `Math.exp(${a} * d)`;
    const relaxed = a === 0 ? `S[${n}][k] + ${c} * d` : c === 0 ? `S[${n}][k] * ${e}` : `S[${n}][k] * ${e} + ${c / a} * (${e} - 1)`;
    // d = 0 (no time since the last event) keeps the state; it also avoids -Infinity * 0 when a
    // time constant is 0 (TsodyksMarkram's tau_facil).
    lines.push(`let s${n} = d > 0 ? ${relaxed} : S[${n}][k];`);
  });
  let delivered = '0';
  const locals = new Set<string>();
  const res = handlerResolver(vars, locals, sy.params, `synapse model ${sy.model.name}`);
  for (const as of sy.model.onPre) {
    const code = js(as.expr, res);
    if (as.target === DELIVER) {
      lines.push(`const delivered${locals.size} = ${code};`);
      delivered = `delivered${locals.size}`;
      locals.add(`$delivered${locals.size}`);
    } else if (vars.has(as.target)) lines.push(`${vars.get(as.target)} = ${code};`);
    else {
      if (!locals.has(as.target)) lines.push(`let ${identifier('l', as.target)};`);
      locals.add(as.target);
      lines.push(`${identifier('l', as.target)} = ${code};`);
    }
  }
  sy.relax.forEach((_, n) => lines.push(`S[${n}][k] = s${n};`));
  lines.push(`return ${delivered};`);
  const factory = new Function('S', 'last', 'H', `return function (k, t, w) {\n${lines.join('\n')}\n};`);
  return factory(sy.relax.map(({ x }) => sy.state[x]!), sy.last, HELPERS) as (k: number, t: number, w: number) => number;
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
  const weights: SimulationResult['weights'] = {};
  const projList: ProjRuntime[] = [];
  for (const proj of ir.projections) {
    const syn = connect(proj, ir.seed, (name) => ir.populations.find((x) => x.name === name)?.positions);
    synapseCount += syn.pre.length;
    const pre = expandSlices(proj.pre);
    const post = expandSlices(proj.post);
    // CSR by pre row, by a stable counting sort (linear in the number of synapses).
    const m = syn.pre.length;
    const rowStart = new Int32Array(pre.length + 1);
    for (let k = 0; k < m; k++) rowStart[syn.pre[k]! + 1]!++;
    for (let r = 0; r < pre.length; r++) rowStart[r + 1]! += rowStart[r]!;
    const fill = rowStart.slice(0, pre.length);
    const postPops = [...new Set(post.map((x) => x.population))].map((name) => pops.get(name)!);
    const whichPop = new Map(postPops.map((pp, k) => [pp.ir.name, k]));
    const targetIndex = new Int32Array(m);
    const targetWhich = new Int32Array(m);
    const weight = new Float64Array(m);
    const delay = new Int32Array(m);
    const given = opts.weights?.get(proj.name);
    let perPair: Map<number, number> | undefined;
    if (given) {
      if (given.rows !== pre.length || given.cols !== post.length) {
        throw new RangeError(`the weights of '${proj.name}' are ${given.rows} × ${given.cols}, but the projection connects ${pre.length} × ${post.length} neurons`);
      }
      perPair = new Map();
      for (let k = 0; k < m; k++) perPair.set(syn.pre[k]! * post.length + syn.post[k]!, (perPair.get(syn.pre[k]! * post.length + syn.post[k]!) ?? 0) + 1);
    }
    for (let k = 0; k < m; k++) {
      const at = fill[syn.pre[k]!]!++;
      const target = post[syn.post[k]!]!;
      targetIndex[at] = target.index;
      targetWhich[at] = whichPop.get(target.population)!;
      const pair = syn.pre[k]! * post.length + syn.post[k]!;
      weight[at] = given ? given.weight[pair]! / perPair!.get(pair)! : syn.weight[k]!;
      delay[at] = syn.delaySteps[k]!;
    }
    const rt: ProjRuntime = { rowStart, targetPops: postPops, targetWhich, targetIndex, weight, delay, port: proj.receptor };
    projList.push(rt);
    if (proj.synapse !== 'static') {
      const model = ir.synapseModels[proj.synapse.model]!;
      const params = proj.synapse.params;
      const initial = proj.synapse.initial;
      const base = {
        model,
        params,
        state: Object.fromEntries(model.state.map((x) => [x, new Float64Array(m).fill(initial[x] ?? 0)])),
        last: new Float64Array(m),
        relax: model.state.map((x) => ({ x, a: evaluate(model.relax[x]!.a, (nm) => params[nm] ?? NaN), c: evaluate(model.relax[x]!.c, (nm) => params[nm] ?? NaN) })),
      };
      rt.synapse = { ...base, event: compileSynapseEvent(base) };
    }
    if (proj.plasticity) {
      const rule = ir.plasticityRules[proj.plasticity.rule]!;
      const params = proj.plasticity.params;
      const look = (nm: string): number => params[nm] ?? NaN;
      // Post columns: the post list index of each synapse, and the synapses of each column.
      const postCol = new Int32Array(m);
      const preRow = new Int32Array(m);
      for (let r = 0; r < pre.length; r++) for (let k = rowStart[r]!; k < rowStart[r + 1]!; k++) preRow[k] = r;
      const postIndexOf = new Map(post.map((x, j) => [`${x.population}:${x.index}`, j]));
      for (let k = 0; k < m; k++) postCol[k] = postIndexOf.get(`${postPops[targetWhich[k]!]!.ir.name}:${targetIndex[k]}`)!;
      const colStart = new Int32Array(post.length + 1);
      for (let k = 0; k < m; k++) colStart[postCol[k]! + 1]!++;
      for (let j = 0; j < post.length; j++) colStart[j + 1]! += colStart[j]!;
      const cfill = colStart.slice(0, post.length);
      const colSyn = new Int32Array(m);
      for (let k = 0; k < m; k++) colSyn[cfill[postCol[k]!]!++] = k;
      const traces = (list: IRPlasticityRule['preTraces'], n: number) =>
        list.map((tr) => ({ name: tr.name, tau: evaluate(tr.tau, look), value: new Float64Array(n), last: new Float64Array(n) }));
      const base = {
        rule,
        params,
        preTraces: traces(rule.preTraces, pre.length),
        postTraces: traces(rule.postTraces, post.length),
        preRow,
        postCol,
        colStart,
        colSyn,
        lower: rule.bounds ? evaluate(rule.bounds.lower, look) : -Infinity,
        upper: rule.bounds ? evaluate(rule.bounds.upper, look) : Infinity,
      };
      rt.plastic = { ...base, onPre: compilePlasticHandler(base, rule.onPre, weight), onPost: compilePlasticHandler(base, rule.onPost, weight) };
      weights[proj.name] = { pre: preRow, post: postCol, weight };
      // Incoming plastic synapses, by post neuron, for the post side of the rule.
      post.forEach((x, j) => {
        const tp = pops.get(x.population)!;
        let entry = tp.incomingPlastic.find((e) => e.proj === rt);
        if (!entry) {
          entry = { proj: rt, col: new Int32Array(tp.size).fill(-1) };
          tp.incomingPlastic.push(entry);
        }
        entry.col[x.index] = j;
      });
    }
    let uniform = true;
    for (let k = 0; k < m; k++) {
      const d = delay[k]!;
      if (d > maxDelay) maxDelay = d;
      if (d !== delay[0]) uniform = false;
    }
    if (m > 0 && uniform) rt.uniformDelay = delay[0]!;
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
  const popList = [...pops.values()];

  // Recorded spikes.
  const recordedSpikes = new Map<string, Uint8Array>();
  const spikes: Record<string, SpikeTrain> = {};
  const spikeCounts: Record<string, number> = {};
  for (const p of popList) spikeCounts[p.ir.name] = 0;
  for (const r of ir.recordings) {
    if (r.variable !== 'spikes') continue;
    for (const n of expandSlices(r.target)) {
      let mask = recordedSpikes.get(n.population);
      if (!mask) {
        mask = new Uint8Array(pops.get(n.population)!.size);
        recordedSpikes.set(n.population, mask);
        spikes[n.population] = { times: [], senders: [] };
      }
      mask[n.index] = 1;
    }
  }

  // The whole time loop in WebAssembly (backends/cpu/fused.ts) when every neuron population's
  // maps and every projection allow; the arrays move into its memory. Otherwise the loop below,
  // with WebAssembly or JavaScript loops per population. Same results, bit for bit.
  const fused = opts.wasm !== false && opts.fused !== false ? fuse(popList, projList, slots, dt, recordedSpikes, opts.simd !== false) : undefined;
  let wasmUsed = false;
  if (!fused) {
    for (const p of popList) {
      for (const h of p.model.inputs) p.buffers.set(h.port, shared64(slots * p.size));
      p.bufferList = p.model.inputs.map((h) => p.buffers.get(h.port)!);
    }
    // WebAssembly step loops where the model allows (backends/cpu/wasm.ts): the population's arrays
    // move into the module's memory. Same results as the JavaScript loops, bit for bit.
    if (opts.wasm !== false) {
      for (const p of popList) {
        if (p.model.kind === 'neuron' && toWasm(p, slots, dt)) wasmUsed = true;
      }
    }
    for (const p of popList) {
      for (const o of p.outgoing) {
        if (o.proj.targetPops.length === 1) {
          const tp = o.proj.targetPops[0]!;
          const buffer = tp.buffers.get(o.proj.port);
          if (!buffer) throw new Error(`population ${tp.ir.name} has no input port '${o.proj.port}'`);
          o.proj.single = { buffer, size: tp.size };
        }
      }
    }
  }

  // Recorded traces (of the arrays where they now live).
  const traces: TraceRuntime[] = [];
  for (const r of ir.recordings) {
    if (r.variable === 'spikes') continue;
    const neurons = expandSlices(r.target);
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
  // I_inj stays zero without current sources; with them it is rebuilt every step.
  const injected = ir.currentSources.length > 0 ? popList.filter((p) => p.model.currentParam) : [];
  const progressEvery = Math.max(1, Math.floor(steps / 100));
  const loop: LoopContext = { ir, dt, steps, slots, rng, pops, popList, traces, injected, spikes, spikeCounts, recordedSpikes, progressEvery, onProgress: opts.onProgress };

  let threads = 1;
  let t1: number;
  if (fused) {
    t1 = performance.now();
    fusedLoop(fused, loop);
  } else {
    // Threads for the neuron updates, when the run is long enough to pay for starting them.
    // Step functions are made once the ring buffers exist (they are constants of the closures).
    for (const p of popList) {
      if (p.stepCode && !p.step) {
        const factory = new Function(...FACTORY_PARAMS, p.stepCode) as StepFactory;
        p.step = factory(p.state, p.params, p.inj, p.refr, p.refSteps, p.spikedOut, HELPERS, p.bufferList);
      }
    }
    const stepping = popList.filter((p) => p.step);
    const work = stepping.reduce((a, p) => a + p.size, 0) * steps;
    // WebAssembly loops run on the main thread (one WASM loop is faster than two JavaScript ones here).
    threads = wasmUsed ? 1 : Math.max(1, Math.floor(opts.threads ?? (work >= 1e7 ? Math.min(4, availableParallelism()) : 1)));
    const exec = threads > 1 && stepping.length > 0
      ? new ThreadedSteps(stepping.map((p) => ({ code: p.stepCode!, size: p.size, S: p.state, P: p.params, inj: p.inj, refr: p.refr, refSteps: p.refSteps, B: p.bufferList })), threads)
      : undefined;
    exec?.ready();
    t1 = performance.now();
    try {
      interpretedLoop(loop, stepping, exec);
    } finally {
      exec?.close();
    }
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
    weights,
    threads,
    loop: fused ? 'fused' : 'steps',
    buildSeconds: (t1 - t0) / 1000,
    runSeconds: (t2 - t1) / 1000,
  };
}

type TraceRuntime = Trace & { every: number; arrays: Float64Array[]; idx: Int32Array };

/** What the time loops share. */
interface LoopContext {
  ir: NetworkIR;
  dt: number;
  steps: number;
  slots: number;
  rng: CounterRng;
  pops: Map<string, PopRuntime>;
  popList: PopRuntime[];
  traces: TraceRuntime[];
  injected: PopRuntime[];
  spikes: Record<string, SpikeTrain>;
  spikeCounts: Record<string, number>;
  recordedSpikes: Map<string, Uint8Array>;
  progressEvery: number;
  onProgress?: (fraction: number) => void;
}

/** Records the traces due at step n (the state at the start of the step, time t). */
function recordTraces(traces: TraceRuntime[], n: number, t: number): void {
  for (const tr of traces) {
    if (n % tr.every !== 0) continue;
    tr.times.push(t);
    const row = new Float64Array(tr.idx.length);
    for (let j = 0; j < row.length; j++) row[j] = tr.arrays[j]![tr.idx[j]!]!;
    tr.values.push(row);
  }
}

/** Current sources: I_inj for step n. */
function inject(c: LoopContext, t: number): void {
  for (const p of c.injected) p.inj.fill(0);
  for (const cs of c.ir.currentSources) injectCurrent(cs, t, c.pops, c.rng);
}

/** A spike source's spikes in step n, written to p.spikedOut; returns how many. */
function sourceStep(p: PopRuntime, rng: CounterRng, n: number, dt: number): number {
  if (p.model.kind === 'poisson') return poissonStep(p, rng, n, dt);
  let count = 0;
  if (p.arrayEvents) {
    let c = p.arrayCursor ?? 0;
    let last = -1;
    for (; c < p.arrayEvents.length && p.arrayEvents[c]![0] <= n; c++) {
      const [step, i] = p.arrayEvents[c]!;
      if (step === n && i !== last) p.spikedOut[count++] = last = i;
    }
    p.arrayCursor = c;
  } else if (p.arraySteps && p.arraySteps.length > 0) {
    while (p.arraySteps.length > 0 && p.arraySteps[0]! < n) p.arraySteps.shift();
    if (p.arraySteps[0] === n) {
      for (let i = 0; i < p.size; i++) p.spikedOut[i] = i;
      count = p.size;
    }
  }
  return count;
}

/** Appends the recorded ones among the first `count` spikes of `p` in p.spikedOut, in step n. */
function recordSpikes(c: LoopContext, p: PopRuntime, count: number, n: number): void {
  const mask = c.recordedSpikes.get(p.ir.name);
  if (!mask) return;
  const train = c.spikes[p.ir.name]!;
  const tSpike = (n + 1) * c.dt;
  const list = p.spikedOut;
  for (let k = 0; k < count; k++) {
    const i = list[k]!;
    if (mask[i]) {
      train.times.push(tSpike);
      train.senders.push(i);
    }
  }
}

/**
 * The network as fused.ts's one WebAssembly loop: neuron populations move into its memory
 * (their state, parameters, I_inj and refractory arrays become views of it). Undefined, and
 * nothing changed, when a population's maps are not plain arithmetic, a projection has a synapse
 * model or plasticity, or the network does not fit.
 */
function fuse(popList: PopRuntime[], projList: ProjRuntime[], slots: number, dt: number, recordedSpikes: Map<string, Uint8Array>, simd: boolean): FusedNetwork | undefined {
  if (projList.some((pr) => pr.synapse || pr.plastic)) return undefined;
  const scalarsOf = popList.map((p) => (p.model.kind === 'neuron' ? scalarParams(p.ir, dt) : undefined));
  if (popList.some((p, k) => scalarsOf[k] && !wasmSupports(p.model, scalarsOf[k]))) return undefined;
  const popIndex = new Map(popList.map((p, k) => [p, k]));
  const projIndex = new Map(projList.map((pr, k) => [pr, k]));
  const fpops: FusedPopulation[] = popList.map((p, k) => {
    const scalars = scalarsOf[k];
    return {
      name: p.ir.name,
      size: p.size,
      ...(scalars
        ? {
            neuron: {
              model: p.model,
              scalars,
              state: p.state,
              arrayParams: Object.fromEntries(Object.keys(p.ir.params).filter((x) => !scalars.has(x)).map((x) => [x, p.params[x]!])),
              refSteps: p.refSteps,
              refr: p.refr,
              ...(recordedSpikes.has(p.ir.name) ? { record: recordedSpikes.get(p.ir.name)! } : {}),
            },
          }
        : {}),
      outgoing: p.outgoing.map((o) => ({ proj: projIndex.get(o.proj)!, row: o.row })),
    };
  });
  const fprojs: FusedProjection[] = projList.map((pr) => ({
    rowStart: pr.rowStart,
    targetPops: pr.targetPops.map((tp) => popIndex.get(tp)!),
    targetWhich: pr.targetWhich,
    targetIndex: pr.targetIndex,
    weight: pr.weight,
    delay: pr.delay,
    port: pr.port,
  }));
  let net: FusedNetwork | undefined;
  try {
    net = fusedNetwork(fpops, fprojs, slots, simd);
  } catch (e) {
    // A runtime without WebAssembly SIMD: the scalar loops.
    if (!(e instanceof WebAssembly.CompileError) || !simd) throw e;
    net = fusedNetwork(fpops, fprojs, slots, false);
  }
  if (!net) return undefined;
  popList.forEach((p, k) => {
    const v = net.views[k];
    if (!v) return;
    Object.assign(p.state, v.state);
    Object.assign(p.params, v.params);
    p.inj = v.inj;
    p.refr = v.refr;
    p.refSteps = v.refSteps;
  });
  return net;
}

/**
 * The time loop on fused.ts's module: JavaScript records traces, injects currents and writes the
 * sources' spikes between calls, each call running as many steps as it can.
 */
function fusedLoop(net: FusedNetwork, c: LoopContext): void {
  const sources = c.popList.filter((p) => p.model.kind !== 'neuron');
  const perStep = sources.reduce((a, p) => a + p.size + 1, 0);
  const out = net.sourceSpikes;
  for (let n = 0; n < c.steps; ) {
    const t = n * c.dt;
    recordTraces(c.traces, n, t);
    if (c.ir.currentSources.length > 0) inject(c, t);
    if (c.onProgress && n % c.progressEvery === 0) c.onProgress(n / c.steps);
    // Run to the next step where JavaScript has work, or as far as the record holds.
    let end = c.ir.currentSources.length > 0 ? n + 1 : Math.min(c.steps, n + net.recordSteps);
    for (const tr of c.traces) end = Math.min(end, Number.isInteger(tr.every) && tr.every >= 1 ? (Math.floor(n / tr.every) + 1) * tr.every : n + 1);
    if (c.onProgress) end = Math.min(end, (Math.floor(n / c.progressEvery) + 1) * c.progressEvery);
    if (sources.length > 0) {
      let at = 0;
      let m = n;
      for (; m < end && at + perStep <= net.sourceCapacity; m++) {
        for (const p of sources) {
          const count = sourceStep(p, c.rng, m, c.dt);
          out[at++] = count;
          out.set(p.spikedOut.subarray(0, count), at);
          at += count;
          c.spikeCounts[p.ir.name]! += count;
          recordSpikes(c, p, count, m);
        }
      }
      end = m;
    }
    net.run(n, end);
    if (net.recorded.length > 0) {
      const rec = net.record;
      let at = 0;
      for (let m = n; m < end; m++) {
        for (const k of net.recorded) {
          const count = rec[at++]!;
          const train = c.spikes[c.popList[k]!.ir.name]!;
          const tSpike = (m + 1) * c.dt;
          for (let j = 0; j < count; j++) {
            train.times.push(tSpike);
            train.senders.push(rec[at++]!);
          }
        }
      }
    }
    n = end;
  }
  c.popList.forEach((p, k) => {
    if (p.model.kind === 'neuron') c.spikeCounts[p.ir.name] = net.counts[k]!;
  });
}

/** The time loop with a step function per population (WebAssembly, JavaScript or threads). */
function interpretedLoop(c: LoopContext, stepping: PopRuntime[], exec: ThreadedSteps | undefined): void {
  const steppingOuts = stepping.map((p) => p.spikedOut);
  for (let n = 0; n < c.steps; n++) {
    const t = n * c.dt;
    const slot = n % c.slots;
    recordTraces(c.traces, n, t);
    inject(c, t);
    // update, threshold, reset of every cell population (in parallel when threaded)
    if (exec) {
      const counts = exec.step(slot, steppingOuts);
      stepping.forEach((p, k) => (p.stepCount = counts[k]!));
    } else {
      for (const p of stepping) p.stepCount = p.step!(slot * p.size, 0, p.size);
    }
    for (const p of c.popList) {
      const count = p.step ? p.stepCount : sourceStep(p, c.rng, n, c.dt);
      if (count === 0) continue;
      c.spikeCounts[p.ir.name]! += count;
      recordSpikes(c, p, count, n);
      // Spike by spike: the post side of incoming plastic synapses, then the outgoing synapses.
      for (let s = 0; s < count; s++) {
        const i = p.spikedOut[s]!;
        if (p.incomingPlastic.length > 0) postSide(p, i, (n + 1) * c.dt);
        propagate(p, i, n, c.slots, c.dt);
      }
    }
    if (c.onProgress && n % c.progressEvery === 0) c.onProgress(n / c.steps);
  }
}

/** Plasticity, post side: the rule's on post for every incoming plastic synapse of neuron i. */
function postSide(p: PopRuntime, i: number, tSpike: number): void {
  for (const inc of p.incomingPlastic) {
    const j = inc.col[i]!;
    if (j < 0) continue;
    const pl = inc.proj.plastic!;
    for (let c = pl.colStart[j]!; c < pl.colStart[j + 1]!; c++) pl.onPost(pl.colSyn[c]!, tSpike);
    for (const tr of pl.postTraces) tr.value[j] = traceAt(tr, j, tSpike) + 1;
  }
}

/** Schedules the weights of neuron i's spike in step n into the ring buffers. */
function propagate(p: PopRuntime, i: number, n: number, slots: number, dt: number): void {
  for (const o of p.outgoing) {
    const r = o.row[i]!;
    if (r < 0) continue;
    const pr = o.proj;
    const end = pr.rowStart[r + 1]!;
    if (pr.synapse || pr.plastic) {
      // Event-driven synapses: the rule's on pre, then the synapse model's, then delivery.
      const tSpike = (n + 1) * dt;
      for (let k = pr.rowStart[r]!; k < end; k++) {
        if (pr.plastic) pr.plastic.onPre(k, tSpike);
        const value = pr.synapse ? pr.synapse.event(k, tSpike, pr.weight[k]!) : pr.weight[k]!;
        const tp = pr.targetPops[pr.targetWhich[k]!]!;
        tp.buffers.get(pr.port)![((n + 1 + pr.delay[k]!) % slots) * tp.size + pr.targetIndex[k]!]! += value;
      }
      if (pr.plastic) for (const tr of pr.plastic.preTraces) tr.value[r] = traceAt(tr, r, tSpike) + 1;
    } else if (pr.single && pr.uniformDelay !== undefined) {
      addRow(pr.single.buffer, ((n + 1 + pr.uniformDelay) % slots) * pr.single.size, pr.targetIndex, pr.weight, pr.rowStart[r]!, end);
    } else if (pr.single) {
      const b = pr.single.buffer;
      const size = pr.single.size;
      for (let k = pr.rowStart[r]!; k < end; k++) b[((n + 1 + pr.delay[k]!) % slots) * size + pr.targetIndex[k]!]! += pr.weight[k]!;
    } else {
      for (let k = pr.rowStart[r]!; k < end; k++) {
        const tp = pr.targetPops[pr.targetWhich[k]!]!;
        tp.buffers.get(pr.port)![((n + 1 + pr.delay[k]!) % slots) * tp.size + pr.targetIndex[k]!]! += pr.weight[k]!;
      }
    }
  }
}

/** b[base + idx[k]] += wt[k] for k in lo..hi-1. */
function addRow(b: Float64Array, base: number, idx: Int32Array, wt: Float64Array, lo: number, hi: number): void {
  for (let k = lo; k < hi; k++) b[base + idx[k]!]! += wt[k]!;
}

/** Adds a current source's value at time t (held over the step) to the targets' I_inj. */
function injectCurrent(cs: IRCurrentSource, t: number, pops: Map<string, PopRuntime>, rng: CounterRng): void {
  let value: number;
  if (cs.kind === 'Step') {
    let k = -1;
    while (k + 1 < cs.times.length && cs.times[k + 1]! <= t + 1e-9) k++;
    if (k < 0) return;
    value = cs.amplitudes[k]!;
  } else {
    if (t < cs.start - 1e-9 || t >= (cs.stop ?? Infinity) - 1e-9) return;
    value = cs.kind === 'DC' ? cs.amplitude : cs.kind === 'AC' ? cs.offset + cs.amplitude * Math.sin(2 * Math.PI * cs.frequency * t * 1e-3 + cs.phase) : 0;
  }
  let j = 0;
  const draw = cs.kind === 'Noisy' ? Math.floor((t - cs.start) / cs.dt + 1e-9) : 0;
  for (const s of cs.target) {
    const p = pops.get(s.population)!;
    for (let i = s.start; i < s.stop; i += s.step, j++) {
      p.inj[i]! += cs.kind === 'Noisy' ? cs.mean + cs.stdev * rng.normal(cs.stream, j, draw) : value;
    }
  }
}

/**
 * SpikeSourcePoisson: in each step of its window a neuron spikes with probability p = rate dt,
 * independently. The gaps between spikes are therefore geometric, and that is how they are drawn:
 * the k-th gap of neuron i from (stream, i, k), one draw per spike instead of one per step.
 */
function poissonStep(p: PopRuntime, rng: CounterRng, n: number, dt: number): number {
  const rate = p.params.rate!;
  const start = p.params.start!;
  const duration = p.params.duration!;
  const stream = p.ir.streams.poisson;
  if (!p.poisson) {
    const next = new Float64Array(p.size);
    const drawn = new Int32Array(p.size);
    for (let i = 0; i < p.size; i++) next[i] = Math.ceil(start[i]! / dt - 1e-9) - 1;
    p.poisson = { next, drawn };
    for (let i = 0; i < p.size; i++) next[i]! += poissonGap(rng, stream, i, drawn[i]!++, rate[i]! * dt * 1e-3);
  }
  const { next, drawn } = p.poisson;
  let count = 0;
  for (let i = 0; i < p.size; i++) {
    if (next[i] !== n) continue;
    if ((n + 1) * dt <= start[i]! + duration[i]! + 1e-9) p.spikedOut[count++] = i;
    next[i]! += poissonGap(rng, stream, i, drawn[i]!++, rate[i]! * dt * 1e-3);
  }
  return count;
}

/** Steps to the next spike: geometric on {1, 2, …} with success probability q per step. */
function poissonGap(rng: CounterRng, stream: number, i: number, k: number, q: number): number {
  if (q <= 0) return Infinity;
  if (q >= 1) return 1;
  return 1 + Math.floor(Math.log(rng.uniform(stream, i, k)) / Math.log1p(-q));
}

/**
 * Moves a population's arrays into a WebAssembly memory and makes its step a WASM loop, when every
 * expression of its maps compiles to WASM arithmetic; false (and nothing changed) otherwise.
 */
function toWasm(p: PopRuntime, slots: number, dt: number): boolean {
  const scalars = scalarParams(p.ir, dt);
  const arrayParams = Object.keys(p.ir.params).filter((k) => !scalars.has(k));
  if (!wasmSupports(p.model, scalars)) return false;
  const lay = wasmLayout(p.model, arrayParams, p.size, slots);
  const pages = Math.max(1, Math.ceil(lay.bytes / 65536));
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  const f64 = (offset: number, n: number, from?: Float64Array): Float64Array => {
    const v = new Float64Array(memory.buffer, offset, n);
    if (from) v.set(from.subarray(0, n));
    return v;
  };
  for (const x of p.model.state) p.state[x] = f64(lay.state.get(x)!, p.size, p.state[x]);
  for (const k of arrayParams) p.params[k] = f64(lay.params.get(k)!, p.size, p.params[k]);
  p.inj = f64(lay.inj, p.size);
  p.refSteps = f64(lay.refSteps, p.size, p.refSteps);
  const refr = new Int32Array(memory.buffer, lay.refr, p.size);
  refr.set(p.refr);
  p.refr = refr;
  p.model.inputs.forEach((h, k) => p.buffers.set(h.port, f64(lay.buffers[k]!, slots * p.size)));
  p.bufferList = p.model.inputs.map((h) => p.buffers.get(h.port)!);
  const module = new WebAssembly.Module(stepModule(p.model, lay, scalars, pages));
  const instance = new WebAssembly.Instance(module, { env: { mem: memory } });
  const run = instance.exports.step as (off: number, lo: number, hi: number, out: number) => number;
  const out = new Int32Array(memory.buffer, lay.out, p.size);
  p.step = (off, lo, hi) => {
    const n = run(off, lo, hi, lay.out);
    p.spikedOut.set(out.subarray(0, n));
    return n;
  };
  return true;
}

/** A per-neuron array in shared memory, so worker threads can run the step loops. */
function broadcast(v: number | number[] | undefined, size: number): Float64Array {
  const out = shared64(size);
  if (v === undefined) out.fill(NaN);
  else if (typeof v === 'number') out.fill(v);
  else out.set(v);
  return out;
}

function popRuntime(p: IRPopulation, model: IRNeuronModel, dt: number): PopRuntime {
  const size = p.size;
  const state: Record<string, Float64Array> = {};
  for (const x of model.state) state[x] = broadcast(p.initial[x], size);
  const params: Record<string, Float64Array> = {};
  for (const [k, v] of Object.entries(p.params)) params[k] = broadcast(v, size);
  const refSteps = shared64(size);
  if (model.refractory) {
    for (let i = 0; i < size; i++) refSteps[i] = Math.round(evaluate(model.refractory.period, (n) => params[n]![i]!) / dt);
  }
  const rt: PopRuntime = {
    ir: p,
    model,
    size,
    state,
    params,
    refr: shared32(size),
    refSteps,
    inj: shared64(size),
    buffers: new Map(),
    bufferList: [],
    spikedOut: new Int32Array(size),
    stepCount: 0,
    outgoing: [],
    incomingPlastic: [],
  };
  if (model.kind === 'neuron') {
    rt.stepCode = stepCode(model, p, dt);
  }
  if (model.kind === 'array') {
    // A spike time s is emitted in the step whose end, stamped (n + 1) dt, is the first at or after s.
    const lists = p.spikeTimes ?? [];
    const stepOf = (s: number): number => Math.max(0, Math.ceil(s / dt - 1e-9) - 1);
    if (lists.length <= 1) rt.arraySteps = [...new Set((lists[0] ?? []).map(stepOf))].sort((a, b) => a - b);
    else rt.arrayEvents = lists.flatMap((ts, i) => ts.map((s) => [stepOf(s), i] as [number, number])).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  }
  return rt;
}

/** How names read inside a generated per-neuron loop body. */
function resolver(model: IRNeuronModel, p: IRPopulation, dt: number, locals: Set<string>): (name: string) => string {
  const state = new Set(model.state);
  return (name) => {
    if (locals.has(name)) return identifier('l', name);
    if (state.has(name)) return `${identifier('s', name)}[i]`;
    if (name === DT) return `(${dt})`;
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

function assignments(list: IRAssign[], res: (name: string) => string, scalars: ReadonlyMap<string, number>): string {
  return list
    .map((a) => {
      const code = js(specialize(a.expr, scalars), res);
      return a.local ? `const ${identifier('l', a.target)} = ${code};` : `${res(a.target)} = ${code};`;
    })
    .join('\n');
}

/** The values generated code may write as constants: dt and the parameters one value for all neurons. */
function scalarParams(p: IRPopulation, dt: number): Map<string, number> {
  const out = new Map<string, number>([[DT, dt]]);
  for (const [k, v] of Object.entries(p.params)) if (typeof v === 'number') out.set(k, v);
  return out;
}

/** The body of a population's step function over neurons lo..hi-1 (see StepFn). */
function stepCode(model: IRNeuronModel, p: IRPopulation, dt: number): string {
  const locals = new Set([...model.update, ...(model.refractoryUpdate ?? [])].filter((a) => a.local).map((a) => a.target));
  const res = resolver(model, p, dt, locals);
  const scalars = scalarParams(p, dt);
  const clamp = model.refractory?.clamp ?? [];
  // Weights arriving in one step are summed in the ring buffer, which is exact only for handlers
  // linear in w (x += w, x += w * e / tau, …).
  for (const h of model.inputs) {
    for (const a of h.update) {
      if (degree(a.expr, new Set([WEIGHT])) > 1) throw new Error(`the input handler of ${model.name} is not linear in the weight; the CPU backend sums the weights arriving in one step`);
    }
  }
  const deliver = model.inputs
    .map(
      (h, k) => `  {
    const w = B${k}[off + i];
    if (w !== 0) {
      B${k}[off + i] = 0;
${assignments(h.update, res, scalars)}
    }
  }`,
    )
    .join('\n');
  // A factory: the arrays become constants of the closure, which V8 compiles to much faster
  // loops than arrays passed in on every call.
  const body = `
${prologue(model, p)}
${model.inputs.map((_, k) => `const B${k} = B[${k}];`).join('\n')}
return function step(off, lo, hi) {
let count = 0;
for (let i = lo; i < hi; i++) {
  const refractory = refr[i] > 0;
  ${clamp.map((x, k) => `const c${k} = ${res(x)};`).join('\n  ')}
${deliver}
  if (refractory) {
    // Refractory: the clamped variables (${clamp.join(', ') || 'none'}) hold, and input to them is
    // lost (NEST); the rest integrate.
${model.refractoryUpdate ? assignments(model.refractoryUpdate, res, scalars) : assignments(model.update, res, scalars)}
    ${clamp.map((x, k) => `${res(x)} = c${k};`).join('\n    ')}
    refr[i]--;
    continue;
  }
  {
${assignments(model.update, res, scalars)}
  }
  ${
    model.threshold
      ? `if (${js(specialize(model.threshold, scalars), res)}) {
    out[count++] = i;
${assignments(model.reset, res, scalars)}
    refr[i] = refSteps[i];
  }`
      : ''
  }
}
return count;
};`;
  return body;
}
