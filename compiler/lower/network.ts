/**
 * A checked network to the Network IR: populations with their parameters (scalars or per-neuron
 * arrays, drawn from the counter-based stream where the model asks for a distribution), views and
 * assemblies as slices, projections, current sources, recordings, and the exact-propagator
 * coefficients of linear models, computed per population (per neuron where parameters differ).
 */
import type * as A from '../../lang/ast.js';
import type { Range } from '../../lang/source.js';
import { formatExpr } from '../../lang/format.js';
import type { ModelInfo } from '../check/types.js';
import { BUILTINS } from '../builtins.js';
import { propagatorWithInputs } from '../discretise/expm.js';
import { evaluate, refsOf } from '../ir/eval.js';
import {
  IR_FORMAT, IR_VERSION, type IRConnector, type IRCurrentSource, type IRExpr, type IRPlasticityRule, type IRPopulation, type IRProjection, type IRSynapseModel,
  type IRRecording, type IRSlice, type IRValue, type NetworkIR,
} from '../ir/types.js';
import { SAMPLERS, sample } from '../random/distributions.js';
import { CounterRng, streamId, wordToUniform } from '../random/philox.js';
import { readFileSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { INTERNAL_UNIT_SYSTEM, internalScale, lookupUnit, type Dim } from '../units.js';
import { conversion, ExprLowerer, LowerError, type Sym } from './expr.js';
import { constantName, I_INJ, lowerModel, propagatorName, type LoweredModel } from './model.js';
import { lowerTrain } from './train.js';
import { lowerPlasticityRule, lowerSynapseModel, type LoweredEventModel } from './synapse.js';

/** The phases of one step, in order; spec/language.md §Semantics explains each. */
export const STEP_ORDER = [
  'deliver: weights whose delay ends at this step are applied through the input handlers',
  'inject: current sources give I_inj for the step',
  'update: the update map advances every state variable from t to t + dt (refractory neurons keep their clamped variables)',
  'threshold: the spike condition is tested on the new state; spikes are stamped t + dt',
  'reset: the reset assignments run for neurons that spiked, which start their refractory period',
  'propagate: a spike stamped t + dt schedules its weights for delivery at t + dt + delay (the delay rounded to whole steps, at least one)',
  'record',
];

type Value =
  | { kind: 'number'; value: number; dim?: Dim }
  | { kind: 'pop'; slices: IRSlice[]; models: string[] }
  | { kind: 'model'; info: ModelInfo; call?: A.Call }
  | { kind: 'call'; name: string; call: A.Call }
  | { kind: 'other' };

export interface LowerOptions {
  /** The model file's path, for files it names (FromFile). */
  modelPath?: string;
  /** Overrides the network's `duration` (ms). */
  duration?: number;
  /** Overrides the network's `seed`. */
  seed?: number;
  /**
   * Keep populations whose spikes come from a data source (`from randman(…)`) as IR populations
   * with a `source`, for exporters; by default they are refused, as simulation cannot run them.
   */
  keepDataSources?: boolean;
  /**
   * Filled with where each IR element was written: `population:NAME`, `projection:NAME`,
   * `current:K`, `recording:K` -> source range, so that backends' findings can point at the model.
   */
  locations?: Map<string, Range>;
  /** The duration (ms) of a network that declares none (exporters, which do not run it); else it is an error. */
  defaultDuration?: number;
}

/** `Projection(…, trainable)` or `trainable: true`. */
function isTrainable(call: A.Call): boolean {
  return call.args.some((a) => (!a.name && a.value?.kind === 'Name' && a.value.name === 'trainable') || (a.name?.name === 'trainable' && a.value?.kind === 'Bool' && a.value.value));
}

export function lowerNetwork(net: A.NetworkDecl, scope: ReadonlyMap<string, ModelInfo>, opts: LowerOptions = {}): NetworkIR {
  return new NetworkLowerer(net, scope, opts).run();
}

class NetworkLowerer {
  private readonly bindings = new Map<string, A.Binding>();
  private readonly values = new Map<string, Value>();
  private readonly resolving = new Set<string>();
  private readonly models = new Map<string, LoweredModel>();
  private readonly synapseModels = new Map<string, LoweredEventModel<IRSynapseModel>>();
  private readonly rules = new Map<string, LoweredEventModel<IRPlasticityRule>>();
  readonly populations: IRPopulation[] = [];
  private readonly projections: IRProjection[] = [];
  private readonly currentSources: IRCurrentSource[] = [];
  private readonly recordings: IRRecording[] = [];
  private readonly lowerer: ExprLowerer;
  private dt = 0.1;
  private seed = 0;
  /** The default delay of projections (ms): `min_delay`, else dt. */
  private minDelay = 0.1;
  private rng = new CounterRng(0);

  constructor(
    private readonly net: A.NetworkDecl,
    private readonly scope: ReadonlyMap<string, ModelInfo>,
    private readonly opts: LowerOptions,
  ) {
    for (const item of net.items) if (item.kind === 'Binding') this.bindings.set(item.name.name, item);
    this.lowerer = new ExprLowerer((name) => this.symbol(name));
  }

  run(): NetworkIR {
    this.dt = this.setting('dt') ?? 0.1;
    this.seed = this.opts.seed ?? this.setting('seed') ?? 0;
    this.minDelay = this.setting('min_delay') ?? this.dt;
    this.rng = new CounterRng(this.seed);
    const duration = this.opts.duration ?? this.setting('duration') ?? this.opts.defaultDuration;
    if (duration === undefined) throw new LowerError(`network '${this.net.name?.name ?? ''}' has no duration: add \`duration = 1000 ms\` or pass --duration`, this.net.range);
    for (const item of this.net.items) {
      if (item.kind === 'Binding') this.value(item.name.name);
      else if (item.kind === 'ExprStmt') this.eval(item.expr, undefined);
      else if (item.kind === 'Record') this.record(item);
      else if (item.kind === 'Inject') this.inject(item);
    }
    const trainBlock = this.net.items.find((i): i is A.TrainBlock => i.kind === 'Train');
    const train = trainBlock && this.opts.keepDataSources ? lowerTrain(trainBlock, this) : undefined;
    // where `snn train` reports what it cannot do with an entry (a targets file it cannot read, a readout online training cannot take)
    for (const e of trainBlock?.entries ?? []) if (e.value) this.opts.locations?.set(`train:${e.key.name}`, e.value.range);
    const models: NetworkIR['models'] = {};
    for (const [name, m] of this.models) models[name] = m.ir;
    const synapseModels: NetworkIR['synapseModels'] = {};
    for (const [name, m] of this.synapseModels) synapseModels[name] = m.ir;
    const plasticityRules: NetworkIR['plasticityRules'] = {};
    for (const [name, m] of this.rules) plasticityRules[name] = m.ir;
    return {
      format: IR_FORMAT,
      version: IR_VERSION,
      name: this.net.name?.name ?? 'network',
      units: { ...INTERNAL_UNIT_SYSTEM },
      dt: this.dt,
      duration,
      seed: this.seed,
      models,
      synapseModels,
      plasticityRules,
      populations: this.populations,
      projections: this.projections,
      currentSources: this.currentSources,
      recordings: this.recordings,
      stepOrder: STEP_ORDER,
      ...(train ? { train } : {}),
    };
  }

  // ----------------------------------------------------------------- names and values
  private setting(name: string): number | undefined {
    const b = this.bindings.get(name);
    if (!b?.value) return undefined;
    const l = this.lowerer.lower(b.value);
    const unit = name === 'seed' ? undefined : lookupUnit('ms')!.dim;
    return evaluate(l.expr, () => NaN) * (unit ? conversion(l.dim, internalScale(unit)) : 1);
  }

  private symbol(name: string): Sym | undefined {
    const b = this.bindings.get(name);
    if (!b?.value) return undefined;
    const v = this.value(name);
    if (v.kind === 'number') return { kind: 'value', value: v.value, dim: v.dim };
    return undefined;
  }

  private value(name: string): Value {
    const hit = this.values.get(name);
    if (hit) return hit;
    const b = this.bindings.get(name);
    if (!b?.value) return { kind: 'other' };
    if (this.resolving.has(name)) throw new LowerError(`'${name}' is defined in terms of itself`, b.range);
    if (b.source && !this.opts.keepDataSources) throw new LowerError('spikes from a data source (`from …`) are not supported by the compiler yet; they arrive with training (snn train)', b.source.range);
    this.resolving.add(name);
    const v = this.eval(b.value, name);
    this.resolving.delete(name);
    if (b.source) this.attachSource(b.source, v);
    this.values.set(name, v);
    return v;
  }

  private eval(e: A.Expr, bindingName: string | undefined): Value {
    if (e.kind === 'Name') {
      if (this.bindings.has(e.name)) return this.value(e.name);
      const m = this.scope.get(e.name);
      if (m) return { kind: 'model', info: m };
      if (BUILTINS.has(e.name)) return { kind: 'call', name: e.name, call: { kind: 'Call', callee: e, args: [], range: e.range } };
    }
    if (e.kind === 'Call' && e.callee.kind === 'Name') {
      const name = e.callee.name;
      if (name === 'Population') return this.population(e, bindingName);
      if (name === 'Projection') {
        this.projection(e, bindingName);
        return { kind: 'other' };
      }
      if (name === 'Assembly') {
        const parts = e.args.map((a) => this.popOf(a.value, e));
        return { kind: 'pop', slices: parts.flatMap((p) => p.slices), models: [...new Set(parts.flatMap((p) => p.models))] };
      }
      const m = this.scope.get(name);
      if (m) return { kind: 'model', info: m, call: e };
      if (BUILTINS.has(name)) return { kind: 'call', name, call: e };
    }
    if (e.kind === 'Index') return this.view(e);
    if (e.kind === 'Number' || e.kind === 'Binary' || e.kind === 'Unary' || e.kind === 'Name') {
      const l = this.lowerer.lower(e);
      return { kind: 'number', value: evaluate(l.expr, () => NaN), dim: l.dim };
    }
    return { kind: 'other' };
  }

  popOf(e: A.Expr | undefined, at: { range: A.Expr["range"] }): { slices: IRSlice[]; models: string[] } {
    const v = e ? this.eval(e, undefined) : { kind: 'other' as const };
    if (v.kind !== 'pop') throw new LowerError('expected a population, view or assembly', (e ?? at).range);
    return v;
  }

  private view(e: A.Index): Value {
    const base = this.popOf(e.object, e);
    if (base.slices.length !== 1) throw new LowerError('views of assemblies are not supported yet', e.range);
    const s = base.slices[0]!;
    const n = Math.ceil((s.stop - s.start) / s.step);
    const int = (x: A.Expr | undefined, fallback: number): number => {
      if (!x) return fallback;
      const v = this.eval(x, undefined);
      if (v.kind !== 'number') throw new LowerError('a view index must be a whole number', x.range);
      return v.value < 0 ? v.value + n : v.value;
    };
    let start: number;
    let stop: number;
    let step = 1;
    if (e.index?.kind === 'Slice') {
      start = int(e.index.start, 0);
      stop = int(e.index.end, n);
      step = int(e.index.step, 1);
    } else {
      start = int(e.index, 0);
      stop = start + 1;
    }
    if (step < 1) throw new LowerError('views with a negative step are not supported yet', e.range);
    return { kind: 'pop', slices: [{ population: s.population, start: s.start + start * s.step, stop: Math.min(s.stop, s.start + stop * s.step), step: s.step * step }], models: base.models };
  }

  private named(call: A.Call): Map<string, A.Expr> {
    const out = new Map<string, A.Expr>();
    for (const a of call.args) if (a.name && a.value) out.set(a.name.name, a.value);
    return out;
  }

  private positional(call: A.Call): A.Expr[] {
    return call.args.filter((a) => !a.name && a.value).map((a) => a.value!);
  }

  /** A quantity in the internal unit of `dim`. */
  quantity(e: A.Expr, dim: Dim | undefined): number {
    const l = this.lowerer.lower(e);
    return evaluate(l.expr, () => NaN) * conversion(l.dim, dim === undefined ? 1 : internalScale(dim));
  }

  // ----------------------------------------------------------------- populations
  private lowered(info: ModelInfo): LoweredModel {
    let m = this.models.get(info.name);
    if (!m) {
      m = lowerModel(info);
      this.models.set(info.name, m);
    }
    return m;
  }

  private population(call: A.Call, bindingName: string | undefined): Value {
    const pos = this.positional(call);
    const named = this.named(call);
    const sizeV = pos[0] ? this.eval(pos[0], undefined) : undefined;
    if (sizeV?.kind !== 'number' || !Number.isInteger(sizeV.value) || sizeV.value < 1) throw new LowerError('a population size must be a whole number >= 1', call.range);
    const size = sizeV.value;
    const cell = pos[1] ? this.eval(pos[1], undefined) : undefined;
    if (cell?.kind !== 'model') throw new LowerError('expected a cell type', call.range);
    const info = cell.info;
    const lm = this.lowered(info);
    const name = bindingName ?? `population${this.populations.length}`;
    const overrides = cell.call ? this.named(cell.call) : new Map<string, A.Expr>();
    // Parameters, in declaration order; a default may read earlier parameters.
    const params: Record<string, number | number[]> = {};
    const env = (i: number) => (n: string): number => {
      const v = params[n];
      if (v === undefined) throw new LowerError(`parameter '${n}' is used before it has a value`, info.decl.range);
      return typeof v === 'number' ? v : v[i]!;
    };
    const perNeuron = (e: IRExpr): number | number[] => {
      const uniform = [...refsOf(e)].every((r) => typeof params[r] === 'number');
      if (uniform) return evaluate(e, env(0));
      return Array.from({ length: size }, (_, i) => evaluate(e, env(i)));
    };
    let spikeTimes: number[][] | undefined;
    for (const p of info.params.keys()) {
      const dim = info.params.get(p)!.dim;
      const o = overrides.get(p);
      if (o) params[p] = this.drawn(o, dim, size, `population:${name}:param:${p}`);
      else if (lm.paramDefaults.has(p)) params[p] = perNeuron(lm.paramDefaults.get(p)!);
    }
    if (info.name === 'SpikeSourceArray') {
      const st = overrides.get('spike_times');
      const ms = lookupUnit('ms')!.dim;
      const list = (e: A.Expr): number[] => (e.kind === 'List' ? e.items.map((x) => this.quantity(x, ms)).sort((a, b) => a - b) : []);
      if (st?.kind !== 'List') spikeTimes = [[]];
      else if (st.items.length > 0 && st.items.every((x) => x.kind === 'List')) {
        if (st.items.length !== size) throw new LowerError(`spike_times has ${st.items.length} lists for ${size} neurons`, st.range);
        spikeTimes = st.items.map(list);
      } else spikeTimes = [list(st)];
    }
    for (const o of overrides.keys()) {
      if (!info.params.has(o) && o !== 'spike_times') throw new LowerError(`'${info.name}' has no parameter '${o}'`, call.range);
    }
    // Initial values: the model's, then `initial: {…}`.
    const initial: Record<string, number | number[]> = {};
    for (const x of lm.ir.state) initial[x] = lm.stateDefaults.has(x) ? perNeuron(lm.stateDefaults.get(x)!) : 0;
    const init = named.get('initial');
    if (init?.kind === 'Object') {
      for (const en of init.entries) {
        if (!en.value) continue;
        const x = en.key.name;
        if (!info.state.has(x)) throw new LowerError(`'${info.name}' has no state variable '${x}'`, en.range);
        initial[x] = this.drawn(en.value, info.state.get(x)!.dim, size, `population:${name}:initial:${x}`);
      }
    }
    if (lm.ir.integrator.method === 'exact') Object.assign(params, this.propagator(lm, params, size));
    const pop: IRPopulation = { name, model: info.name, size, params, initial, streams: { poisson: streamId(`population:${name}:poisson`) } };
    if (spikeTimes) pop.spikeTimes = spikeTimes;
    const structure = named.get('structure');
    if (structure) pop.positions = this.positions(structure, size, name);
    this.populations.push(pop);
    this.opts.locations?.set(`population:${name}`, call.range);
    return { kind: 'pop', slices: [{ population: name, start: 0, stop: size, step: 1 }], models: [info.name] };
  }

  /** `from randman(classes: 2, seed: 42)`: the data source of the population just lowered. */
  private attachSource(e: A.Expr, v: Value): void {
    const pop = v.kind === 'pop' && v.slices.length === 1 ? this.populations.find((p) => p.name === v.slices[0]!.population) : undefined;
    if (!pop) throw new LowerError('a data source (`from …`) needs a population on its left', e.range);
    const call = e.kind === 'Call' ? e : undefined;
    const callee = call?.callee.kind === 'Name' ? call.callee.name : e.kind === 'Name' ? e.name : undefined;
    if (!callee) throw new LowerError('expected a data source such as randman(classes: 2)', e.range);
    const args: Record<string, number | string> = {};
    for (const [k, x] of call ? this.named(call) : new Map<string, A.Expr>()) {
      if (x.kind === 'String') {
        args[k] = x.value;
        continue;
      }
      const val = this.eval(x, undefined);
      if (val.kind !== 'number') throw new LowerError(`the data source argument '${k}' must be a number`, x.range);
      args[k] = val.value;
    }
    pop.source = { kind: callee, args };
  }

  /** Neuron positions (um, x y z per neuron) from a structure, as pyNN.space computes them. */
  private positions(e: A.Expr, size: number, pop: string): number[] {
    const v = this.eval(e, undefined);
    if (v.kind !== 'call') throw new LowerError('expected a structure such as Line(dx: 10 um)', e.range);
    const n = this.named(v.call);
    const pos = this.positional(v.call);
    const um = lookupUnit('um')!.dim;
    const q = (k: string, fallback: number): number => (n.has(k) ? this.quantity(n.get(k)!, um) : fallback);
    const plain = (k: string, fallback: number): number => (n.has(k) ? this.quantity(n.get(k)!, undefined) : fallback);
    const out: number[] = [];
    const grid = (dims: number[], step: number[], origin: number[]): void => {
      if (dims.reduce((a, b) => a * b, 1) !== size || dims.some((d) => !Number.isInteger(d))) {
        throw new LowerError(`${size} neurons do not fill a ${dims.map((d) => Number(d.toFixed(3))).join(' x ')} grid`, v.call.range);
      }
      // numpy.indices in C order: the last axis varies fastest (pyNN.space).
      for (let i = 0; i < size; i++) {
        let r = i;
        const idx = dims.map(() => 0);
        for (let a = dims.length - 1; a >= 0; a--) {
          idx[a] = r % dims[a]!;
          r = Math.floor(r / dims[a]!);
        }
        out.push(origin[0]! + step[0]! * idx[0]!, origin[1]! + step[1]! * (idx[1] ?? 0), origin[2]! + step[2]! * (idx[2] ?? 0));
      }
    };
    switch (v.name) {
      case 'Line':
        for (let i = 0; i < size; i++) out.push(q('x0', 0) + i * q('dx', 1), q('y', 0), q('z', 0));
        return out;
      case 'Grid2D': {
        const nx = Math.round(Math.sqrt(size * plain('aspect_ratio', 1)) * 1e9) / 1e9;
        grid([nx, size / nx], [q('dx', 1), q('dy', 1), 0], [q('x0', 0), q('y0', 0), q('z', 0)]);
        return out;
      }
      case 'Grid3D': {
        const nx = Math.round(Math.cbrt(size * plain('aspect_ratioXY', 1) * plain('aspect_ratioXZ', 1)) * 1e9) / 1e9;
        grid([nx, nx / plain('aspect_ratioXY', 1), nx / plain('aspect_ratioXZ', 1)], [q('dx', 1), q('dy', 1), q('dz', 1)], [q('x0', 0), q('y0', 0), q('z0', 0)]);
        return out;
      }
      case 'RandomStructure': {
        const b = n.get('boundary') ?? pos[0];
        const bv = b ? this.eval(b, undefined) : undefined;
        if (bv?.kind !== 'call') throw new LowerError('RandomStructure needs a boundary: Sphere(…) or Cuboid(…)', v.call.range);
        const bn = this.named(bv.call);
        const origin = n.get('origin')?.kind === 'List' ? (n.get('origin') as A.List).items.map((x) => this.quantity(x, um)) : [0, 0, 0];
        const stream = streamId(`population:${pop}:positions`);
        for (let i = 0; i < size; i++) {
          let p: number[] = [0, 0, 0];
          for (let lane = 0; ; lane++) {
            const w = this.rng.words(stream, i, 0, lane);
            const u = [0, 1, 2].map((k) => wordToUniform(w[k]!) - 0.5);
            if (bv.name === 'Cuboid') {
              p = [u[0]! * this.quantity(bn.get('width')!, um), u[1]! * this.quantity(bn.get('height')!, um), u[2]! * this.quantity(bn.get('depth')!, um)];
              break;
            }
            // Sphere: rejection from the enclosing cube.
            const r = this.quantity(bn.get('radius')!, um);
            if (u[0]! ** 2 + u[1]! ** 2 + u[2]! ** 2 <= 0.25) {
              p = u.map((x) => 2 * r * x);
              break;
            }
          }
          out.push(p[0]! + origin[0]!, p[1]! + origin[1]!, p[2]! + origin[2]!);
        }
        return out;
      }
      default:
        throw new LowerError(`the structure '${v.name}' is not supported by the compiler yet`, v.call.range);
    }
  }

  /** A constant, or one draw per neuron from a distribution, in the internal unit of `dim`. */
  private drawn(e: A.Expr, dim: Dim | undefined, size: number, stream: string): number | number[] {
    const v = this.value_(e, dim);
    if ('const' in v) return v.const;
    const s = streamId(stream);
    return Array.from({ length: size }, (_, i) => sample(this.rng, v, s, i));
  }

  /** A value given as a constant or a distribution call. */
  private value_(e: A.Expr, dim: Dim | undefined): IRValue {
    if (e.kind === 'Call' && e.callee.kind === 'Name' && BUILTINS.get(e.callee.name)?.kind === 'distribution') {
      const b = BUILTINS.get(e.callee.name)!;
      const params: Record<string, number> = {};
      const args = e.args;
      b.params.forEach((p, i) => {
        const a = args.find((x) => x.name?.name === p.name) ?? args.filter((x) => !x.name)[i];
        if (!a?.value) return;
        const unitless = p.unit === '1' || p.unit === 'int';
        params[p.name] = unitless ? this.quantity(a.value, undefined) : this.quantity(a.value, dim);
      });
      if (!SAMPLERS.has(b.name)) throw new LowerError(`the distribution '${b.name}' is not supported by the compiler yet`, e.range);
      return { dist: b.name, params };
    }
    return { const: this.quantity(e, dim) };
  }

  /**
   * The exact propagator of a linear model: x' = A x + b + B I_inj with A, b, B read off the
   * right-hand sides at the parameter values (the system is affine, so differences are exact), then
   * [P | q | Q] = blocks of expm([[A, b, B], [0, 0, 0]] dt) (discretise/expm.ts).
   */
  private propagator(lm: LoweredModel, params: Record<string, number | number[]>, size: number): Record<string, number | number[]> {
    const xs = [...lm.rhs.keys()];
    const heterogeneous = Object.values(params).some((v) => typeof v !== 'number');
    const withCurrent = lm.ir.currentParam !== undefined;
    // The free system, and (when refractoriness clamps a variable with an ODE) the system with the
    // clamped rows held: their derivatives zero.
    const variants: { suffix: '' | 'r'; held: Set<string> }[] = [{ suffix: '', held: new Set() }];
    if (lm.ir.refractoryUpdate) variants.push({ suffix: 'r', held: new Set(lm.ir.refractory?.clamp ?? []) });
    const names: string[] = [];
    for (const { suffix } of variants) {
      for (const x of xs) for (const y of xs) names.push(propagatorName(`P${suffix}`, x, y));
      for (const x of xs) names.push(constantName(x, suffix));
      if (withCurrent) for (const x of xs) names.push(propagatorName(`Q${suffix}`, x));
    }
    const cache = new Map<string, number[]>();
    const coefficients = (i: number): number[] => {
      const pv = (n: string): number => {
        const v = params[n];
        return v === undefined ? NaN : typeof v === 'number' ? v : v[i]!;
      };
      const key = heterogeneous ? lm.ir.params.map(pv).join(',') : '';
      const hit = cache.get(key);
      if (hit) return hit;
      const f = (state: Record<string, number>, inj: number): number[] =>
        xs.map((x) => evaluate(lm.rhs.get(x)!, (n) => (n in state ? state[n]! : n === I_INJ ? inj : pv(n))));
      const zero = Object.fromEntries(xs.map((x) => [x, 0]));
      const b = f(zero, 0);
      const Bcol = f(zero, 1).map((v, k) => v - b[k]!);
      const A = xs.map(() => new Array<number>(xs.length).fill(0));
      xs.forEach((y, j) => {
        const col = f({ ...zero, [y]: 1 }, 0);
        xs.forEach((_, k) => (A[k]![j] = col[k]! - b[k]!));
      });
      const out: number[] = [];
      for (const { held } of variants) {
        const keep = (k: number): boolean => !held.has(xs[k]!);
        const Av = A.map((row, k) => (keep(k) ? row : row.map(() => 0)));
        const bv = b.map((v, k) => (keep(k) ? v : 0));
        const Bv = Bcol.map((v, k) => (keep(k) ? v : 0));
        const { P, Q } = propagatorWithInputs(Av, withCurrent ? [bv, Bv] : [bv], this.dt);
        out.push(...P.flat(), ...Q[0]!, ...(withCurrent ? Q[1]! : []));
      }
      cache.set(key, out);
      return out;
    };
    const result: Record<string, number | number[]> = {};
    if (!heterogeneous) {
      const c = coefficients(0);
      names.forEach((n, k) => (result[n] = c[k]!));
    } else {
      const all = Array.from({ length: size }, (_, i) => coefficients(i));
      names.forEach((n, k) => {
        const col = all.map((c) => c[k]!);
        result[n] = col.every((v) => v === col[0]) ? col[0]! : col;
      });
    }
    return result;
  }

  // ----------------------------------------------------------------- projections
  private projection(call: A.Call, bindingName: string | undefined): void {
    const pos = this.positional(call);
    const named = this.named(call);
    const arrow = pos[0];
    if (arrow?.kind !== 'Binary' || arrow.op !== '->' || !arrow.right) throw new LowerError('expected pre -> post', call.range);
    const pre = this.popOf(arrow.left, call);
    const post = this.popOf(arrow.right, call);
    const postModel = this.scope.get(post.models[0]!)!;
    let receptor = '';
    const r = named.get('receptor');
    if (r?.kind === 'Name') receptor = r.name;
    else if (r?.kind === 'String') receptor = r.value;
    else receptor = postModel.ports.has('') ? '' : postModel.ports.has('excitatory') ? 'excitatory' : [...postModel.ports.keys()][0] ?? '';
    const weightDim = postModel.ports.get(receptor);
    const name = bindingName ?? `projection${this.projections.length}`;
    let weightExpr = named.get('weight');
    let delayExpr = named.get('delay');
    const syn = named.get('synapse');
    if (syn?.kind === 'Call') {
      const sn = this.named(syn);
      weightExpr ??= sn.get('weight');
      delayExpr ??= sn.get('delay');
    }
    const synapse = syn ? this.synapse(syn, weightDim) : 'static';
    const plasticityExpr = named.get('plasticity');
    const plasticity = plasticityExpr ? this.plasticity(plasticityExpr, weightDim) : undefined;
    const msDim = lookupUnit('ms')!.dim;
    const weight: IRValue = weightExpr ? this.value_(weightExpr, weightDim) : { const: 0 };
    const delay = inSteps(delayExpr ? this.value_(delayExpr, msDim) : { const: this.minDelay }, this.dt);
    const connector = this.connector(pos[1], call, weightDim);
    this.checkConnector(connector, pre.slices, post.slices, pos[1] ?? call);
    this.opts.locations?.set(`projection:${name}`, call.range);
    this.projections.push({
      name,
      pre: pre.slices,
      post: post.slices,
      connector,
      receptor,
      weight,
      delay,
      synapse,
      ...(plasticity ? { plasticity } : {}),
      ...(isTrainable(call) ? { trainable: true as const } : {}),
      streams: {
        connectivity: streamId(`projection:${name}:connectivity`),
        weight: streamId(`projection:${name}:weight`),
        delay: streamId(`projection:${name}:delay`),
      },
    });
  }

  /** What connect() would refuse at run time, reported here, at the connector. */
  private checkConnector(c: IRConnector, pre: IRSlice[], post: IRSlice[], at: A.Expr): void {
    const count = (sl: IRSlice[]): number => sl.reduce((a, x) => a + Math.max(0, Math.ceil((x.stop - x.start) / x.step)), 0);
    const [np, nq] = [count(pre), count(post)];
    if (c.kind === 'OneToOne' && np !== nq) throw new LowerError(`OneToOne needs pre and post of the same size, got ${np} and ${nq}`, at.range);
    if (c.kind === 'FromList') {
      const bad = c.rows.find((r) => !Number.isInteger(r[0]) || !Number.isInteger(r[1]) || r[0]! < 0 || r[1]! < 0 || r[0]! >= np || r[1]! >= nq);
      if (bad) throw new LowerError(`connection [${bad.join(', ')}] is outside the ${np} pre and ${nq} post neurons`, at.range);
    }
    if (c.kind === 'DistanceDependentProbability') {
      for (const sl of [...pre, ...post]) {
        if (!this.populations.find((p) => p.name === sl.population)?.positions) {
          throw new LowerError(`DistanceDependentProbability needs positions: give population '${sl.population}' a structure`, at.range);
        }
      }
    }
  }

  /** The model (name or call) and its call's named arguments. */
  private modelCall(e: A.Expr, kind: string): { info: ModelInfo; args: Map<string, A.Expr> } {
    const name = e.kind === 'Name' ? e.name : e.kind === 'Call' && e.callee.kind === 'Name' ? e.callee.name : undefined;
    const info = name ? this.scope.get(name) : undefined;
    if (!info || info.kind !== kind) throw new LowerError(`expected a ${kind} model`, e.range);
    return { info, args: e.kind === 'Call' ? this.named(e) : new Map() };
  }

  /**
   * Parameter values of a synapse model or plasticity rule: defaults (which may read earlier
   * parameters), then overrides. A parameter a rule writes without a unit (w_max = 1) takes the
   * weight's unit, so an override with a unit (w_max: 0.015 uS) is converted to it.
   */
  private eventParams(info: ModelInfo, defaults: Map<string, IRExpr>, overrides: Map<string, A.Expr>, weightDim: Dim | undefined): Record<string, number> {
    const out: Record<string, number> = {};
    for (const p of info.params.keys()) {
      const o = overrides.get(p);
      if (o) {
        const l = this.lowerer.lower(o);
        const v = evaluate(l.expr, () => NaN);
        const declared = info.params.get(p)!.dim;
        const plain = l.dim === undefined || l.dim.every((z) => z === 0);
        out[p] = plain ? v : v * conversion(l.dim, internalScale(declared && !declared.every((z) => z === 0) ? declared : (weightDim ?? l.dim!)));
      } else if (defaults.has(p)) {
        out[p] = evaluate(defaults.get(p)!, (n) => out[n] ?? NaN);
      }
    }
    for (const k of overrides.keys()) {
      if (!info.params.has(k) && k !== 'weight' && k !== 'delay') throw new LowerError(`'${info.name}' has no parameter '${k}'`, overrides.get(k)!.range);
    }
    return out;
  }

  private synapse(e: A.Expr, weightDim: Dim | undefined): IRProjection['synapse'] {
    const { info, args } = this.modelCall(e, 'synapse');
    if (info.name === 'StaticSynapse') return 'static';
    let lm = this.synapseModels.get(info.name);
    if (!lm) {
      lm = lowerSynapseModel(info);
      this.synapseModels.set(info.name, lm);
    }
    const params = this.eventParams(info, lm.paramDefaults, args, weightDim);
    const initial: Record<string, number> = {};
    for (const x of lm.ir.state) initial[x] = lm.stateDefaults.has(x) ? evaluate(lm.stateDefaults.get(x)!, (n) => params[n] ?? NaN) : 0;
    return { model: info.name, params, initial };
  }

  private plasticity(e: A.Expr, weightDim: Dim | undefined): NonNullable<IRProjection['plasticity']> {
    const { info, args } = this.modelCall(e, 'plasticity');
    let lr = this.rules.get(info.name);
    if (!lr) {
      lr = lowerPlasticityRule(info);
      this.rules.set(info.name, lr);
    }
    return { rule: info.name, params: this.eventParams(info, lr.paramDefaults, args, weightDim) };
  }

  private connector(e: A.Expr | undefined, at: A.Call, weightDim: Dim | undefined): IRConnector {
    const v = e ? this.eval(e, undefined) : undefined;
    if (v?.kind !== 'call') throw new LowerError('expected a connector', (e ?? at).range);
    const named = this.named(v.call);
    const pos = this.positional(v.call);
    const arg = (n: string, i: number): A.Expr | undefined => named.get(n) ?? pos[i];
    const num = (n: string, i: number, fallback?: number): number => {
      const x = arg(n, i);
      if (!x) {
        if (fallback !== undefined) return fallback;
        throw new LowerError(`${v.name} needs '${n}'`, v.call.range);
      }
      return this.quantity(x, undefined);
    };
    const self = (): boolean => {
      const x = named.get('allow_self_connections');
      return x?.kind === 'Bool' ? x.value : true;
    };
    switch (v.name) {
      case 'AllToAll':
        return { kind: 'AllToAll', allowSelfConnections: self() };
      case 'OneToOne':
        return { kind: 'OneToOne' };
      case 'FixedProbability':
        return { kind: 'FixedProbability', p: num('p_connect', 0), allowSelfConnections: self() };
      case 'FixedNumberPre':
        return { kind: 'FixedNumberPre', n: num('n', 0), allowSelfConnections: self() };
      case 'FixedNumberPost':
        return { kind: 'FixedNumberPost', n: num('n', 0), allowSelfConnections: self() };
      case 'FixedTotalNumber':
        return { kind: 'FixedTotalNumber', n: num('n', 0), allowSelfConnections: self() };
      case 'DistanceDependentProbability': {
        const x = arg('d_expression', 0);
        if (!x) throw new LowerError('DistanceDependentProbability needs an expression in the distance d', v.call.range);
        const d = new ExprLowerer((name) => (name === 'd' ? { kind: 'ref', ref: '$d', dim: lookupUnit('um')!.dim } : this.symbol(name)));
        return { kind: 'DistanceDependentProbability', probability: d.lower(x).expr, allowSelfConnections: self() };
      }
      case 'FromList': {
        const list = arg('conn_list', 0);
        if (list?.kind !== 'List') throw new LowerError('FromList needs a list of rows [pre, post, weight?, delay?]', v.call.range);
        // column_names orders the columns after the two indices (default: weight, delay).
        const cn = named.get('column_names');
        const names = cn?.kind === 'List' ? cn.items.map((x) => (x.kind === 'String' ? x.value : '')) : ['weight', 'delay'];
        for (const nm of names) if (nm !== 'weight' && nm !== 'delay') throw new LowerError(`column '${nm}' is not supported: FromList takes weight and delay`, cn!.range);
        const rows = list.items.map((row) => this.row(row, weightDim, names));
        const out: IRConnector = { kind: 'FromList', rows: rows.map((r) => [r[0]!, r[1]!]) };
        if (rows.some((r) => !Number.isNaN(r[2]))) {
          if (rows.some((r) => Number.isNaN(r[2]))) throw new LowerError('give a weight in every row or in none', list.range);
          out.weights = rows.map((r) => r[2]!);
        }
        if (rows.some((r) => !Number.isNaN(r[3]))) {
          if (rows.some((r) => Number.isNaN(r[3]))) throw new LowerError('give a delay in every row or in none', list.range);
          out.delays = rows.map((r) => r[3]! / this.dt);
        }
        return out;
      }
      case 'Array': {
        const m = arg('matrix', 0);
        if (m?.kind !== 'List') throw new LowerError('Array needs a matrix of true and false', v.call.range);
        const rows: number[][] = [];
        m.items.forEach((r, i) => {
          if (r.kind !== 'List') throw new LowerError('each row of the matrix must be a list', r.range);
          r.items.forEach((c, j) => {
            if (this.quantity(c, undefined)) rows.push([i, j]);
          });
        });
        return { kind: 'FromList', rows };
      }
      case 'FromFile': {
        const f = arg('file', 0);
        if (f?.kind !== 'String') throw new LowerError('FromFile needs a file name', v.call.range);
        const rows = this.readConnections(f);
        const out: IRConnector = { kind: 'FromList', rows: rows.map((r) => [r[0]!, r[1]!]) };
        if (rows.length > 0 && rows.every((r) => r.length >= 3)) out.weights = rows.map((r) => r[2]!);
        if (rows.length > 0 && rows.every((r) => r.length >= 4)) out.delays = rows.map((r) => r[3]! / this.dt);
        return out;
      }
      default:
        throw new LowerError(`the connector '${v.name}' is not supported by the compiler yet`, v.call.range);
    }
  }

  /** A FromList row: indices, then weight (in the receptor's unit) and delay (ms) as plain numbers. */
  /** A row as [pre, post, weight, delay]; a weight or delay the row does not give is NaN. */
  private row(e: A.Expr, weightDim: Dim | undefined, columns: string[] = ['weight', 'delay']): number[] {
    if (e.kind !== 'List' || e.items.length < 2 || e.items.length > 2 + columns.length) throw new LowerError(`a connection is [pre, post${columns.map((c) => `, ${c}`).join('')}]`, e.range);
    const ms = lookupUnit('ms')!.dim;
    const out = [NaN, NaN, NaN, NaN];
    e.items.forEach((x, k) => {
      const l = this.lowerer.lower(x);
      const v = evaluate(l.expr, () => NaN);
      const col = k < 2 ? k : columns[k - 2] === 'weight' ? 2 : 3;
      // A weight or delay written as a plain number is already in the receptor's unit, or in ms.
      const dim = col === 2 ? weightDim : col === 3 ? ms : undefined;
      out[col] = l.dim === undefined || dim === undefined || l.dim.every((z) => z === 0) ? v : v * conversion(l.dim, internalScale(dim));
    });
    return out;
  }

  /**
   * FromFile: one connection per line, `pre, post[, weight[, delay]]` separated by commas or
   * spaces; `#` starts a comment. The path is relative to the model file.
   */
  private readConnections(f: A.StringLit): number[][] {
    const path = resolvePath(dirname(this.opts.modelPath ?? '.'), f.value);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new LowerError(`cannot read the connection file '${f.value}' (${(e as NodeJS.ErrnoException).code ?? String(e)})`, f.range);
    }
    const rows: number[][] = [];
    text.split(/\r?\n/).forEach((line, k) => {
      const body = line.replace(/#.*/, '').trim();
      if (!body) return;
      const cells = body.split(/[\s,;]+/).map(Number);
      if (cells.length < 2 || cells.length > 4 || cells.some((c) => !Number.isFinite(c))) {
        throw new LowerError(`${f.value}, line ${k + 1}: expected pre, post[, weight[, delay]], got '${line.trim()}'`, f.range);
      }
      rows.push(cells);
    });
    return rows;
  }

  // ----------------------------------------------------------------- recording and stimulation
  private record(r: A.Record): void {
    let everySteps = 1;
    if (r.every) everySteps = Math.max(1, Math.round(this.quantity(r.every, lookupUnit('ms')!.dim) / this.dt));
    for (const t of r.targets) {
      if (t.kind !== 'Member' || !t.member) throw new LowerError('record POP.spikes or POP.VARIABLE', t.range);
      const p = this.popOf(t.object, r);
      const variable = t.member.name;
      for (const m of p.models) {
        const lm = this.models.get(m);
        if (variable !== 'spikes' && lm && !lm.ir.state.includes(variable)) throw new LowerError(`recording the alias '${variable}' is not supported yet; record a state variable`, t.range);
      }
      this.opts.locations?.set(`recording:${this.recordings.length}`, t.range);
      this.recordings.push({ target: p.slices, variable, everySteps: variable === 'spikes' ? 1 : everySteps, label: formatExpr(t) });
    }
  }

  private inject(i: A.Inject): void {
    if (!i.source || !i.target) return;
    const target = this.popOf(i.target, i).slices;
    const v = this.eval(i.source, undefined);
    if (v.kind !== 'call') throw new LowerError('expected a current source', i.source.range);
    this.opts.locations?.set(`current:${this.currentSources.length}`, i.range);
    const n = this.named(v.call);
    const nA = lookupUnit('nA')!.dim;
    const ms = lookupUnit('ms')!.dim;
    const q = (k: string, dim: Dim | undefined, fallback: number): number => (n.has(k) ? this.quantity(n.get(k)!, dim) : fallback);
    for (const s of target) {
      const model = this.populations.find((p) => p.name === s.population)?.model;
      if (model && !this.models.get(model)?.ir.currentParam) throw new LowerError(`cell type '${model}' has no i_offset parameter, which injected current adds to`, i.range);
    }
    switch (v.name) {
      case 'DCSource':
      {
        const dc: IRCurrentSource = { kind: 'DC', amplitude: q('amplitude', nA, 1), start: q('start', ms, 0), target };
        if (n.has('stop')) dc.stop = q('stop', ms, 0);
        this.currentSources.push(dc);
        return;
      }
      case 'ACSource': {
        const ac: IRCurrentSource = {
          kind: 'AC', amplitude: q('amplitude', nA, 1), offset: q('offset', nA, 0), frequency: q('frequency', lookupUnit('Hz')!.dim, 10),
          phase: q('phase', undefined, 0), start: q('start', ms, 0), target,
        };
        if (n.has('stop')) ac.stop = q('stop', ms, 0);
        this.currentSources.push(ac);
        return;
      }
      case 'StepCurrentSource': {
        const list = (k: string, dim: Dim): number[] => {
          const x = n.get(k);
          return x?.kind === 'List' ? x.items.map((it) => this.quantity(it, dim)) : [];
        };
        const times = list('times', ms);
        const amplitudes = list('amplitudes', nA);
        if (times.length !== amplitudes.length) throw new LowerError(`StepCurrentSource has ${times.length} times and ${amplitudes.length} amplitudes`, v.call.range);
        if (times.some((t, k) => k > 0 && t < times[k - 1]!)) throw new LowerError('StepCurrentSource times must increase', v.call.range);
        this.currentSources.push({ kind: 'Step', times, amplitudes, target });
        return;
      }
      case 'NoisyCurrentSource': {
        const noisy: IRCurrentSource = {
          kind: 'Noisy', mean: q('mean', nA, 0), stdev: q('stdev', nA, 1), start: q('start', ms, 0), dt: q('dt', ms, this.dt), target,
          stream: streamId(`current:${this.currentSources.length}:noise`),
        };
        if (n.has('stop')) noisy.stop = q('stop', ms, 0);
        this.currentSources.push(noisy);
        return;
      }
      default:
        throw new LowerError(`the current source '${v.name}' is not supported by the compiler yet`, i.source.range);
    }
  }
}

/**
 * A delay in ms to one in steps. The distributions the compiler draws delays from are
 * location-scale families, so dividing their parameters by dt divides the draws by dt; the backend
 * then rounds each synapse's delay to max(1, round(steps)).
 */
function inSteps(v: IRValue, dt: number): IRValue {
  if ('const' in v) return { const: v.const / dt };
  return { dist: v.dist, params: Object.fromEntries(Object.entries(v.params).map(([k, x]) => [k, x / dt])) };
}


