/**
 * The built-in (non-model) callables and names of .snn: math functions, random distributions,
 * PyNN connectors, spatial structures and current sources, data sources, the network
 * constructors, and what a `train { … }` block may call. The checker resolves names against
 * this table; `doc` is what a user sees on hover.
 *
 * Models (IF_curr_exp, StaticSynapse, STDP, …) are not here: they are written in .snn in
 * stdlib/*.snn and resolved like user models.
 *
 * `BuiltinParam.unit` is one of:
 *   - a unit as written after a number in .snn: 'ms', 'nA', 'mV/ms', 'um'; '1' is dimensionless
 *   - 'same'       the same dimension as the first argument; 'same:NAME' as parameter NAME
 *   - 'any'        any dimension
 *   - 'int', 'bool', 'string'
 *   - 'list'       a list `[…]`; `items` gives the unit (or kind) of each element
 *   - 'object'     named values `{v: -65 mV, …}`
 *   - 'expr'       an expression in the distance `d` (a length), evaluated per pair
 *   - 'ident'      a bare name, such as a receptor port (`excitatory`)
 *   - 'flag'       a bare positional word whose presence means true (`trainable`)
 *   - 'arrow'      `pre -> post`
 *   - 'population' a population, a view (`p[0:10]`) or an assembly
 *   - 'variable'   a population variable: `pop.v`, `pop.spikes`
 *   - 'neuron', 'synapse', 'plasticity': a model of that kind, bare or called with parameters
 *   - a BuiltinKind ('connector', 'structure', 'readout', …): a built-in of that kind, bare
 *     (when all its parameters are optional) or called
 * `Builtin.result` (math and distributions): a unit, '1', 'same', 'same:NAME', 'int', or
 * 'sqrt' (the square root of the first argument's dimension).
 */

export type BuiltinKind =
  | 'math' | 'distribution' | 'connector' | 'structure' | 'currentSource' | 'dataSource' | 'readout'
  | 'loss' | 'surrogate' | 'optimizer' | 'regularizer' | 'schedule' | 'method' | 'network';

export interface BuiltinParam {
  name: string;
  /** unit string as written in .snn ('ms', 'nA', '1' for dimensionless), 'same' = same dimension as the first argument, 'any', 'bool', 'int', 'string', 'list', 'expr' (an expression in d, for distance-dependent), 'population', … (see the file comment) */
  unit: string;
  /** as .snn source text, e.g. '1 nA' */
  default?: string;
  doc: string;
  /** may be left out although it has no default (its absence means something, see `doc`) */
  optional?: boolean;
  /** takes any number of further positional arguments (last parameter only) */
  variadic?: boolean;
  /** for unit 'list': the unit or kind of each element */
  items?: string;
}

export interface Builtin {
  name: string;
  kind: BuiltinKind;
  params: BuiltinParam[];
  /** result unit for math/distribution: 'same' | '1' | unit string */
  result?: string;
  doc: string;
  /** the PyNN class/name it corresponds to */
  pynn?: string;
}

// ------------------------------------------------------------------ table helpers

/** A required parameter. */
const req = (name: string, unit: string, doc: string, more: Partial<BuiltinParam> = {}): BuiltinParam => ({ name, unit, doc, ...more });
/** A parameter with a default (as .snn source text). */
const opt = (name: string, unit: string, def: string, doc: string, more: Partial<BuiltinParam> = {}): BuiltinParam => ({ name, unit, default: def, doc, ...more });
/** A parameter that may be left out and has no default value. */
const maybe = (name: string, unit: string, doc: string, more: Partial<BuiltinParam> = {}): BuiltinParam => ({ name, unit, doc, optional: true, ...more });

const fn = (kind: BuiltinKind, name: string, params: BuiltinParam[], doc: string, more: { result?: string; pynn?: string } = {}): Builtin => ({ name, kind, params, doc, ...more });

const math = (name: string, params: BuiltinParam[], result: string, doc: string): Builtin => fn('math', name, params, doc, { result });
const x1 = req('x', '1', 'a dimensionless number');
const xAny = req('x', 'any', 'a number of any unit');

const dist = (name: string, params: BuiltinParam[], result: string, doc: string): Builtin =>
  fn('distribution', name, params, doc, { result, pynn: `RandomDistribution('${name}', ${params.map((p) => p.name).join(', ')})` });

