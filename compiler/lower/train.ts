/**
 * Lowering a network's `train { … }` block to the IR's `train`, with every default of
 * compiler/builtins.ts filled in. The checker has already checked names, kinds and units; what
 * remains here is what only the lowered network knows (which population is the readout, which
 * one takes the data).
 */
import type * as A from '../../lang/ast.js';
import { BUILTINS, type BuiltinParam } from '../builtins.js';
import type { IRPopulation, IRSlice, IRTrain, IRTrainSurrogate } from '../ir/types.js';
import { lookupUnit, type Dim } from '../units.js';
import { LowerError } from './expr.js';

export interface TrainContext {
  popOf(e: A.Expr | undefined, at: { range: A.Expr['range'] }): { slices: IRSlice[]; models: string[] };
  /** A number in the internal unit of `dim` (plain when undefined). */
  quantity(e: A.Expr, dim: Dim | undefined): number;
  populations: readonly IRPopulation[];
}

type Args = Map<string, A.Expr>;

/** The callee name and named arguments of `f(a: 1)` or a bare `f`. */
function callOf(e: A.Expr): { name: string; args: Args; positional: A.Expr[] } | undefined {
  if (e.kind === 'Name') return { name: e.name, args: new Map(), positional: [] };
  if (e.kind === 'Call' && e.callee.kind === 'Name') {
    const args: Args = new Map();
    const positional: A.Expr[] = [];
    for (const a of e.args) {
      if (!a.value) continue;
      if (a.name) args.set(a.name.name, a.value);
      else positional.push(a.value);
    }
    return { name: e.callee.name, args, positional };
  }
  return undefined;
}

/** The default of a builtin parameter, from its documented default text (`1e-3`, `10 ms`, `"neuron"`). */
function defaultOf(p: BuiltinParam): number | string | undefined {
  if (p.default === undefined) return undefined;
  const text = p.default.trim();
  if (/^".*"$/.test(text)) return text.slice(1, -1);
  const m = /^(-?[\d.]+(?:e-?\d+)?)\s*([A-Za-z]+)?$/.exec(text);
  if (!m) return undefined;
  const x = Number(m[1]);
  if (!m[2]) return x;
  const u = lookupUnit(m[2]);
  if (!u) return undefined;
  return x * u.scale;
}

