/**
 * The Network IR: the one contract between the compiler and every backend (DESIGN.md principle 1).
 * Plain JSON, versioned, described by compiler/ir/schema.json. All numbers are in the internal
 * unit system (`units`: ms, mV, nA, nF, uS, Hz, …); dimensions were checked by the compiler and
 * are gone. Discretisation is done (principle 3): a neuron model carries its one-step update map.
 */

export const IR_FORMAT = 'snn-ir';
export const IR_VERSION = 1;

/** An expression tree. `ref` names a state variable, a parameter, or a symbol of the context. */
export type IRExpr =
  | { num: number }
  | { ref: string }
  | { op: IRBinaryOp; args: [IRExpr, IRExpr] }
  | { op: 'neg' | 'not'; args: [IRExpr] }
  | { call: string; args: IRExpr[] };

export type IRBinaryOp = '+' | '-' | '*' | '/' | '^' | '%' | '<' | '<=' | '>' | '>=' | '==' | '!=' | 'and' | 'or';

/**
 * One assignment of an update map. Assignments run in order; each reads the values left by the
 * ones before it. `local: true` names a temporary of this map (an RK4 stage), not a state variable.
 */
export interface IRAssign {
  target: string;
  expr: IRExpr;
  local?: true;
}

export interface IRIntegrator {
  /** exact: the exact propagator of a linear system; rk4: classic Runge-Kutta; none: no ODEs. */
  method: 'exact' | 'rk4' | 'none';
  /** Why this method: e.g. "linear in v, isyn_exc, isyn_inh" or "nonlinear in v: exp(...)". */
  reason: string;
}

export interface IRNeuronModel {
  name: string;
  /** neuron: equations; poisson and array: PyNN's SpikeSourcePoisson and SpikeSourceArray. */
  kind: 'neuron' | 'poisson' | 'array';
  state: string[];
  params: string[];
  integrator: IRIntegrator;
  /**
   * One step t -> t + dt of the ODEs, in the symbols of `state` and the population's `params`
   * (including the propagator coefficients the compiler derived, named `P[x,y]`, `q[x]`, `Q[x]`).
   * Symbols start with `$`: `$dt` is the step (ms), `$I_inj` the injected current (nA) held
   * constant over the step; in `inputs`, `$w` is the arriving weight.
   */
  update: IRAssign[];
  /**
   * The update used instead while a neuron is refractory: the clamped variables have derivative
   * zero and the others integrate with them held. Absent when no clamped variable has an ODE.
   */
  refractoryUpdate?: IRAssign[];
  /** The spike condition, tested after the update; absent for models that never spike. */
  threshold?: IRExpr;
  /** Assignments after a spike. */
  reset: IRAssign[];
  /** After a spike the `clamp` variables keep their reset value for `period` ms (an expression in params). */
  refractory?: { period: IRExpr; clamp: string[] };
  /** Input handlers: the update applied when weight `w` arrives on `port` ('' for the unnamed port). */
  inputs: { port: string; update: IRAssign[] }[];
  /** The parameter that current sources add to (PyNN's i_offset), when the model has one. */
  currentParam?: string;
  /**
   * The continuous right-hand sides dx/dt as written (internal unit of x per ms), reading state,
   * params and `$I_inj`. Simulation uses `update`; this is for exporters to formats that carry
   * equations rather than update maps (NIR, PyNN).
   */
  odes?: Record<string, IRExpr>;
}

/** Neurons `start`, `start + step`, … below `stop` of one population. */
export interface IRSlice {
  population: string;
  start: number;
  stop: number;
  step: number;
}

/** A value per neuron or per synapse: a constant, or a distribution drawn from the model's stream. */
export type IRValue = { const: number } | { dist: string; params: Record<string, number> };

export interface IRPopulation {
  name: string;
  model: string;
  size: number;
  /** Every parameter of the model (and the derived coefficients), a scalar or one value per neuron. */
  params: Record<string, number | number[]>;
  /** Initial value of each state variable: a scalar or one value per neuron. */
  initial: Record<string, number | number[]>;
  /** SpikeSourceArray: spike times in ms, one sorted list per neuron (or one list for all). */
  spikeTimes?: number[][];
  /** Positions from the population's structure: x, y, z in um for each neuron, flattened. */
  positions?: number[];
  /** Random stream ids (compiler/random/philox.ts) of this population. */
  streams: { poisson: number };
  /**
   * Spikes from a data source (`from randman(classes: 2)`), bound to one sample at a time by
   * training. Present only when lowering with `keepDataSources`; simulation refuses it.
   */
  source?: { kind: string; args: Record<string, number | string> };
}

export type IRConnector =
  | { kind: 'AllToAll'; allowSelfConnections: boolean }
  | { kind: 'OneToOne' }
  | { kind: 'FixedProbability'; p: number; allowSelfConnections: boolean }
  | { kind: 'FixedNumberPre'; n: number; allowSelfConnections: boolean }
  | { kind: 'FixedNumberPost'; n: number; allowSelfConnections: boolean }
  | { kind: 'FixedTotalNumber'; n: number; allowSelfConnections: boolean }
  /** `probability` reads `$d`, the distance between the two neurons in um. */
  | { kind: 'DistanceDependentProbability'; probability: IRExpr; allowSelfConnections: boolean }
  /** Rows [pre, post]: indices into the pre and post lists; weights and delays (in steps) per row when given. */
  | { kind: 'FromList'; rows: number[][]; weights?: number[]; delays?: number[] };