const selfConn = opt('allow_self_connections', 'bool', 'true', 'allow a neuron to connect to itself when pre and post are the same population');
const withRepl = (def: string) => opt('with_replacement', 'bool', def, 'draw partners with replacement, so one pair may be connected more than once');
const start = opt('start', 'ms', '0 ms', 'time at which the current starts');
const stop = opt('stop', 'ms', '1e12 ms', 'time at which the current stops');
const um = (name: string, def: string, doc: string) => opt(name, 'um', def, doc);
const over = (name: string, doc: string) => fn('readout', name, [req('x', 'variable', 'a population variable, e.g. `output.v`')], doc);

// ------------------------------------------------------------------ the table

const TABLE: Builtin[] = [
  // ---- math: transcendental functions take and return dimensionless numbers
  math('exp', [x1], '1', 'e raised to the power x.'),
  math('log', [x1], '1', 'Natural logarithm.'),
  math('log10', [x1], '1', 'Base-10 logarithm.'),
  math('log2', [x1], '1', 'Base-2 logarithm.'),
  math('sqrt', [xAny], 'sqrt', 'Square root; the unit is halved (sqrt(4 um^2) is 2 um).'),
  math('abs', [xAny], 'same', 'Absolute value, in the unit of x.'),
  math('sin', [req('x', '1', 'an angle in radians, dimensionless')], '1', 'Sine of an angle in radians.'),
  math('cos', [req('x', '1', 'an angle in radians, dimensionless')], '1', 'Cosine of an angle in radians.'),
  math('tan', [req('x', '1', 'an angle in radians, dimensionless')], '1', 'Tangent of an angle in radians.'),
  math('atan', [x1], '1', 'Arc tangent, in radians.'),
  math('sinh', [x1], '1', 'Hyperbolic sine.'),
  math('cosh', [x1], '1', 'Hyperbolic cosine.'),
  math('tanh', [x1], '1', 'Hyperbolic tangent.'),
  math('floor', [xAny], 'same', 'Largest integer not above x. For a quantity this rounds in the internal unit (ms, mV, nA, …); use it on dimensionless values.'),
  math('ceil', [xAny], 'same', 'Smallest integer not below x. For a quantity this rounds in the internal unit (ms, mV, nA, …); use it on dimensionless values.'),
  math('min', [xAny, req('y', 'same', 'further values in the unit of x', { variadic: true })], 'same', 'The smallest of its arguments, which share one unit.'),
  math('max', [xAny, req('y', 'same', 'further values in the unit of x', { variadic: true })], 'same', 'The largest of its arguments, which share one unit.'),
  math('clip', [xAny, req('lo', 'same', 'lower bound, in the unit of x'), req('hi', 'same', 'upper bound, in the unit of x')], 'same', 'x limited to [lo, hi].'),
  math('pow', [req('x', '1', 'dimensionless base'), req('y', '1', 'dimensionless exponent')], '1', 'x raised to the power y, for dimensionless x. For a quantity with a constant exponent write `x^n`.'),
  math('exprel', [x1], '1', '(exp(x) - 1) / x, equal to 1 at x = 0: writes rate functions such as x / (exp(x) - 1) without the 0/0.'),
  math('sign', [xAny], '1', '-1, 0 or 1 by the sign of x; dimensionless whatever the unit of x.'),
  math('heaviside', [xAny], '1', '1 where x > 0, else 0; dimensionless whatever the unit of x.'),

  // ---- random distributions (PyNN's RandomDistribution names and parameter names)
  dist('normal', [req('mu', 'any', 'mean'), req('sigma', 'same', 'standard deviation, in the unit of mu')], 'same', 'Normal (Gaussian) distribution.'),
  dist('normal_clipped', [req('mu', 'any', 'mean'), req('sigma', 'same', 'standard deviation'), req('low', 'same', 'lower limit'), req('high', 'same', 'upper limit')], 'same',
    'Normal distribution restricted to [low, high]: values outside are drawn again.'),
  dist('normal_clipped_to_boundary', [req('mu', 'any', 'mean'), req('sigma', 'same', 'standard deviation'), req('low', 'same', 'lower limit'), req('high', 'same', 'upper limit')], 'same',
    'Normal distribution whose values outside [low, high] are set to the nearer limit.'),
  dist('uniform', [req('low', 'any', 'lower limit'), req('high', 'same', 'upper limit, in the unit of low')], 'same', 'Uniform distribution on [low, high).'),
  dist('uniform_int', [req('low', 'int', 'smallest value'), req('high', 'int', 'largest value')], 'int', 'Uniform distribution over the integers from low to high.'),
  dist('lognormal', [req('mu', '1', 'mean of the underlying normal'), req('sigma', '1', 'standard deviation of the underlying normal')], '1',
    'Log-normal distribution: exp(normal(mu, sigma)). Dimensionless; multiply by a unit to scale it.'),
  dist('exponential', [req('beta', 'any', 'scale: the mean, e.g. an interval in ms')], 'same', 'Exponential distribution with mean beta.'),
  dist('gamma', [req('k', '1', 'shape'), req('theta', 'any', 'scale')], 'same:theta', 'Gamma distribution with shape k and scale theta (mean k * theta).'),
  dist('binomial', [req('n', 'int', 'number of trials'), req('p', '1', 'success probability of each trial')], 'int', 'Binomial distribution: successes in n trials.'),
  dist('poisson', [req('lambda_', '1', 'mean')], 'int', 'Poisson distribution with mean lambda_.'),
  dist('vonmises', [req('mu', 'rad', 'mean angle'), req('kappa', '1', 'concentration')], 'rad', 'Von Mises (circular normal) distribution of angles in [-pi, pi).'),

  // ---- connectors (PyNN's *Connector classes)
  fn('connector', 'AllToAll', [selfConn], 'Every pre neuron connects to every post neuron.', { pynn: 'AllToAllConnector' }),
  fn('connector', 'OneToOne', [], 'Pre neuron i connects to post neuron i; both sides must have the same size.', { pynn: 'OneToOneConnector' }),
  fn('connector', 'FixedProbability', [req('p_connect', '1', 'probability of each pre-post pair being connected'), selfConn],
    'Each pair is connected independently with probability p_connect.', { pynn: 'FixedProbabilityConnector' }),
  fn('connector', 'FixedNumberPre', [req('n', 'int', 'number of pre neurons per post neuron'), selfConn, withRepl('false')],
    'Each post neuron receives connections from n randomly chosen pre neurons.', { pynn: 'FixedNumberPreConnector' }),
  fn('connector', 'FixedNumberPost', [req('n', 'int', 'number of post neurons per pre neuron'), selfConn, withRepl('false')],
    'Each pre neuron connects to n randomly chosen post neurons.', { pynn: 'FixedNumberPostConnector' }),
  fn('connector', 'FixedTotalNumber', [req('n', 'int', 'total number of connections'), selfConn, withRepl('true')],
    'Exactly n connections in total between randomly chosen pairs.', { pynn: 'FixedTotalNumberConnector' }),
  fn('connector', 'DistanceDependentProbability', [req('d_expression', 'expr', 'connection probability as an expression in the distance d, e.g. `exp(-d / 100 um)`'), selfConn],
    'Each pair is connected with a probability that depends on the distance d between the two neurons (positions from the populations\' structures).',
    { pynn: 'DistanceDependentProbabilityConnector' }),
  fn('connector', 'FromList', [req('conn_list', 'list', 'rows [pre_index, post_index, weight?, delay?]', { items: 'list' }),
    maybe('column_names', 'list', 'names of the columns after the two indices; default weight, delay', { items: 'string' })],
  'Explicit connections, one row per connection.', { pynn: 'FromListConnector' }),
  fn('connector', 'FromFile', [req('file', 'string', 'path of a text file with one connection per line: pre, post, weight, delay')],
    'Explicit connections read from a file.', { pynn: 'FromFileConnector' }),
  fn('connector', 'Array', [req('matrix', 'list', 'a boolean matrix, one row per pre neuron and one column per post neuron', { items: 'list' })],
    'Connects the pairs marked true in a pre x post matrix.', { pynn: 'ArrayConnector' }),

  // ---- spatial structures (pyNN.space). PyNN positions are plain numbers in um by convention.
  fn('structure', 'Line', [um('dx', '1 um', 'spacing'), um('x0', '0 um', 'x of the first neuron'), um('y', '0 um', 'y of all neurons'), um('z', '0 um', 'z of all neurons')],
    'Neurons evenly spaced along the x axis.', { pynn: 'Line' }),
  fn('structure', 'Grid2D', [opt('aspect_ratio', '1', '1', 'width / height of the grid'), um('dx', '1 um', 'spacing along x'), um('dy', '1 um', 'spacing along y'),
    um('x0', '0 um', 'x of the first neuron'), um('y0', '0 um', 'y of the first neuron'), um('z', '0 um', 'z of all neurons'),
    opt('fill_order', 'string', '"sequential"', '"sequential" or "random": the order in which neurons take grid positions')],
  'Neurons on a rectangular grid in the x-y plane.', { pynn: 'Grid2D' }),
  fn('structure', 'Grid3D', [opt('aspect_ratioXY', '1', '1', 'x extent / y extent'), opt('aspect_ratioXZ', '1', '1', 'x extent / z extent'),
    um('dx', '1 um', 'spacing along x'), um('dy', '1 um', 'spacing along y'), um('dz', '1 um', 'spacing along z'),
    um('x0', '0 um', 'x of the first neuron'), um('y0', '0 um', 'y of the first neuron'), um('z0', '0 um', 'z of the first neuron'),
    opt('fill_order', 'string', '"sequential"', '"sequential" or "random"')],
  'Neurons on a rectangular 3-D grid.', { pynn: 'Grid3D' }),
  fn('structure', 'RandomStructure', [req('boundary', 'structure', 'the volume: Cuboid(…) or Sphere(…)'),
    opt('origin', 'list', '[0 um, 0 um, 0 um]', 'centre of the volume', { items: 'um' })],
  'Neurons at uniformly random positions inside a volume.', { pynn: 'RandomStructure' }),
  fn('structure', 'Cuboid', [req('width', 'um', 'extent along x'), req('height', 'um', 'extent along y'), req('depth', 'um', 'extent along z')],
    'A box-shaped volume for RandomStructure, centred on its origin.', { pynn: 'Cuboid' }),
  fn('structure', 'Sphere', [req('radius', 'um', 'radius')], 'A spherical volume for RandomStructure, centred on its origin.', { pynn: 'Sphere' }),

  // ---- current sources (pyNN standardmodels/electrodes.py), used as `inject … into pop`
  fn('currentSource', 'DCSource', [opt('amplitude', 'nA', '1 nA', 'current'), start, stop], 'A constant current between start and stop.', { pynn: 'DCSource' }),
  fn('currentSource', 'ACSource', [opt('amplitude', 'nA', '1 nA', 'amplitude of the sine'), start, stop, opt('frequency', 'Hz', '10 Hz', 'frequency of the sine'),
    opt('offset', 'nA', '0 nA', 'constant added to the sine'), opt('phase', 'deg', '0 deg', 'phase of the sine at start')],
  'A sinusoidal current, offset + amplitude * sin(2*pi*frequency*t + phase), between start and stop.', { pynn: 'ACSource' }),
  fn('currentSource', 'StepCurrentSource', [opt('times', 'list', '[]', 'times at which the current changes', { items: 'ms' }),
    opt('amplitudes', 'list', '[]', 'the current from each time on', { items: 'nA' })],
  'A piecewise-constant current: amplitudes[k] from times[k] on.', { pynn: 'StepCurrentSource' }),
  fn('currentSource', 'NoisyCurrentSource', [opt('mean', 'nA', '0 nA', 'mean current'), opt('stdev', 'nA', '1 nA', 'standard deviation of the current'), start, stop,
    opt('dt', 'ms', '0.1 ms', 'interval at which a new value is drawn')],
  'Gaussian white-noise current, redrawn every dt, between start and stop.', { pynn: 'NoisyCurrentSource' }),

  // ---- data sources, used as `Population(n, SpikeSourceArray) from …`
  fn('dataSource', 'randman', [req('classes', 'int', 'number of classes'), opt('samples', 'int', '1000', 'samples per class'), opt('seed', 'int', '0', 'seed of the generator'),
    opt('dims', 'int', '1', 'dimension of each class\'s random manifold'), opt('alpha', '1', '2', 'smoothness of the manifold (spectral decay exponent)'),
    opt('time_steps', 'int', '100', 'length of a sample in time steps of dt'), opt('spikes_per_unit', 'int', '1', 'spikes each input neuron fires per sample'),
    opt('step_frac', '1', '0.5', 'fraction of the sample duration the spikes may occupy')],
  'Random-manifold spike-timing classification data (Zenke\'s randman, stork\'s "tempo" variant): each input neuron fires at a time that depends smoothly on a hidden point on one manifold per class. The population size is the number of input units.'),
  fn('dataSource', 'shd', [req('file', 'string', 'path of an SHD HDF5 file (shd_train.h5 or shd_test.h5)'), opt('max_time', 'ms', '1.4 s', 'spikes after this time are dropped; time is binned by the network dt')],
    'Spiking Heidelberg Digits: 700-channel cochlea spike trains of spoken digits, 20 classes, with labels.'),
  fn('dataSource', 'spike_file', [req('file', 'string', 'path of a file of spikes: neuron index and time of each spike')],
    'Spike times read from a file, for replay by a SpikeSourceArray population.'),

  // ---- network constructors
  fn('network', 'Population', [req('size', 'int', 'number of neurons'), req('cell', 'neuron', 'cell type, bare (`IF_curr_exp`) or with parameters (`IF_curr_exp(tau_m: 10 ms)`)'),
    maybe('initial', 'object', 'initial values of state variables, e.g. `{v: uniform(-65 mV, -55 mV)}`; default: the model\'s'),
    maybe('structure', 'structure', 'positions of the neurons, e.g. Grid2D(…); needed by distance-dependent connectors'),
    maybe('label', 'string', 'display name; default: the name it is bound to')],
  'A group of neurons of one cell type. Parameters may be numbers or distributions, per neuron.', { pynn: 'Population' }),
  fn('network', 'Projection', [req('prepost', 'arrow', '`pre -> post`: populations, views or assemblies'), req('connector', 'connector', 'which pairs are connected, e.g. AllToAll or FixedProbability(0.1)'),
    opt('synapse', 'synapse', 'StaticSynapse', 'synapse type, with its weight and delay, e.g. StaticSynapse(weight: 0.1 nA, delay: 1 ms)'),
    opt('receptor', 'ident', 'excitatory', 'receptor port of the post neuron (`excitatory`, `inhibitory`, or a port the model declares)'),
    maybe('weight', 'any', 'weight in the receptor\'s unit (nA, uS or mV), a number or a distribution; default: the synapse\'s, else 0 as in PyNN. In PyNN current-based inhibitory weights are <= 0'),
    maybe('delay', 'ms', 'transmission delay; default: the synapse\'s, else the network\'s min_delay'),
    maybe('plasticity', 'plasticity', 'a plasticity rule such as STDP(A_plus: 0.01)'),
    maybe('trainable', 'flag', 'the weights are trained by the train block'),
    maybe('label', 'string', 'display name; default: the name it is bound to')],
  'Connections from one population to another through a connector, a synapse type and a receptor port.', { pynn: 'Projection' }),
  fn('network', 'Assembly', [req('populations', 'population', 'populations or views to group', { variadic: true })],
    'Several populations treated as one (also written `p1 + p2`).', { pynn: 'Assembly' }),

  // ---- train block: readouts
  over('max_over_time', 'Maximum over time of a variable, per neuron: SpyTorch\'s readout (max of the output membrane potential).'),
  over('mean_over_time', 'Mean over time of a variable, per neuron.'),
  over('last', 'Value of a variable at the last time step, per neuron.'),
  fn('readout', 'spike_count', [req('x', 'population', 'the output population')], 'Number of spikes of each neuron during the sample (rate readout).'),

  // ---- train block: losses
  fn('loss', 'cross_entropy', [], 'Softmax cross-entropy between the readout and the class labels (LogSoftmax + NLLLoss, as in SpyTorch); the prediction is the argmax.'),
  fn('loss', 'mse', [maybe('targets', 'string', 'file of target values, one row per sample; default: one-hot class labels')],
    'Mean squared error between the readout and targets.'),
  fn('loss', 'van_rossum', [opt('tau', 'ms', '10 ms', 'time constant of the exponential filter'), req('targets', 'string', 'file of target spike trains, per sample and output neuron')],
    'Van Rossum distance: squared difference of the output and target spike trains after filtering both with exp(-t/tau).'),

  // ---- train block: surrogate derivatives of the spike. x is the threshold margin (e.g. v - v_th) in the model's unit; slopes are per unit of x.
  fn('surrogate', 'fast_sigmoid', [opt('beta', 'any', '100', 'steepness (per unit of the threshold variable)')],
    'SuperSpike (Zenke & Ganguli 2018): derivative 1 / (beta*|x| + 1)^2. SpyTorch uses beta = 100.'),
  fn('surrogate', 'sigmoid', [opt('beta', 'any', '25', 'steepness (per unit of the threshold variable)')],
    'Derivative of the logistic sigmoid s = 1 / (1 + exp(-beta*x)): beta * s * (1 - s).'),
  fn('surrogate', 'triangle', [opt('width', 'any', '1', 'half-width of the triangle, in the unit of the threshold variable')],
    'Piecewise-linear derivative max(0, 1 - |x| / width) (Esser et al. 2016; Bellec et al. 2018).'),
  fn('surrogate', 'slayer', [opt('alpha', '1', '1', 'height at threshold'), opt('beta', 'any', '5', 'decay rate (per unit of the threshold variable)')],
    'Exponential derivative alpha * exp(-beta*|x|), as in SLAYER (Shrestha & Orchard 2018).'),
  fn('surrogate', 'arctan', [opt('alpha', 'any', '2', 'steepness (per unit of the threshold variable)')],
    'Derivative of the arc tangent: (alpha/2) / (1 + (pi/2 * alpha * x)^2), as in snnTorch\'s ATan.'),

  // ---- train block: optimizers (PyTorch's parameter names and defaults)
  fn('optimizer', 'adam', [opt('lr', '1', '1e-3', 'learning rate'), opt('beta1', '1', '0.9', 'decay of the first-moment estimate'), opt('beta2', '1', '0.999', 'decay of the second-moment estimate'),
    opt('eps', '1', '1e-8', 'added to the denominator for stability'), opt('weight_decay', '1', '0', 'L2 penalty')], 'Adam (Kingma & Ba 2015).'),
  fn('optimizer', 'adamax', [opt('lr', '1', '2e-3', 'learning rate'), opt('beta1', '1', '0.9', 'decay of the first-moment estimate'), opt('beta2', '1', '0.999', 'decay of the infinity-norm estimate'),
    opt('eps', '1', '1e-8', 'added to the denominator for stability'), opt('weight_decay', '1', '0', 'L2 penalty')], 'Adamax, the infinity-norm variant of Adam (SpyTorch tutorials 3-5).'),
  fn('optimizer', 'sgd', [opt('lr', '1', '1e-3', 'learning rate'), opt('momentum', '1', '0', 'momentum factor'), opt('weight_decay', '1', '0', 'L2 penalty')],
    'Stochastic gradient descent, with optional momentum.'),

  // ---- train block: regularizers
  fn('regularizer', 'activity', [req('population', 'population', 'the population whose spikes are counted'), req('weight', '1', 'strength of the term'),
    opt('per', 'string', '"neuron"', '"neuron": bound each neuron\'s spike count; "population": bound the population mean'),
    maybe('lower', '1', 'spikes per sample below which the term grows'), maybe('upper', '1', 'spikes per sample above which the term grows'),
    opt('power', 'int', '2', 'exponent of the penalty (2: L2, 1: L1)')],
  'Spike-count regulariser: weight * mean(max(0, lower - c)^power) and/or weight * mean(max(0, c - upper)^power) over the counts c (per neuron or population mean). Without bounds: weight * mean(c^power). Zenke & Vogels 2021 use a lower bound per neuron and an upper bound per population.'),

  // ---- train block: learning-rate schedules
  fn('schedule', 'step_lr', [req('step_size', 'int', 'epochs between reductions'), opt('gamma', '1', '0.1', 'factor applied to the learning rate')],
    'Multiplies the learning rate by gamma every step_size epochs.'),
  fn('schedule', 'cosine', [maybe('t_max', 'int', 'epochs of one half cosine period; default: epochs'), opt('lr_min', '1', '0', 'learning rate at the end')],
    'Cosine annealing of the learning rate from its initial value down to lr_min.'),

  // ---- train block: how the gradient is computed
  fn('method', 'bptt', [], 'Backprop through time: the exact surrogate gradient; memory grows with the number of steps (spec/training.md).'),
  fn('method', 'online', [opt('feedback', 'string', '"symmetric"', '"symmetric": the readout\'s error reaches a hidden layer through the readout weights; "random": through fixed random weights (feedback alignment)')],
    'Online learning with eligibility traces the compiler derives from the update maps (explicit recurrence ignored): memory constant in the number of steps, the loss taken at every step (spec/training.md §Online).'),
];