export function lowerTrain(block: A.TrainBlock, ctx: TrainContext): IRTrain {
  const entries = new Map<string, A.Entry>();
  for (const e of block.entries) if (e.value) entries.set(e.key.name, e);
  const entry = (k: string): A.Expr | undefined => entries.get(k)?.value;

  const number = (e: A.Expr, unit?: string): number => ctx.quantity(e, unit ? lookupUnit(unit)?.dim : undefined);
  /** The named numeric arguments of a builtin call, defaults filled in. */
  const numericArgs = (name: string, args: Args): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const p of BUILTINS.get(name)?.params ?? []) {
      const given = args.get(p.name);
      if (given) {
        if (given.kind === 'String') continue;
        out[p.name] = number(given, p.unit === 'ms' ? 'ms' : undefined);
      } else {
        const d = defaultOf(p);
        if (typeof d === 'number') out[p.name] = d;
      }
    }
    return out;
  };
  const stringArg = (args: Args, k: string): string | undefined => {
    const e = args.get(k);
    return e?.kind === 'String' ? e.value : undefined;
  };
  const onePopulation = (e: A.Expr | undefined, at: { range: A.Expr['range'] }): string => {
    const p = ctx.popOf(e, at);
    if (p.slices.length !== 1 || p.slices[0]!.start !== 0 || p.slices[0]!.step !== 1 || p.slices[0]!.stop !== ctx.populations.find((x) => x.name === p.slices[0]!.population)?.size) {
      throw new LowerError('training reads whole populations here; name a population, not a view or an assembly', (e ?? at).range);
    }
    return p.slices[0]!.population;
  };

  // readout
  const ro = entry('readout');
  const roCall = ro ? callOf(ro) : undefined;
  if (!ro || !roCall) throw new LowerError('the train block needs a readout, e.g. `readout: max_over_time(output.v)`', block.range);
  let readout: IRTrain['readout'];
  const target = roCall.positional[0] ?? roCall.args.get('x');
  if (roCall.name === 'spike_count') {
    readout = { kind: 'spike_count', population: onePopulation(target, ro), variable: 'spikes' };
  } else if (roCall.name === 'max_over_time' || roCall.name === 'mean_over_time' || roCall.name === 'last') {
    if (target?.kind !== 'Member' || !target.member) throw new LowerError(`${roCall.name} reads a state variable of a population: ${roCall.name}(output.v)`, ro.range);
    readout = { kind: roCall.name, population: onePopulation(target.object, target), variable: target.member.name };
  } else throw new LowerError(`unknown readout '${roCall.name}'`, ro.range);

  // loss
  const lossE = entry('loss');
  const lossCall = lossE ? callOf(lossE) : { name: 'cross_entropy', args: new Map() as Args, positional: [] };
  if (!lossCall) throw new LowerError('expected a loss such as cross_entropy', lossE!.range);
  let loss: IRTrain['loss'];
  if (lossCall.name === 'cross_entropy') loss = { kind: 'cross_entropy' };
  else if (lossCall.name === 'mse') {
    const t = stringArg(lossCall.args, 'targets');
    loss = t ? { kind: 'mse', targets: t } : { kind: 'mse' };
  } else if (lossCall.name === 'van_rossum') {
    const t = stringArg(lossCall.args, 'targets');
    if (!t) throw new LowerError('van_rossum needs targets: a file of target spike trains', lossE!.range);
    loss = { kind: 'van_rossum', tau: numericArgs('van_rossum', lossCall.args).tau ?? 10, targets: t };
  } else throw new LowerError(`unknown loss '${lossCall.name}'`, lossE!.range);

  // surrogate
  const sgE = entry('surrogate');
  const sgCall = sgE ? callOf(sgE) : { name: 'fast_sigmoid', args: new Map() as Args, positional: [] };
  const SURROGATES = ['fast_sigmoid', 'sigmoid', 'triangle', 'slayer', 'arctan'] as const;
  const sgKind = SURROGATES.find((k) => k === sgCall?.name);
  if (!sgCall || !sgKind) throw new LowerError('expected a surrogate such as fast_sigmoid(beta: 100)', sgE!.range);
  const surrogate: IRTrainSurrogate = { kind: sgKind, params: numericArgs(sgKind, sgCall.args) };

  // optimizer and learning rate
  const opE = entry('optimizer');
  const opCall = opE ? callOf(opE) : { name: 'adam', args: new Map() as Args, positional: [] };
  const OPTIMIZERS = ['adam', 'adamax', 'sgd'] as const;
  const opKind = OPTIMIZERS.find((k) => k === opCall?.name);
  if (!opCall || !opKind) throw new LowerError('expected an optimizer such as adam(lr: 2e-3)', opE!.range);
  const optimizer: IRTrain['optimizer'] = { kind: opKind, params: numericArgs(opKind, opCall.args) };
  const lrE = entry('lr');
  if (lrE) optimizer.params.lr = number(lrE);

  const int = (k: string, fallback: number, min: number): number => {
    const e = entry(k);
    if (!e) return fallback;
    const x = number(e);
    if (!Number.isInteger(x) || x < min) throw new LowerError(`'${k}' must be a whole number >= ${min}, got ${x}`, e.range);
    return x;
  };
  const epochs = int('epochs', 1, 0);
  const batch = int('batch', 256, 1);

  // regularizers
  const regularizers: IRTrain['regularizers'] = [];
  const regE = entry('regularizers');
  if (regE?.kind === 'List') {
    for (const item of regE.items) {
      const c = callOf(item);
      if (!c || c.name !== 'activity') throw new LowerError('expected activity(population, weight: …)', item.range);
      const a = numericArgs('activity', c.args);
      const per = stringArg(c.args, 'per') ?? 'neuron';
      if (per !== 'neuron' && per !== 'population') throw new LowerError(`'per' is "neuron" or "population", got "${per}"`, item.range);
      const r: IRTrain['regularizers'][number] = { population: onePopulation(c.positional[0] ?? c.args.get('population'), item), weight: a.weight ?? 0, per, power: a.power ?? 2 };
      if (a.lower !== undefined) r.lower = a.lower;
      if (a.upper !== undefined) r.upper = a.upper;
      regularizers.push(r);
    }
  }

  // schedule
  let schedule: IRTrain['schedule'];
  const schE = entry('schedule');
  if (schE) {
    const c = callOf(schE);
    if (c?.name === 'step_lr') {
      const a = numericArgs('step_lr', c.args);
      schedule = { kind: 'step_lr', stepSize: a.step_size ?? 1, gamma: a.gamma ?? 0.1 };
    } else if (c?.name === 'cosine') {
      const a = numericArgs('cosine', c.args);
      schedule = { kind: 'cosine', lrMin: a.lr_min ?? 0 };
      if (a.t_max !== undefined) schedule.tMax = a.t_max;
    } else throw new LowerError('expected a schedule such as step_lr(step_size: 10)', schE.range);
  }

  // split
  let split: [number, number, number] = [0.8, 0.1, 0.1];
  const spE = entry('split');
  if (spE) {
    if (spE.kind !== 'List' || spE.items.length !== 3) throw new LowerError('split is three fractions: [train, validation, test]', spE.range);
    const f = spE.items.map((x) => number(x));
    const total = f[0]! + f[1]! + f[2]!;
    if (f.some((x) => x < 0) || Math.abs(total - 1) > 1e-9 || f[0] === 0 || f[2] === 0) {
      const why = f.some((x) => x < 0) ? 'a fraction is negative' : Math.abs(total - 1) > 1e-9 ? `they add up to ${total}` : f[0] === 0 ? 'the train fraction is 0' : 'the test fraction is 0';
      throw new LowerError(`split fractions must be >= 0, with train and test > 0, and add up to 1; ${why}`, spE.range);
    }
    split = [f[0]!, f[1]!, f[2]!];
  }

  // input data: the population fed by a data source
  const sources = ctx.populations.filter((p) => p.source);
  if (sources.length === 0) throw new LowerError('training needs labelled data: feed an input population from a data source, e.g. `Population(100, SpikeSourceArray) from randman(classes: 2)`', block.range);
  if (sources.length > 1) throw new LowerError(`training takes one input population from data; found ${sources.map((p) => p.name).join(', ')}`, block.range);
  const input = { population: sources[0]!.name, source: sources[0]!.source! };

  const resetE = entry('reset_gradient');
  const resetGradient = resetE?.kind === 'Bool' ? resetE.value : false;
  // method
  let method: IRTrain['method'] = { kind: 'bptt' };
  const meE = entry('method');
  if (meE) {
    const c = callOf(meE);
    if (c?.name === 'online') {
      const feedback = stringArg(c.args, 'feedback') ?? 'symmetric';
      if (feedback !== 'symmetric' && feedback !== 'random') throw new LowerError(`'feedback' is "symmetric" or "random", got "${feedback}"`, meE.range);
      method = { kind: 'online', feedback };
    } else if (c?.name !== 'bptt') throw new LowerError('expected a method: bptt or online', meE.range);
  }
  const out: IRTrain = { readout, loss, surrogate, optimizer, epochs, batch, regularizers, split, input, resetGradient, method };
  if (schedule) out.schedule = schedule;
  return out;
}