export interface IRProjection {
  name: string;
  pre: IRSlice[];
  post: IRSlice[];
  connector: IRConnector;
  /** The receptor port of the post model. */
  receptor: string;
  /** In the unit of the receptor's weight. */
  weight: IRValue;
  /** In steps of dt (converted by the compiler); a synapse's delay is max(1, round(delay)) steps. */
  delay: IRValue;
  /** 'static', or a synapse model with its parameters and initial state (one value for all synapses). */
  synapse: 'static' | { model: string; params: Record<string, number>; initial: Record<string, number> };
  /** A plasticity rule with its parameters (in the weight's unit where the rule's are). */
  plasticity?: { rule: string; params: Record<string, number> };
  /** The weights are trained by the network's `train` block. */
  trainable?: true;
  streams: { connectivity: number; weight: number; delay: number };
}

export type IRCurrentSource =
  /** `stop` absent: on until the end of the run. */
  | { kind: 'DC'; amplitude: number; start: number; stop?: number; target: IRSlice[] }
  /** offset + amplitude sin(2 pi frequency t + phase), t the absolute time (NEST's ac_generator); frequency in Hz, phase in rad. */
  | { kind: 'AC'; amplitude: number; offset: number; frequency: number; phase: number; start: number; stop?: number; target: IRSlice[] }
  /** amplitudes[k] from times[k] until the next time; 0 before the first. */
  | { kind: 'Step'; times: number[]; amplitudes: number[]; target: IRSlice[] }
  /** mean + stdev N(0, 1), a new independent draw per neuron every `dt` ms (from `start`). */
  | { kind: 'Noisy'; mean: number; stdev: number; start: number; stop?: number; dt: number; target: IRSlice[]; stream: number };

export interface IRRecording {
  target: IRSlice[];
  /** A state variable, or 'spikes'. */
  variable: string;
  /** Sampling interval of a state variable, in steps. */
  everySteps: number;
  /** How the model wrote it, e.g. `neurons[0:10].v`. */
  label: string;
}

export interface NetworkIR {
  format: typeof IR_FORMAT;
  version: typeof IR_VERSION;
  name: string;
  /** What each plain number means, by physical quantity. */
  units: Record<string, string>;
  dt: number;
  duration: number;
  seed: number;
  models: Record<string, IRNeuronModel>;
  synapseModels: Record<string, IRSynapseModel>;
  plasticityRules: Record<string, IRPlasticityRule>;
  populations: IRPopulation[];
  projections: IRProjection[];
  currentSources: IRCurrentSource[];
  recordings: IRRecording[];
  /** The order of the phases of one step, which every backend follows (spec/language.md). */
  stepOrder: string[];
  /** The `train { … }` block, when the network has one. */
  train?: IRTrain;
}

/** The surrogate derivative of the spike used by the backward pass (compiler/builtins.ts). */
export interface IRTrainSurrogate {
  kind: 'fast_sigmoid' | 'sigmoid' | 'triangle' | 'slayer' | 'arctan';
  params: Record<string, number>;
}

/**
 * How a network is trained (`train { … }`), with every default filled in. Times are in ms,
 * spike counts per sample.
 */
export interface IRTrain {
  /** What the loss sees, per sample and output neuron: a variable over time, or spike counts. */
  readout: { kind: 'max_over_time' | 'mean_over_time' | 'last' | 'spike_count'; population: string; variable: string };
  loss: { kind: 'cross_entropy' } | { kind: 'mse'; targets?: string } | { kind: 'van_rossum'; tau: number; targets: string };
  surrogate: IRTrainSurrogate;
  optimizer: { kind: 'adam' | 'adamax' | 'sgd'; params: Record<string, number> };
  epochs: number;
  batch: number;
  regularizers: { population: string; weight: number; per: 'neuron' | 'population'; lower?: number; upper?: number; power: number }[];
  schedule?: { kind: 'step_lr'; stepSize: number; gamma: number } | { kind: 'cosine'; tMax?: number; lrMin: number };
  /** Fractions of the samples for training, validation and test. */
  split: [number, number, number];
  /** The population whose spikes come from the data, and the source. */
  input: { population: string; source: { kind: string; args: Record<string, number | string> } };
  resetGradient: boolean;
  /** How the gradient is computed: backprop through time, or online with eligibility traces and a feedback learning signal. */
  method: { kind: 'bptt' } | { kind: 'online'; feedback: 'symmetric' | 'random' };
}

/**
 * A synapse model with state of its own (TsodyksMarkram, or a user's `synapse`): per-synapse
 * state that changes only at presynaptic spikes. Between spikes each variable relaxes as
 * x' = a x + c (a and c expressions in the parameters), which the backend integrates exactly over
 * the time since the synapse's last spike. `onPre` runs at a presynaptic spike; its assignment to
 * `$deliver` is what reaches the postsynaptic receptor, after the delay. `$w` is the weight.
 */
export interface IRSynapseModel {
  name: string;
  state: string[];
  params: string[];
  relax: Record<string, { a: IRExpr; c: IRExpr }>;
  onPre: IRAssign[];
}

/**
 * A plasticity rule: pre traces (one per presynaptic neuron) and post traces (one per
 * postsynaptic neuron) decay with their time constants and jump by 1 at their side's spikes,
 * after that side's handler has run; `onPre` and `onPost` change `$w`, which `bounds` then
 * clips. Trace values seen by a handler are decayed exactly to the time of the spike.
 */
export interface IRPlasticityRule {
  name: string;
  params: string[];
  preTraces: { name: string; tau: IRExpr }[];
  postTraces: { name: string; tau: IRExpr }[];
  onPre: IRAssign[];
  onPost: IRAssign[];
  bounds?: { lower: IRExpr; upper: IRExpr };
}
