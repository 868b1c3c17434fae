/**
 * What a training backend needs from a Network IR, worked out once and shared by the CPU and
 * WebGPU backends: which population takes the data, the step program (forward and adjoint,
 * compiler/grad/step.ts) of every other population, and each projection as a dense weight
 * matrix with its connection mask. Everything a backend cannot train is refused here, with the
 * IR element at fault (`population:NAME`, `projection:NAME`) so the CLI can point at its line.
 */
import { connect, expandSlices } from '../../compiler/connect.js';
import { evaluate } from '../../compiler/ir/eval.js';
import type { IRNeuronModel, IRPopulation, IRProjection, IRTrain, NetworkIR } from '../../compiler/ir/types.js';
import { stepProgram, StepError, type StepProgram } from '../../compiler/grad/step.js';

export class TrainPlanError extends Error {
  constructor(
    message: string,
    /** The IR element at fault, as LowerOptions.locations keys it (`population:hidden`). */
    readonly element?: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

export interface PlanPopulation {
  name: string;
  index: number;
  size: number;
  model: IRNeuronModel;
  /** The data-fed spike source. */
  isInput: boolean;
  /** Absent for spike sources. */
  program?: StepProgram;
  /** Parameter values: a number, or one per neuron. */
  params: Record<string, number | Float64Array>;
  initial: Record<string, number | Float64Array>;
}

export interface PlanProjection {
  name: string;
  /** Position in plan.projections (and in an engine's weight list). */
  index: number;
  pre: number;
  post: number;
  /** Rows and columns of the dense matrix: pre and post list sizes. */
  rows: number;
  cols: number;
  /** Neuron index in the pre / post population of each row / column. */
  preIndex: Int32Array;
  postIndex: Int32Array;
  /** True when rows and columns are the whole populations in order (the fast path). */
  identity: boolean;
  /** Index of the receptor port among the post model's inputs. */
  port: number;
  /**
   * Steps from the step of a spike to the step whose deliver phase applies it: the delay plus
   * one, since a spike is stamped at the end of its step (spec/language.md, propagate).
   */
  lag: number;
  trainable: boolean;
  /** Initial weights [rows][cols], row-major (0 where not connected), and the connection mask. */
  weight: Float64Array;
  mask: Uint8Array;
  synapses: number;
}

export interface TrainPlan {
  ir: NetworkIR;
  train: IRTrain;
  dt: number;
  populations: PlanPopulation[];
  projections: PlanProjection[];
  input: PlanPopulation;
  readout: { population: PlanPopulation; variable: string; kind: IRTrain['readout']['kind'] };
}

export function planTraining(ir: NetworkIR): TrainPlan {
  const train = ir.train;
  if (!train) throw new TrainPlanError(`network '${ir.name}' has no train block`, undefined, 'add `train { readout: max_over_time(output.v) }` to the network');
  const populations = ir.populations.map((p, index) => planPopulation(ir, train, p, index));
  const byName = new Map(populations.map((p) => [p.name, p]));
  const projections = ir.projections.map((pr, index) => planProjection(ir, pr, index, byName));
  const input = byName.get(train.input.population)!;
  for (const p of populations) {
    if (p.isInput || p.program) continue;
    throw new TrainPlanError(`population '${p.name}' is a ${p.model.name}; training takes spikes only from the data population '${input.name}'`, `population:${p.name}`, 'give it a neuron model, or feed it from the data');
  }
  const rp = byName.get(train.readout.population)!;
  if (train.readout.kind !== 'spike_count' && !rp.model.state.includes(train.readout.variable)) {
    throw new TrainPlanError(`the readout reads '${train.readout.variable}', which '${rp.model.name}' has no state variable of that name`, `population:${rp.name}`);
  }
  if (train.readout.kind === 'spike_count' && !rp.program?.margin) throw new TrainPlanError(`the readout counts spikes of '${rp.name}', whose model never spikes`, `population:${rp.name}`);
  if (train.loss.kind === 'van_rossum' && !rp.program?.margin) {
    throw new TrainPlanError(`the van_rossum loss compares spikes of '${rp.name}', whose model never spikes`, `population:${rp.name}`, 'read out a spiking population, e.g. readout: spike_count(output)');
  }
  if (train.loss.kind === 'mse' && train.loss.targets && train.readout.kind === 'spike_count') {
    throw new TrainPlanError('mse with target traces compares a state variable over time, but the readout counts spikes', `population:${rp.name}`, 'read out a variable, e.g. readout: last(output.v)');
  }
  if (ir.currentSources.length > 0) throw new TrainPlanError('training does not take current sources yet', 'current:0', 'remove the inject statements, or model the input as a population');
  return {
    ir,
    train,
    dt: ir.dt,
    populations,
    projections,
    input,
    readout: { population: rp, variable: train.readout.variable, kind: train.readout.kind },
  };
}

function planPopulation(ir: NetworkIR, train: IRTrain, p: IRPopulation, index: number): PlanPopulation {
  const model = ir.models[p.model]!;
  const isInput = p.name === train.input.population;
  const params: PlanPopulation['params'] = {};
  for (const [k, v] of Object.entries(p.params)) params[k] = typeof v === 'number' ? v : Float64Array.from(v);
  const initial: PlanPopulation['initial'] = {};
  for (const [k, v] of Object.entries(p.initial)) initial[k] = typeof v === 'number' ? v : Float64Array.from(v);
  const out: PlanPopulation = { name: p.name, index, size: p.size, model, isInput, params, initial };
  if (isInput || model.kind !== 'neuron') return out;
  if (model.refractory) {
    const env = (i: number) => (n: string): number => {
      const v = p.params[n];
      return typeof v === 'number' ? v : v?.[i] ?? NaN;
    };
    for (let i = 0; i < p.size; i++) {
      if (Math.round(evaluate(model.refractory.period, env(i)) / ir.dt) >= 1) {
        throw new TrainPlanError(`'${p.name}' (${model.name}) has a refractory period of at least one step, which training does not support yet`, `population:${p.name}`, `set the refractory period below dt/2 (${ir.dt / 2} ms), e.g. tau_refrac: 0 ms`);
      }
    }
  }
  try {
    out.program = stepProgram(model, { dt: ir.dt, surrogate: train.surrogate, resetGradient: train.resetGradient });
  } catch (e) {
    if (e instanceof StepError) throw new TrainPlanError(e.message, `population:${p.name}`);
    throw e;
  }
  return out;
}

function planProjection(ir: NetworkIR, pr: IRProjection, index: number, pops: Map<string, PlanPopulation>): PlanProjection {
  const at = `projection:${pr.name}`;
  const side = (slices: IRProjection['pre'], what: string): { pop: PlanPopulation; index: Int32Array; identity: boolean } => {
    const names = new Set(slices.map((s) => s.population));
    if (names.size !== 1) throw new TrainPlanError(`the ${what} side of '${pr.name}' spans several populations, which training does not support yet`, at, 'make one projection per population');
    const pop = pops.get([...names][0]!)!;
    const list = expandSlices(slices);
    const index = Int32Array.from(list.map((x) => x.index));
    const identity = index.length === pop.size && index.every((x, i) => x === i);
    return { pop, index, identity };
  };
  const pre = side(pr.pre, 'pre');
  const post = side(pr.post, 'post');
  if (post.pop.isInput) throw new TrainPlanError(`'${pr.name}' projects onto the data population '${post.pop.name}'`, at);
  if (pr.synapse !== 'static') throw new TrainPlanError(`'${pr.name}' uses the synapse model ${pr.synapse.model}, which training does not support yet`, at, 'use a static synapse');
  if (pr.plasticity) throw new TrainPlanError(`'${pr.name}' has the plasticity rule ${pr.plasticity.rule}; a projection is either plastic or trained`, at);
  if (!('const' in pr.delay)) throw new TrainPlanError(`'${pr.name}' has a distribution of delays; training needs one delay per projection`, at);
  const port = post.pop.model.inputs.findIndex((h) => h.port === pr.receptor);
  if (port < 0) throw new TrainPlanError(`'${post.pop.model.name}' has no input port '${pr.receptor}'`, at);
  const syn = connect(pr, ir.seed, (name) => ir.populations.find((p) => p.name === name)?.positions);
  const rows = pre.index.length;
  const cols = post.index.length;
  const weight = new Float64Array(rows * cols);
  const mask = new Uint8Array(rows * cols);
  for (let s = 0; s < syn.pre.length; s++) {
    const k = syn.pre[s]! * cols + syn.post[s]!;
    // several synapses between one pair act as one weight, their sum
    weight[k]! += syn.weight[s]!;
    mask[k] = 1;
  }
  return {
    name: pr.name,
    index,
    pre: pre.pop.index,
    post: post.pop.index,
    rows,
    cols,
    preIndex: pre.index,
    postIndex: post.index,
    identity: pre.identity && post.identity,
    port,
    lag: Math.max(1, Math.round(pr.delay.const)) + 1,
    trainable: pr.trainable === true,
    weight,
    mask,
    synapses: syn.pre.length,
  };
}