function index(entries: readonly { name: string }[], what: string): void {
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.name)) throw new Error(`internal: duplicate ${what} '${e.name}' in compiler/builtins.ts`);
    seen.add(e.name);
  }
}
index(TABLE, 'built-in');

export const BUILTINS: ReadonlyMap<string, Builtin> = new Map(TABLE.map((b) => [b.name, b]));

export function builtinsOfKind(kind: BuiltinKind): Builtin[] {
  return TABLE.filter((b) => b.kind === kind);
}

/** Named constants usable in any expression (a model's own names shadow them). */
export interface BuiltinConstant {
  name: string;
  value: number;
  unit: string;
  doc: string;
}

export const BUILTIN_CONSTANTS: ReadonlyMap<string, BuiltinConstant> = new Map(
  [
    { name: 'pi', value: Math.PI, unit: '1', doc: 'The ratio of a circle\'s circumference to its diameter, 3.14159…' },
    { name: 'e', value: Math.E, unit: '1', doc: 'Euler\'s number, the base of the natural logarithm, 2.71828…' },
  ].map((c) => [c.name, c]),
);

// ------------------------------------------------------------------ network settings and train keys

/** Settings a network may give as `name = value` (PyNN's setup(…) arguments and the run length). */
export const NETWORK_SETTINGS: ReadonlyMap<string, BuiltinParam> = new Map(
  [
    opt('dt', 'ms', '0.1 ms', 'simulation time step (PyNN\'s timestep)'),
    maybe('seed', 'int', 'seed of the one random stream shared by every backend (connectivity, initial values, Poisson input); default 0'),
    maybe('duration', 'ms', 'how long a run lasts; in training, the length of a sample comes from the data'),
    maybe('min_delay', 'ms', 'smallest synaptic delay, and the default delay of projections; default: dt'),
    maybe('max_delay', 'ms', 'largest synaptic delay allowed; default: the largest delay used'),
  ].map((p) => [p.name, p]),
);

