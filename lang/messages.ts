/**
 * The diagnostics catalogue: the single source of every message snn can report.
 *
 * Codes are grouped by phase (see spec/diagnostics.md):
 *   SNN0xxx lexing and parsing     SNN1xxx names and scopes     SNN2xxx units and types
 *   SNN3xxx model structure        SNN4xxx IR and lowering      SNN5xxx backend capability
 *   SNN6xxx CLI and configuration  SNN9xxx internal errors
 * A retired code is never given out again: mark it `retired: true` instead of deleting it.
 * `{0}`, `{1}`… are placeholders filled by the reporter.
 */
import type { Severity } from './diagnostics.js';

export interface MessageDef {
  code: string;
  severity: Severity;
  message: string;
  hint?: string;
  /** One sentence: what the rule is, for the catalogue. */
  doc: string;
  retired?: boolean;
}

export const Messages = {
  // ---- SNN0xxx: lexing and parsing
  UnexpectedCharacter: {
    code: 'SNN0001', severity: 'error',
    message: "unexpected character '{0}'",
    hint: 'comments start with #; strings use double quotes',
    doc: 'The lexer met a character that starts no token.',
  },
  UnexpectedToken: {
    code: 'SNN0002', severity: 'error',
    message: 'unexpected {0}; expected {1}',
    doc: 'The parser met a token that does not fit the grammar at that point.',
  },
  UnexpectedEnd: {
    code: 'SNN0003', severity: 'error',
    message: 'unexpected end of file; expected {0}',
    hint: 'the file may be truncated, or a brace or parenthesis is not closed',
    doc: 'The file ended in the middle of a construct.',
  },
  UnterminatedString: {
    code: 'SNN0004', severity: 'error',
    message: 'unterminated string literal',
    hint: 'close the string with a double quote on the same line',
    doc: 'A string literal runs to the end of the line without its closing quote.',
  },
  InvalidNumber: {
    code: 'SNN0005', severity: 'error',
    message: "invalid number '{0}'",
    doc: 'A numeric literal is malformed or not finite.',
  },
  InvalidUnitPower: {
    code: 'SNN0006', severity: 'error',
    message: "unit power must be a whole number, got '{0}'",
    doc: 'A unit exponent such as `um^2` must be an integer.',
  },
  ChainedOperator: {
    code: 'SNN0007', severity: 'error',
    message: "'{0}' does not chain",
    hint: 'comparisons and -> take one operand on each side: write a < b and b < c, or use parentheses',
    doc: 'The comparisons (`<`, `<=`, `>`, `>=`, `==`, `!=`) and the projection arrow `->` are non-associative: `a < b < c` is an error, not (a < b) < c.',
  },
  // ---- SNN1xxx: names and scopes
  UnknownName: {
    code: 'SNN1001', severity: 'error',
    message: "cannot find name '{0}'",
    doc: 'Every name must be declared: a parameter, state variable, alias, handler argument, trace, population, model or built-in function.',
  },
  DuplicateDeclaration: {
    code: 'SNN1002', severity: 'error',
    message: "'{0}' is already declared in this {1}",
    doc: 'A name may be declared once per scope (model, network, file).',
  },
  UnknownModel: {
    code: 'SNN1003', severity: 'error',
    message: "unknown {0} '{1}'",
    doc: 'A cell type, synapse type or plasticity rule must be a model declared in this file, an imported file or the stdlib.',
  },
  UnknownParameter: {
    code: 'SNN1004', severity: 'error',
    message: "'{0}' has no parameter '{1}'",
    doc: 'Parameter overrides and initial values must name parameters or state variables the model declares.',
  },
  FileNotFound: {
    code: 'SNN1005', severity: 'error',
    message: "cannot find file '{0}'",
    hint: 'paths in `use` are relative to the file that contains them',
    doc: 'A `use "path"` must name a readable .snn file.',
  },
  ImportedNameNotFound: {
    code: 'SNN1006', severity: 'error',
    message: "'{0}' does not declare '{1}'",
    doc: 'A name selected with `use A from "file"` must be declared in that file.',
  },
  UnknownFunction: {
    code: 'SNN1007', severity: 'error',
    message: "unknown function '{0}'",
    doc: 'A call must name a built-in function, connector, distribution or model.',
  },
  UnknownArgument: {
    code: 'SNN1008', severity: 'error',
    message: "'{0}' has no argument '{1}'",
    doc: 'Named arguments must be arguments the callee accepts.',
  },
  UnknownRecordable: {
    code: 'SNN1009', severity: 'error',
    message: "cannot record '{1}' of '{0}': {2} has no such variable",
    doc: "A recorded variable must be 'spikes' or a state variable or alias of the population's cell type.",
  },
  UnitUsedAsName: {
    code: 'SNN1010', severity: 'error',
    message: "'{0}' is a unit, not a name",
    hint: 'units follow a number: write `1 {0}`',
    doc: 'A unit name may only appear right after a number; alone it is never read as a unit (NESTML #1010).',
  },
  UnknownModule: {
    code: 'SNN1011', severity: 'error',
    message: "no stdlib module '{0}'",
    doc: 'A dotted `use` must name a stdlib module.',
  },
  ImportCycle: {
    code: 'SNN1012', severity: 'error',
    message: "import cycle: {0}",
    doc: 'Files may not import each other in a cycle.',
  },
  UnknownReceptor: {
    code: 'SNN1013', severity: 'error',
    message: "'{0}' has no receptor '{1}'",
    doc: "A projection's receptor must be a port the post-synaptic cell type declares with `on input PORT(w)`.",
  },
  UnknownOption: {
    code: 'SNN1014', severity: 'error',
    message: "unknown {0} option '{1}'",
    doc: 'Keys in `train { }`, `target { }` and network settings must be known options.',
  },
  UnknownEvent: {
    code: 'SNN1015', severity: 'error',
    message: "a {0} has no event '{1}'",
    doc: "Neurons handle `on input`; synapses and plasticity rules handle `on pre` and `on post`.",
  },
  ImportHasErrors: {
    code: 'SNN1016', severity: 'error',
    message: "imported file '{0}' has {1} error(s)",
    hint: "run `snn check {0}` to see them",
    doc: 'A file that another file uses must itself be free of errors.',
  },
  ShadowsStdlib: {
    code: 'SNN1017', severity: 'warning',
    message: "'{0}' shadows the stdlib {1} of the same name",
    hint: 'rename it unless you mean to replace the stdlib definition in this file',
    doc: 'A local model with a stdlib name hides the stdlib model.',
  },
  UnusedParameter: {
    code: 'SNN1101', severity: 'warning',
    message: "parameter '{0}' is never used",
    doc: 'A parameter no equation, handler, condition or reset reads is probably a mistake.',
  },
  UnusedState: {
    code: 'SNN1102', severity: 'warning',
    message: "state variable '{0}' is never read",
    doc: "A state variable that nothing but its own equation and updates reads has no effect on the model (a neuron's first state variable, its output, is exempt).",
  },
  UnusedAlias: {
    code: 'SNN1103', severity: 'warning',
    message: "alias '{0}' is never used",
    doc: 'A named subexpression nothing reads.',
  },
  UnusedPopulation: {
    code: 'SNN1104', severity: 'warning',
    message: "population '{0}' is not connected, recorded or stimulated",
    doc: 'A population no projection, recording or current source refers to has no observable effect.',
  },
  UnusedImport: {
    code: 'SNN1105', severity: 'warning',
    message: "'{0}' is imported but never used",
    doc: 'A name selected in `use` that the file never refers to.',
  },
  UnusedHandlerArgument: {
    code: 'SNN1106', severity: 'warning',
    message: "argument '{0}' of 'on {1}' is never used",
    doc: 'An input handler that ignores its weight drops every input.',
  },

  // ---- SNN2xxx: units and types
  UnknownUnit: {
    code: 'SNN2001', severity: 'error',
    message: "unknown unit '{0}'",
    doc: 'Units are SI units with prefixes (ms, mV, nA, nF, uS, Hz, um, …); anything else after a number is an error.',
  },
  OdeUnitMismatch: {
    code: 'SNN2002', severity: 'error',
    message: "the right-hand side of {0}' is {1}, but {0}' must be {2} ({0} is {3})",
    doc: "The right-hand side of x' must have the unit of x per time.",
  },
  IncompatibleUnits: {
    code: 'SNN2003', severity: 'error',
    message: "cannot {0} {1} and {2}",
    doc: 'Addition, subtraction, comparison and min/max need operands of the same dimension; mixing a plain number with a quantity is an error, not a warning.',
  },
  ParameterUnitMismatch: {
    code: 'SNN2004', severity: 'error',
    message: "'{0}' expects {1} for '{2}', got {3}",
    doc: 'A value given for a parameter, argument or initial value must have the dimension that parameter has.',
  },
  AssignmentUnitMismatch: {
    code: 'SNN2005', severity: 'error',
    message: "cannot assign {1} to '{0}', which is in {2}",
    doc: 'An assignment in a handler or reset must keep the dimension of its target.',
  },
  DimensionedArgument: {
    code: 'SNN2006', severity: 'error',
    message: "'{0}' needs a dimensionless argument, got {1}",
    hint: 'divide by a reference value, e.g. exp(-t / tau)',
    doc: 'Transcendental functions (exp, log, sin, tanh, …) take dimensionless arguments.',
  },
  DimensionedExponent: {
    code: 'SNN2007', severity: 'error',
    message: "an exponent must be a dimensionless constant, got {0}",
    doc: 'In a ^ b, b must be a dimensionless constant when a has a unit.',
  },
  ConditionNotBoolean: {
    code: 'SNN2008', severity: 'error',
    message: "a {0} must be a condition (a comparison), got {1}",
    doc: 'Spike conditions are comparisons or logical combinations of comparisons.',
  },
  WrongArgumentCount: {
    code: 'SNN2009', severity: 'error',
    message: "'{0}' takes {1}, got {2}",
    doc: 'A call must pass the number of positional arguments its callee accepts.',
  },
  WrongArgumentKind: {
    code: 'SNN2010', severity: 'error',
    message: "'{0}' expects {1} for {2}, got {3}",
    doc: 'An argument must be of the kind the callee accepts (a population, a connector, a number, …).',
  },
  ProjectionOntoSpikeSource: {
    code: 'SNN2011', severity: 'error',
    message: "cannot project onto '{0}': {1} is a spike source and has no inputs",
    doc: 'Spike sources (SpikeSourcePoisson, SpikeSourceArray, models without `on input`) cannot receive projections.',
  },
  WeightUnitMismatch: {
    code: 'SNN2012', severity: 'error',
    message: "weight in {0} does not fit receptor '{1}' of {2}, which takes {3}",
    doc: "A projection's weight must have the dimension its receptor's `on input` handler adds it to (nA for current-based, uS for conductance-based cells).",
  },
  NotAPopulation: {
    code: 'SNN2013', severity: 'error',
    message: "'{0}' is not a population, view or assembly",
    doc: 'Projections, recordings, views and current sources need populations.',
  },
  IndexOutOfRange: {
    code: 'SNN2014', severity: 'error',
    message: "{0} is out of range for '{1}', which has {2} neurons",
    doc: 'Views and indices must lie inside the population.',
  },
  InvalidSize: {
    code: 'SNN2015', severity: 'error',
    message: "a population size must be a positive whole number, got {0}",
    doc: 'Population sizes are positive integers.',
  },
  MissingArgument: {
    code: 'SNN2016', severity: 'error',
    message: "'{0}' needs {1}",
    doc: 'Required arguments (a population size and cell type, a projection\'s pre -> post) must be given.',
  },
  ValueOutOfRange: {
    code: 'SNN2017', severity: 'error',
    message: "{0} must be {1}, got {2}",
    doc: 'Probabilities lie in [0, 1]; time steps, time constants and sampling intervals are positive; delays are not negative.',
  },
  NotConstant: {
    code: 'SNN2018', severity: 'error',
    message: "{0} must be a constant, but it reads {1}",
    doc: 'Parameter defaults may use numbers and other parameters, never state variables.',
  },
  UnsupportedOperator: {
    code: 'SNN2019', severity: 'error',
    message: "'{0}' cannot be used here: {1}",
    doc: 'Operators apply to quantities; the arrow `->` appears only as the first argument of Projection.',
  },

  // ---- SNN3xxx: model structure
  OdeTargetNotState: {
    code: 'SNN3001', severity: 'error',
    message: "'{0}' has an equation but is not a state variable",
    hint: "declare it in state { {0} = … }",
    doc: "Every x' = … needs x declared in state with an initial value.",
  },
  DuplicateEquation: {
    code: 'SNN3002', severity: 'error',
    message: "'{0}' already has an equation",
    doc: 'Each state variable has at most one differential equation.',
  },
  AssignToParameter: {
    code: 'SNN3003', severity: 'error',
    message: "cannot assign to parameter '{0}'",
    hint: 'parameters are constant; make it a state variable if it changes',
    doc: 'Handlers and resets may only change state variables (and the weight w in synapse and plasticity models).',
  },
  NeverSpikes: {
    code: 'SNN3004', severity: 'error',
    message: "'{0}' cannot be a projection source: {1} has no spike rule",
    hint: 'add `spike when …` to the cell type, or use the population as a readout only',
    doc: 'A projection needs a pre-synaptic population that can spike.',
  },
  DuplicateBlock: {
    code: 'SNN3005', severity: 'error',
    message: "a {0} may have only one {1}",
    doc: 'Each model has at most one parameters, state, equations, spike and refractory section, and one handler per event and port.',
  },
  NotAllowedInModel: {
    code: 'SNN3006', severity: 'error',
    message: "{0} is not allowed in a {1}",
    doc: 'Spike rules and refractoriness belong to neurons; traces and bounds to plasticity rules.',
  },
  HigherOrderOde: {
    code: 'SNN3007', severity: 'error',
    message: "{0} is a differential equation of order {1}; only first-order equations are supported",
    hint: "write it as first-order equations with an auxiliary state variable, e.g. x' = y; y' = …",
    doc: 'Equations are first order; higher orders are written as systems.',
  },
  RefractoryWithoutSpike: {
    code: 'SNN3008', severity: 'error',
    message: "refractory period without a spike rule",
    doc: 'Refractoriness starts at a spike, so a model with `refractory` needs `spike when`.',
  },
  CyclicAlias: {
    code: 'SNN3009', severity: 'error',
    message: "alias '{0}' depends on itself: {1}",
    doc: 'Aliases are expanded in place and may not refer to themselves, directly or indirectly.',
  },
  InvalidTraceSide: {
    code: 'SNN3010', severity: 'error',
    message: "traces belong to 'pre' or 'post', not '{0}'",
    doc: 'Plasticity traces follow pre- or post-synaptic spikes.',
  },
  EmptyBounds: {
    code: 'SNN3011', severity: 'error',
    message: "bounds of '{0}' are empty: {1} > {2}",
    doc: 'The lower bound of a weight must not exceed the upper bound.',
  },
  StateWithoutDynamics: {
    code: 'SNN3012', severity: 'warning',
    message: "state variable '{0}' has no equation and is never assigned",
    hint: 'make it a parameter if it is constant',
    doc: 'A state variable nothing changes is a constant in disguise.',
  },
  SourceOnNonSource: {
    code: 'SNN3013', severity: 'error',
    message: "'from' gives spikes to spike sources only, but {0} has inputs",
    doc: '`Population(…) from data(…)` is for spike sources such as SpikeSourceArray.',
  },
  NoInputHandler: {
    code: 'SNN3014', severity: 'error',
    message: "{0} cannot receive input: it has no `on input` handler",
    doc: 'A cell type that is projected onto must say what an input does.',
  },
  BoundsOnUnknown: {
    code: 'SNN3015', severity: 'error',
    message: "bounds apply to the weight 'w', not '{0}'",
    doc: 'Bounds clip the synaptic weight after each plasticity update.',
  },
  RecordIntervalNotMultiple: {
    code: 'SNN3016', severity: 'warning',
    message: "sampling interval {0} is not a multiple of dt = {1}; it is rounded to {2}",
    doc: 'Recordings sample at whole time steps.',
  },
  DelayNotMultiple: {
    code: 'SNN3017', severity: 'warning',
    message: "delay {0} is not a multiple of dt = {1}; it is rounded to {2}",
    doc: 'Delays are whole numbers of steps (spec: delays).',
  },

  // ---- SNN4xxx: lowering to the Network IR
  CannotCompile: {
    code: 'SNN4001', severity: 'error',
    message: 'cannot compile: {0}',
    hint: 'the model checks, but the compiler does not lower this construct yet; see spec/language.md',
    doc: 'The model is valid, but lowering it to the Network IR needs something the compiler does not support yet (a connector, a distribution, a current source, plasticity), or the file has no single network to compile.',
  },

  // ---- SNN5xxx: backend capability (exporters say what a target cannot carry)
  CannotExport: {
    code: 'SNN5001', severity: 'error',
    message: 'cannot export to {0}: {1}',
    hint: 'the target has no construct with the same meaning; see spec/interchange.md for what each target carries',
    doc: 'The model uses something the export target cannot express, and an approximation would change what the model means, so nothing is written.',
  },
  PlasticityDropped: {
    code: 'SNN5101', severity: 'warning',
    message: "{0} cannot carry the plasticity '{1}' of projection '{2}': the exported weights are the initial ones and stay fixed",
    doc: 'NIR has no plasticity; the exported graph holds the weights at the start of the run.',
  },
  ConductanceLinearised: {
    code: 'SNN5102', severity: 'warning',
    message: "{0} has no conductance synapses: population '{1}' ({2}) is linearised at its resting potential, each conductance g acting as the current g * (E - v_rest)",
    doc: 'NIR neurons are current-based; conductance synapses are exported as currents at the driving force of the resting potential, which is exact only near rest.',
  },
  DelaysNotCarried: {
    code: 'SNN5103', severity: 'warning',
    message: "{0} cannot carry the delays of projection '{1}' ({2}): {3}",
    doc: "NIR's Delay node delays each output of a layer by one value; delays that differ from synapse to synapse into one neuron are replaced by one value per neuron.",
  },
  RefractoryDropped: {
    code: 'SNN5104', severity: 'warning',
    message: "{0} has no refractory period: population '{1}' loses its {2} ms refractory period",
    doc: "NIR's neuron primitives have no refractory period (NIR issue #138); exported neurons can fire on consecutive steps.",
  },
  InputSpikesNotCarried: {
    code: 'SNN5105', severity: 'warning',
    message: "{0} carries no spikes: spike source '{1}' ({2}) becomes an Input port, which the user of the file must drive",
    doc: "A NIR graph declares an Input node of the right shape; the source's rate, spike times or data set are kept only in snn's metadata, which other tools ignore.",
  },
  CurrentSourceDropped: {
    code: 'SNN5106', severity: 'warning',
    message: "{0} has no current sources: the {1} source injected into '{2}' is left out",
    doc: 'NIR graphs have no current injection; a constant current that is part of a neuron model (i_offset) is carried in v_leak instead.',
  },
  SynapseDynamicsDropped: {
    code: 'SNN5107', severity: 'warning',
    message: "{0} has no synapse dynamics: the '{1}' synapses of projection '{2}' become static weights",
    doc: 'NIR weights are static; short-term plasticity (TsodyksMarkram) and other synapse models with state are dropped.',
  },
  InitialStateDropped: {
    code: 'SNN5108', severity: 'warning',
    message: "{0} has no initial state: population '{1}' starts at {2} = {3} in snn, but a NIR graph starts at rest",
    doc: 'NIR does not store initial values; snn import starts the membrane at v_leak, so a different initial state is lost.',
  },
  RandomnessRedrawn: {
    code: 'SNN5109', severity: 'info',
    message: "{0} draws {1} of '{2}' again with its own random numbers: the same distribution, not the same instance as snn's",
    doc: "A PyNN script uses PyNN's connectors and RandomDistribution with NumpyRNG, so random connectivity, weights and Poisson spikes match snn's in statistics, not spike for spike.",
  },
  InvalidNir: {
    code: 'SNN5201', severity: 'error',
    message: 'cannot import {0}: {1}',
    hint: "snn import reads NIR's HDF5 layout (nir.write): a root 'version' and a 'node' group",
    doc: 'The file is not a NIR graph that snn can turn into a model: not HDF5, not NIR, or a node type or shape snn import does not support.',
  },

  CannotTrain: {
    code: 'SNN5301', severity: 'error',
    message: 'cannot train: {0}',
    hint: 'training supports neuron populations with equations, static projections with one delay each, and one input population fed from data; see spec/training.md',
    doc: 'The network checks and compiles, but training needs something it does not support yet (a synapse model, plasticity on a trained projection, a refractory period of a whole step or more, current sources), or the network has no train block.',
  },
  DataNotReadable: {
    code: 'SNN5302', severity: 'error',
    message: 'cannot read the training data: {0}',
    doc: 'The data source of the input population (an SHD file, a spike file) is missing or not in the expected layout, or its channels do not fit the input population.',
  },
  NoWebGpuAdapter: {
    code: 'SNN5303', severity: 'error',
    message: 'no WebGPU adapter: {0}',
    hint: 'use --backend cpu, or --backend auto to fall back to the CPU; on Linux without a GPU, install the Vulkan loader and Mesa lavapipe (spec/training.md)',
    doc: '`--backend webgpu` needs a WebGPU adapter (a GPU, or a software one such as lavapipe); none could be opened.',
  },

  // ---- SNN6xxx: CLI and configuration
  FileNotReadable: {
    code: 'SNN6001', severity: 'error',
    message: "cannot read '{0}': {1}",
    doc: 'A file given on the command line must exist and be readable.',
  },

  // ---- SNN9xxx: internal errors
  InternalError: {
    code: 'SNN9001', severity: 'error',
    message: 'internal error in {0}: {1}',
    hint: 'this is a bug in snn; please report it with the file that triggers it',
    doc: 'A checker rule threw; the rest of the checks still ran.',
  },
} as const satisfies Record<string, MessageDef>;

export type MessageName = keyof typeof Messages;