/**
 * Keys of a `train { key: value }` block. `unit` is read as for BuiltinParam: a BuiltinKind
 * means a built-in of that kind (bare or called); 'list' with `items` a list of such values.
 */
export const TRAIN_KEYS: ReadonlyMap<string, BuiltinParam> = new Map(
  [
    req('readout', 'readout', 'what the loss is computed on, e.g. max_over_time(output.v)'),
    opt('loss', 'loss', 'cross_entropy', 'the loss function'),
    opt('surrogate', 'surrogate', 'fast_sigmoid(beta: 100)', 'the derivative used in place of the spike\'s in the backward pass'),
    opt('optimizer', 'optimizer', 'adam', 'the optimizer, e.g. adam(lr: 2e-3)'),
    maybe('lr', '1', 'learning rate; overrides the optimizer\'s lr'),
    opt('epochs', 'int', '1', 'passes over the training data'),
    opt('batch', 'int', '256', 'samples per gradient step (SpyTorch\'s value)'),
    opt('regularizers', 'list', '[]', 'terms added to the loss, e.g. [activity(hidden, weight: 1e-5)]', { items: 'regularizer' }),
    maybe('schedule', 'schedule', 'learning-rate schedule; default: constant'),
    opt('split', 'list', '[0.8, 0.1, 0.1]', 'fractions of the data for training, validation and test', { items: '1' }),
    maybe('data', 'dataSource', 'where labelled samples come from; default: the `from` source of the input population'),
    opt('reset_gradient', 'bool', 'false', 'let the gradient flow through the reset; false detaches the reset, as SpyTorch does'),
    opt('method', 'method', 'bptt', 'how the gradient is computed: bptt, or online (eligibility traces, constant memory in time)'),
  ].map((p) => [p.name, p]),
);
