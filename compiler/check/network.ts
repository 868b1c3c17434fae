/**
 * Checking a `network { … }` block: populations, views, assemblies, projections, current
 * sources, recordings, settings and the train/target blocks. Bindings may appear in any order.
 */
import type * as A from '../../lang/ast.js';
import type { Range } from '../../lang/source.js';
import { BUILTIN_CONSTANTS, BUILTINS, NETWORK_SETTINGS, TRAIN_KEYS, type Builtin, type BuiltinParam } from '../builtins.js';
import { DIMENSIONLESS, dimEquals, isDimensionless, lookupUnit, type Dim } from '../units.js';
import { didYouMean, type Reporter } from './context.js';
import { ExprTyper, paramDim, type Scope } from './expr.js';
import { describeDim, describeType, quantity, UNKNOWN, type ModelInfo, type Type } from './types.js';

const TIME: Dim = lookupUnit('ms')!.dim;
const LENGTH: Dim = lookupUnit('um')!.dim;

/** `name = value` settings of a network, with their unit ('int' = dimensionless whole number). */
const SETTINGS: Record<string, { unit: string }> = Object.fromEntries([...NETWORK_SETTINGS].map(([k, p]) => [k, { unit: p.unit }]));

export const TARGETS = ['cpu', 'webgpu', 'bss2', 'nir', 'pynn'];

const DEFAULT_DT_MS = 0.1;

interface BindingSym {
  binding: A.Binding;
  type?: Type;
  resolving?: boolean;
  used: boolean;
}

export interface ModelLookup {
  get(name: string): ModelInfo | undefined;
  names(): Iterable<string>;
  /** Record that a model was used (for unused-import warnings). */
  markUsed(name: string): void;
  /** Names a failed `use` selected: already reported, so they are unknown rather than undeclared. */
  isUnresolved(name: string): boolean;
}

export class NetworkChecker {
  private readonly bindings = new Map<string, BindingSym>();
  private dt = DEFAULT_DT_MS;
  private readonly typer: ExprTyper;

  constructor(readonly decl: A.NetworkDecl, readonly reporter: Reporter, readonly models: ModelLookup) {
    const scope: Scope = {
      lookup: (name) => this.lookup(name),
      names: () => [...this.bindings.keys(), ...this.models.names(), ...[...BUILTINS.values()].filter((b) => b.kind !== 'math').map((b) => b.name)],
    };
    this.typer = new ExprTyper(scope, reporter, {
      where: 'network',
      allowArrow: false,
      call: (call, callee, typer) => this.call(call, callee, typer),
      member: (m, typer) => this.member(m, typer),
      index: (ix, typer) => this.index(ix, typer),
    });
  }

  check(): void {
    const r = this.reporter;
    for (const item of this.decl.items) {
      if (item.kind !== 'Binding') continue;
      const prev = this.bindings.get(item.name.name);
      if (prev) {
        r.report('DuplicateDeclaration', item.name.range, [item.name.name, 'network'], { related: [{ file: r.file, range: prev.binding.name.range, message: 'first declared here' }] });
        continue;
      }
      this.bindings.set(item.name.name, { binding: item, used: false });
    }
    const dt = this.bindings.get('dt');
    if (dt) {
      const t = this.resolve(dt);
      if (t.kind === 'quantity' && t.value !== undefined && t.value > 0) this.dt = t.value;
    }
    for (const item of this.decl.items) {
      r.guard(`network item '${item.kind}'`, item.range, () => this.item(item));
    }
    for (const [name, b] of this.bindings) {
      if (b.used || SETTINGS[name]) continue;
      if (b.type?.kind === 'population') r.report('UnusedPopulation', b.binding.name.range, [name]);
    }
  }

  private item(item: A.NetItem): void {
    switch (item.kind) {
      case 'Binding': {
        const b = this.bindings.get(item.name.name);
        if (b && b.binding === item) this.resolve(b);
        return;
      }
      case 'ExprStmt': {
        const t = this.typer.type(item.expr);
        if (t.kind !== 'projection' && t.kind !== 'unknown') {
          this.reporter.report('UnsupportedOperator', item.range, ['expression', 'a statement in a network is a binding (name = …), a Projection(…), record, inject, train or target']);
        }
        return;
      }
      case 'Record':
        return this.record(item);
      case 'Inject':
        return this.inject(item);
      case 'Train':
        return this.entries('train', item.entries, TRAIN_OPTIONS);
      case 'Target':
        if (item.name && !TARGETS.includes(item.name.name)) {
          const hint = didYouMean(item.name.name, TARGETS);
          this.reporter.report('UnknownOption', item.name.range, ['target', item.name.name], { hint: hint ?? `targets are ${TARGETS.join(', ')}` });
        }
        for (const en of item.entries) if (en.value) this.typeLoose(en.value);
        return;
    }
  }

  // ----------------------------------------------------------------- names
  private lookup(name: string): Type | undefined {
    const b = this.bindings.get(name);
    if (b) {
      b.used = true;
      return this.resolve(b);
    }
    const m = this.models.get(name);
    if (m) {
      this.models.markUsed(name);
      return { kind: 'model', model: m };
    }
    const bi = BUILTINS.get(name);
    if (bi && bi.kind !== 'math') return { kind: 'builtin', builtinKind: bi.kind, name: bi.name };
    const c = BUILTIN_CONSTANTS.get(name);
    if (c) return quantity(paramDim(c.unit), c.value);
    if (this.models.isUnresolved(name)) return UNKNOWN;
    return undefined;
  }

  private resolve(b: BindingSym): Type {
    if (b.type) return b.type;
    if (b.resolving) {
      this.reporter.report('CyclicAlias', b.binding.name.range, [b.binding.name.name, `${b.binding.name.name} -> … -> ${b.binding.name.name}`]);
      return (b.type = UNKNOWN);
    }
    b.resolving = true;
    const item = b.binding;
    let t: Type = UNKNOWN;
    const setting = SETTINGS[item.name.name];
    if (item.value) {
      t = this.typer.type(item.value);
      if (setting) this.checkSetting(item, setting.unit, t);
      if (t.kind === 'population') t = { ...t, name: item.name.name };
    }
    if (item.source) this.populationSource(item, t);
    b.resolving = false;
    return (b.type = t);
  }

  private checkSetting(item: A.Binding, unit: string, t: Type): void {
    if (t.kind === 'unknown' || !item.value) return;
    const want = unit === 'int' ? DIMENSIONLESS : lookupUnit(unit)!.dim;
    if (t.kind !== 'quantity') {
      this.reporter.report('WrongArgumentKind', item.value.range, ['network', describeDim(want, true), `'${item.name.name}'`, describeType(t)]);
      return;
    }
    if (t.dim !== undefined && !dimEquals(t.dim, want)) {
      this.reporter.report('ParameterUnitMismatch', item.value.range, ['network', describeDim(want, true), item.name.name, describeDim(t.dim, true)]);
      return;
    }
    if (t.value !== undefined && (unit === 'int' ? !Number.isInteger(t.value) || t.value < 0 : item.name.name === 'dt' ? t.value <= 0 : t.value < 0)) {
      this.reporter.report('ValueOutOfRange', item.value.range, [`'${item.name.name}'`, unit === 'int' ? 'a whole number ≥ 0' : item.name.name === 'dt' ? 'positive' : 'zero or positive', String(t.value)]);
    }
  }

  /** `p = Population(…) from randman(…)`: only spike sources take spikes from data. */
  private populationSource(item: A.Binding, t: Type): void {
    const src = item.source!;
    const st = this.typer.type(src);
    if (st.kind !== 'unknown' && !(st.kind === 'builtin' && st.builtinKind === 'dataSource')) {
      this.reporter.report('WrongArgumentKind', src.range, ['from', 'a data source (randman, shd, spike_file)', 'the spike source', describeType(st)]);
    }
    if (t.kind === 'population') {
      for (const m of t.models) if (!m.isSpikeSource) this.reporter.report('SourceOnNonSource', src.range, [`cell type '${m.name}'`]);
    }
  }

  // ----------------------------------------------------------------- calls
  private call(call: A.Call, callee: string, typer: ExprTyper): Type | undefined {
    if (this.bindings.has(callee)) return undefined; // a binding is not callable: falls to UnknownFunction
    if (callee === 'Population') return this.population(call);
    if (callee === 'Projection') return this.projection(call);
    if (callee === 'Assembly') return this.assembly(call);
    const m = this.models.get(callee);
    if (m) {
      this.models.markUsed(callee);
      this.overrides(call, m);
      return { kind: 'model', model: m };
    }
    const b = BUILTINS.get(callee);
    if (b && b.kind !== 'math' && b.kind !== 'network') return this.builtinCall(call, b, typer);
    if (!b && this.models.isUnresolved(callee)) {
      for (const a of call.args) if (a.value) typer.type(a.value);
      return UNKNOWN;
    }
    return undefined;
  }

  /** `IF_curr_exp(tau_m: 10 ms)`: named parameter overrides in the parameter's unit. */
  private overrides(call: A.Call, m: ModelInfo): void {
    // PyNN-style extras: a synapse type carries weight and delay; a spike array its spike times.
    const extra = m.kind === 'synapse' ? ['weight', 'delay'] : m.isSpikeSource ? ['spike_times'] : [];
    for (const a of call.args) {
      if (!a.value) continue;
      if (a.name?.name === 'spike_times' && extra.includes('spike_times')) {
        // A list of times for all neurons, or a list of such lists, one per neuron.
        const times = (l: A.List): void => {
          for (const item of l.items) {
            if (item.kind === 'List') times(item);
            else this.checkValue(item, this.typer.type(item), TIME, m.name, 'spike_times');
          }
        };
        if (a.value.kind === 'List') times(a.value);
        else {
          const lt = this.typer.type(a.value);
          if (lt.kind !== 'list' && lt.kind !== 'unknown') this.reporter.report('WrongArgumentKind', a.value.range, [m.name, 'a list of times [10 ms, 20 ms]', "'spike_times'", describeType(lt)]);
        }
        continue;
      }
      const t = this.typer.type(a.value);
      if (!a.name) {
        this.reporter.report('WrongArgumentCount', a.range, [m.name, 'only named parameter values', 'a positional argument'], { hint: `write ${m.name}(name: value)` });
        continue;
      }
      const pname = a.name.name;
      if (extra.includes(pname)) {
        this.checkValue(a.value, t, pname === 'delay' ? TIME : undefined, m.name, pname);
        continue;
      }
      const p = m.params.get(pname);
      if (!p) {
        const hint = didYouMean(pname, [...m.params.keys(), ...extra]) ?? (m.state.has(pname) ? `'${pname}' is a state variable: set it with initial: {${pname}: …}` : undefined);
        this.reporter.report('UnknownParameter', a.name.range, [m.name, pname], hint ? { hint } : {});
        continue;
      }
      // Dimensionless parameters of plasticity rules (w_min, w_max, eta, …) take the weight's unit.
      const polymorphic = m.kind === 'plasticity' && p.dim !== undefined && isDimensionless(p.dim);
      this.checkValue(a.value, t, polymorphic ? undefined : p.dim, m.name, pname);
    }
  }

  /** A value for a parameter: a number (or distribution) of the parameter's dimension. */
  private checkValue(e: A.Expr, t: Type, want: Dim | undefined, owner: string, pname: string): void {
    if (t.kind === 'unknown') return;
    if (t.kind !== 'quantity') {
      this.reporter.report('WrongArgumentKind', e.range, [owner, want ? describeDim(want, true) : 'a number', `'${pname}'`, describeType(t)]);
      return;
    }
    if (want && t.dim && !dimEquals(want, t.dim)) {
      this.reporter.report('ParameterUnitMismatch', e.range, [owner, describeDim(want, true), pname, describeDim(t.dim, true)]);
    }
  }

  /** Connectors, distributions, structures, current sources, data sources and training callables. */
  private builtinCall(call: A.Call, b: Builtin, typer: ExprTyper): Type {
    const bound = typer.bindArgs(call, b);
    if (!bound) return b.kind === 'distribution' ? quantity(undefined) : { kind: 'builtin', builtinKind: b.kind, name: b.name };
    let sameDim: Dim | undefined;
    let firstSame = true;
    bound.forEach((x, i) => {
      if (!x) return;
      const p: BuiltinParam = b.params[Math.min(i, b.params.length - 1)]!;
      const t = p.unit === 'expr' ? this.distanceExpr(x.value) : this.typer.type(x.value);
      if (t.kind === 'unknown') return;
      const label = `'${p.name}'`;
      switch (p.unit) {
        case 'any':
        case 'expr':
          return;
        case 'bool':
          if (t.kind !== 'bool') this.reporter.report('WrongArgumentKind', x.value.range, [b.name, 'true or false', label, describeType(t)]);
          return;
        case 'string':
          if (t.kind !== 'string') this.reporter.report('WrongArgumentKind', x.value.range, [b.name, 'a string', label, describeType(t)]);
          return;
        case 'list':
          if (t.kind !== 'list') this.reporter.report('WrongArgumentKind', x.value.range, [b.name, 'a list [ … ]', label, describeType(t)]);
          return;
        case 'population':
          if (t.kind !== 'population') this.reporter.report('WrongArgumentKind', x.value.range, [b.name, 'a population', label, describeType(t)]);
          return;
        case 'same': {
          if (t.kind !== 'quantity') {
            this.reporter.report('WrongArgumentKind', x.value.range, [b.name, 'a number', label, describeType(t)]);
            return;
          }
          if (firstSame) {
            sameDim = t.dim;
            firstSame = false;
          } else if (sameDim && t.dim && !dimEquals(sameDim, t.dim)) {
            this.reporter.report('IncompatibleUnits', x.value.range, [`pass together to ${b.name}:`, describeDim(sameDim), describeDim(t.dim)]);
          } else if (!sameDim) sameDim = t.dim;
          return;
        }
        default: {
          if (t.kind === 'builtin' && p.unit !== 'int') return; // nested callables such as Cuboid(…) for boundaries
          if (t.kind !== 'quantity') {
            this.reporter.report('WrongArgumentKind', x.value.range, [b.name, p.unit === 'int' ? 'a whole number' : 'a number', label, describeType(t)]);
            return;
          }
          const want = paramDim(p.unit);
          if (want && t.dim && !dimEquals(want, t.dim)) {
            this.reporter.report('ParameterUnitMismatch', x.value.range, [b.name, describeDim(want, true), p.name, describeDim(t.dim, true)]);
            return;
          }
          if (p.unit === 'int' && t.value !== undefined && !Number.isInteger(t.value)) {
            this.reporter.report('ValueOutOfRange', x.value.range, [label, 'a whole number', String(t.value)]);
          }
          if (/^p(_connect)?$/.test(p.name) && t.value !== undefined && (t.value < 0 || t.value > 1)) {
            this.reporter.report('ValueOutOfRange', x.value.range, ['a probability', 'between 0 and 1', String(t.value)]);
          }
        }
      }
    });
    if (b.kind === 'distribution') {
      if (b.result && b.result !== 'same') return quantity(paramDim(b.result));
      return quantity(sameDim ?? (firstSame ? undefined : DIMENSIONLESS));
    }
    return { kind: 'builtin', builtinKind: b.kind, name: b.name };
  }

  /** The expression of a distance-dependent connector, in the distance `d` (µm). */
  private distanceExpr(e: A.Expr): Type {
    if (e.kind === 'String') return { kind: 'string', value: e.value };
    const scope: Scope = {
      lookup: (name) => (name === 'd' ? quantity(LENGTH) : this.lookup(name)),
      names: () => ['d', ...this.bindings.keys()],
    };
    const t = new ExprTyper(scope, this.reporter, { where: 'network' }).type(e);
    if (t.kind === 'quantity' && t.dim && !isDimensionless(t.dim)) {
      this.reporter.report('ParameterUnitMismatch', e.range, ['DistanceDependentProbability', 'a plain number (a probability)', 'd_expression', describeDim(t.dim, true)]);
    }
    return t;
  }

  // ----------------------------------------------------------------- populations
  private population(call: A.Call): Type {
    const positional = call.args.filter((a) => !a.name && a.value);
    let size: number | undefined;
    let models: ModelInfo[] = [];
    const sizeArg = positional[0];
    const cellArg = positional[1];
    if (!sizeArg || !cellArg) {
      this.reporter.report('MissingArgument', call.range, ['Population', !sizeArg ? 'a size and a cell type, e.g. Population(100, IF_curr_exp)' : 'a cell type, e.g. Population(100, IF_curr_exp)']);
    }
    if (sizeArg?.value) {
      const t = this.typer.type(sizeArg.value);
      if (t.kind === 'quantity') {
        if (t.value !== undefined && (!Number.isInteger(t.value) || t.value <= 0 || (t.dim !== undefined && !isDimensionless(t.dim)))) {
          this.reporter.report('InvalidSize', sizeArg.value.range, [sizeArg.value.kind === 'Number' ? sizeArg.value.text + (sizeArg.value.unit ? ' …' : '') : String(t.value)]);
        } else if (t.dim && !isDimensionless(t.dim)) {
          this.reporter.report('InvalidSize', sizeArg.value.range, [describeDim(t.dim)]);
        } else size = t.value;
      } else if (t.kind !== 'unknown') {
        this.reporter.report('InvalidSize', sizeArg.value.range, [describeType(t)]);
      }
    }
    if (cellArg?.value) {
      const m = this.modelRef(cellArg.value, 'neuron', 'cell type');
      if (m) models = [m];
    }
    for (const extra of positional.slice(2)) {
      this.reporter.report('WrongArgumentCount', extra.range, ['Population', '2 positional arguments (size, cell type)', String(positional.length)]);
      if (extra.value) this.typer.type(extra.value);
    }
    for (const a of call.args) {
      if (!a.name || !a.value) continue;
      switch (a.name.name) {
        case 'initial':
          this.initialValues(a.value, models[0]);
          break;
        case 'structure': {
          const t = this.typer.type(a.value);
          if (t.kind !== 'unknown' && !(t.kind === 'builtin' && t.builtinKind === 'structure')) {
            this.reporter.report('WrongArgumentKind', a.value.range, ['Population', 'a structure (Line, Grid2D, Grid3D, RandomStructure)', "'structure'", describeType(t)]);
          }
          break;
        }
        case 'label': {
          const t = this.typer.type(a.value);
          if (t.kind !== 'string' && t.kind !== 'unknown') this.reporter.report('WrongArgumentKind', a.value.range, ['Population', 'a string', "'label'", describeType(t)]);
          break;
        }
        default: {
          const hint = didYouMean(a.name.name, ['initial', 'structure', 'label']) ?? 'parameter values go on the cell type: Population(10, IF_curr_exp(tau_m: 10 ms))';
          this.reporter.report('UnknownArgument', a.name.range, ['Population', a.name.name], { hint });
          this.typer.type(a.value);
        }
      }
    }
    return { kind: 'population', name: 'Population(…)', size, models };
  }

  /** A reference to a model of the given kind: a name or a call with overrides. */
  private modelRef(e: A.Expr, kind: A.ModelKind, what: string): ModelInfo | undefined {
    const nameNode = e.kind === 'Name' ? e : e.kind === 'Call' && e.callee.kind === 'Name' ? e.callee : undefined;
    if (nameNode && !this.models.get(nameNode.name) && !this.models.isUnresolved(nameNode.name) && !this.bindings.has(nameNode.name) && !BUILTINS.has(nameNode.name)) {
      const candidates = [...this.models.names()].filter((n) => this.models.get(n)?.kind === kind);
      const hint = didYouMean(nameNode.name, candidates);
      this.reporter.report('UnknownModel', nameNode.range, [what, nameNode.name], hint ? { hint } : {});
      if (e.kind === 'Call') for (const a of e.args) if (a.value) this.typer.type(a.value);
      return undefined;
    }
    const t = this.typer.type(e);
    if (t.kind === 'model' && t.model.kind === kind) return t.model;
    if (t.kind !== 'unknown') this.reporter.report('WrongArgumentKind', e.range, [what === 'cell type' ? 'Population' : 'Projection', `a ${kind} model`, `the ${what}`, describeType(t)]);
    return undefined;
  }

  /** `initial: {v: uniform(-65 mV, -55 mV)}`: state variables of the cell type, in their units. */
  private initialValues(e: A.Expr, m: ModelInfo | undefined): void {
    if (e.kind !== 'Object') {
      const t = this.typer.type(e);
      if (t.kind !== 'unknown') this.reporter.report('WrongArgumentKind', e.range, ['Population', 'named initial values {v: …}', "'initial'", describeType(t)]);
      return;
    }
    for (const en of e.entries) {
      if (!en.value) continue;
      const t = this.typer.type(en.value);
      if (!m) continue;
      const s = m.state.get(en.key.name);
      if (!s) {
        const hint = didYouMean(en.key.name, m.state.keys()) ?? (m.params.has(en.key.name) ? `'${en.key.name}' is a parameter: set it on the cell type, ${m.name}(${en.key.name}: …)` : undefined);
        this.reporter.report('UnknownParameter', en.key.range, [m.name, en.key.name], hint ? { hint } : {});
        continue;
      }
      this.checkValue(en.value, t, s.dim, m.name, en.key.name);
    }
  }

  private assembly(call: A.Call): Type {
    let size: number | undefined = 0;
    const models: ModelInfo[] = [];
    const names: string[] = [];
    for (const a of call.args) {
      if (!a.value) continue;
      if (a.name) {
        this.reporter.report('UnknownArgument', a.name.range, ['Assembly', a.name.name]);
        continue;
      }
      const t = this.typer.type(a.value);
      if (t.kind === 'population') {
        size = size !== undefined && t.size !== undefined ? size + t.size : undefined;
        models.push(...t.models);
        names.push(t.name);
      } else if (t.kind !== 'unknown') {
        this.reporter.report('NotAPopulation', a.value.range, [exprText(a.value)]);
      }
    }
    if (call.args.length === 0) this.reporter.report('MissingArgument', call.range, ['Assembly', 'at least one population']);
    return { kind: 'population', name: `Assembly(${names.join(', ')})`, size, models };
  }

  // ----------------------------------------------------------------- views
  private index(ix: A.Index, typer: ExprTyper): Type {
    const t = typer.type(ix.object);
    if (t.kind === 'unknown') return t;
    if (t.kind !== 'population') {
      this.reporter.report('NotAPopulation', ix.object.range, [exprText(ix.object)]);
      return UNKNOWN;
    }
    const n = t.size;
    const constInt = (e: A.Expr | undefined): number | undefined => {
      if (!e) return undefined;
      const v = typer.type(e);
      if (v.kind !== 'quantity') {
        if (v.kind !== 'unknown') this.reporter.report('WrongArgumentKind', e.range, ['a view', 'a whole number', 'an index', describeType(v)]);
        return undefined;
      }
      if (v.dim && !isDimensionless(v.dim)) {
        this.reporter.report('WrongArgumentKind', e.range, ['a view', 'a whole number', 'an index', describeDim(v.dim, true)]);
        return undefined;
      }
      return v.value;
    };
    if (!ix.index) return { ...t, name: `${t.name}[]` };
    if (ix.index.kind === 'Slice') {
      const s = ix.index;
      let start = constInt(s.start) ?? 0;
      let end = s.end ? constInt(s.end) : n;
      const step = constInt(s.step) ?? 1;
      if (step === 0 && s.step) this.reporter.report('ValueOutOfRange', s.step.range, ['a slice step', 'non-zero', '0']);
      if (n !== undefined && end !== undefined) {
        // Python-style negative indices count from the end.
        if (start < 0) start += n;
        if (end < 0) end += n;
        if (start < 0 || start > n || end > n || end < 0) {
          this.reporter.report('IndexOutOfRange', s.range, [`slice [${s.start ? exprText(s.start) : ''}:${s.end ? exprText(s.end) : ''}]`, t.name, n]);
          return UNKNOWN;
        }
      }
      const size = end !== undefined && step > 0 ? Math.max(0, Math.ceil((end - start) / step)) : undefined;
      if (size === 0) this.reporter.report('IndexOutOfRange', s.range, [`the empty slice [${s.start ? exprText(s.start) : ''}:${s.end ? exprText(s.end) : ''}]`, t.name, n ?? '?']);
      return { kind: 'population', name: `${t.name}[…]`, size, models: t.models };
    }
    const i = constInt(ix.index);
    if (i !== undefined && n !== undefined && (i >= n || i < -n || !Number.isInteger(i))) {
      this.reporter.report('IndexOutOfRange', ix.index.range, [`index ${i}`, t.name, n]);
      return UNKNOWN;
    }
    return { kind: 'population', name: `${t.name}[${i ?? '…'}]`, size: 1, models: t.models };
  }

  /** `pop.v`: a recordable variable ('spikes', state variables, aliases). */
  private member(m: A.Member, typer: ExprTyper): Type {
    const t = typer.type(m.object);
    if (t.kind === 'unknown' || !m.member) return UNKNOWN;
    if (t.kind !== 'population') {
      this.reporter.report('NotAPopulation', m.object.range, [exprText(m.object)]);
      return UNKNOWN;
    }
    const v = m.member.name;
    if (v === 'spikes') return { kind: 'unknown' };
    let dim: Dim | undefined;
    for (const model of t.models) {
      const s = model.state.get(v) ?? model.aliases.get(v);
      if (!s) {
        const hint = didYouMean(v, ['spikes', ...model.state.keys(), ...model.aliases.keys()]);
        this.reporter.report('UnknownRecordable', m.member.range, [t.name, v, `cell type '${model.name}'`], hint ? { hint } : {});
        return UNKNOWN;
      }
      dim = s.dim;
    }
    return quantity(dim);
  }

  // ----------------------------------------------------------------- projections
  private projection(call: A.Call): Type {
    const positional = call.args.filter((a) => !a.name && a.value);
    const arrow = positional[0];
    let post: Type = UNKNOWN;
    let pre: Type = UNKNOWN;
    if (!arrow?.value || arrow.value.kind !== 'Binary' || arrow.value.op !== '->') {
      this.reporter.report('MissingArgument', arrow?.value?.range ?? call.range, ['Projection', 'pre -> post as its first argument']);
      if (arrow?.value) this.typer.type(arrow.value);
    } else {
      pre = this.typer.type(arrow.value.left);
      post = arrow.value.right ? this.typer.type(arrow.value.right) : UNKNOWN;
      this.checkEnd(arrow.value.left, pre, 'pre');
      if (arrow.value.right) this.checkEnd(arrow.value.right, post, 'post');
    }
    // connector
    const conn = positional[1];
    if (!conn?.value) {
      this.reporter.report('MissingArgument', call.range, ['Projection', 'a connector, e.g. AllToAll or FixedProbability(0.1)']);
    } else {
      const t = this.typer.type(conn.value);
      if (t.kind !== 'unknown' && !(t.kind === 'builtin' && t.builtinKind === 'connector')) {
        this.reporter.report('WrongArgumentKind', conn.value.range, ['Projection', 'a connector (AllToAll, OneToOne, FixedProbability, …)', 'the second argument', describeType(t)]);
      }
    }
    for (const extra of positional.slice(2)) {
      if (extra.value?.kind === 'Name' && extra.value.name === 'trainable') continue; // the flag
      this.reporter.report('WrongArgumentCount', extra.range, ['Projection', 'pre -> post, a connector, the flag trainable and named options', 'another positional argument']);
      if (extra.value) this.typer.type(extra.value);
    }
    const postModels = post.kind === 'population' ? post.models : [];
    let weightDim: Dim | undefined;
    let receptor = '';
    const receptorArg = call.args.find((a) => a.name?.name === 'receptor');
    for (const m of postModels) {
      if (m.isSpikeSource || m.ports.size === 0) continue;
      if (receptorArg?.value) {
        const rname = receptorArg.value.kind === 'Name' ? receptorArg.value.name : receptorArg.value.kind === 'String' ? receptorArg.value.value : undefined;
        if (rname === undefined) {
          this.reporter.report('WrongArgumentKind', receptorArg.value.range, ['Projection', 'a receptor name', "'receptor'", 'an expression']);
          continue;
        }
        if (!m.ports.has(rname)) {
          const ports = [...m.ports.keys()].filter((p) => p !== '');
          const hint = didYouMean(rname, ports) ?? (ports.length ? `receptors of ${m.name}: ${ports.join(', ')}` : `${m.name} has a single unnamed input: leave out 'receptor'`);
          this.reporter.report('UnknownReceptor', receptorArg.value.range, [m.name, rname], { hint });
          continue;
        }
        receptor = rname;
      } else {
        receptor = m.ports.has('') ? '' : m.ports.has('excitatory') ? 'excitatory' : m.ports.size === 1 ? [...m.ports.keys()][0]! : '';
        if (!m.ports.has(receptor)) {
          this.reporter.report('MissingArgument', call.range, ['Projection', `a receptor: ${m.name} has ${[...m.ports.keys()].join(', ')}`]);
          continue;
        }
      }
      weightDim = m.ports.get(receptor);
    }
    for (const a of call.args) {
      if (!a.name || !a.value) continue;
      const name = a.name.name;
      switch (name) {
        case 'receptor':
          break;
        case 'weight': {
          const t = this.typer.type(a.value);
          this.checkWeight(a.value, t, weightDim, receptor, postModels);
          break;
        }
        case 'delay':
          this.checkDelay(a.value, this.typer.type(a.value));
          break;
        case 'synapse': {
          const m = this.modelRef(a.value, 'synapse', 'synapse type');
          if (m && a.value.kind === 'Call') {
            for (const sa of a.value.args) {
              if (sa.name?.name === 'weight' && sa.value) this.checkWeight(sa.value, this.typer.type(sa.value), weightDim, receptor, postModels);
              if (sa.name?.name === 'delay' && sa.value) this.checkDelay(sa.value, this.typer.type(sa.value));
            }
          }
          break;
        }
        case 'plasticity':
          this.modelRef(a.value, 'plasticity', 'plasticity rule');
          break;
        case 'trainable': {
          const t = this.typer.type(a.value);
          if (t.kind !== 'bool' && t.kind !== 'unknown') this.reporter.report('WrongArgumentKind', a.value.range, ['Projection', 'true or false', "'trainable'", describeType(t)]);
          break;
        }
        case 'label': {
          const t = this.typer.type(a.value);
          if (t.kind !== 'string' && t.kind !== 'unknown') this.reporter.report('WrongArgumentKind', a.value.range, ['Projection', 'a string', "'label'", describeType(t)]);
          break;
        }
        default: {
          const hint = didYouMean(name, PROJECTION_OPTIONS);
          this.reporter.report('UnknownArgument', a.name.range, ['Projection', name], hint ? { hint } : { hint: `options: ${PROJECTION_OPTIONS.join(', ')}` });
          this.typer.type(a.value);
        }
      }
    }
    return { kind: 'projection' };
  }

  private checkEnd(e: A.Expr, t: Type, side: 'pre' | 'post'): void {
    if (t.kind === 'unknown') return;
    if (t.kind !== 'population') {
      this.reporter.report('NotAPopulation', e.range, [exprText(e)]);
      return;
    }
    for (const m of t.models) {
      if (side === 'pre' && !m.hasSpikeRule && !m.isSpikeSource) this.reporter.report('NeverSpikes', e.range, [exprText(e), `cell type '${m.name}'`]);
      if (side === 'post' && m.isSpikeSource) this.reporter.report('ProjectionOntoSpikeSource', e.range, [exprText(e), `cell type '${m.name}'`]);
      else if (side === 'post' && m.ports.size === 0) this.reporter.report('NoInputHandler', e.range, [`cell type '${m.name}'`]);
    }
  }

  private checkWeight(e: A.Expr, t: Type, want: Dim | undefined, receptor: string, models: ModelInfo[]): void {
    if (t.kind === 'unknown') return;
    if (t.kind !== 'quantity') {
      this.reporter.report('WrongArgumentKind', e.range, ['Projection', 'a number or distribution', "'weight'", describeType(t)]);
      return;
    }
    if (want && t.dim && !dimEquals(want, t.dim)) {
      this.reporter.report('WeightUnitMismatch', e.range, [describeDim(t.dim), receptor || 'input', `cell type '${models[0]?.name ?? '?'}'`, describeDim(want)]);
    }
  }

  private checkDelay(e: A.Expr, t: Type): void {
    if (t.kind === 'unknown') return;
    if (t.kind !== 'quantity') {
      this.reporter.report('WrongArgumentKind', e.range, ['Projection', 'a time', "'delay'", describeType(t)]);
      return;
    }
    if (t.dim && !dimEquals(t.dim, TIME)) {
      this.reporter.report('ParameterUnitMismatch', e.range, ['Projection', describeDim(TIME, true), 'delay', describeDim(t.dim, true)]);
      return;
    }
    if (t.value === undefined) return;
    if (t.value < 0) {
      this.reporter.report('ValueOutOfRange', e.range, ['a delay', 'zero or positive', `${t.value} ms`]);
      return;
    }
    this.warnIfNotMultiple(e.range, t.value, 'DelayNotMultiple');
  }

  private warnIfNotMultiple(range: Range, ms: number, name: 'DelayNotMultiple' | 'RecordIntervalNotMultiple'): void {
    const steps = ms / this.dt;
    if (Math.abs(steps - Math.round(steps)) > 1e-9) {
      const rounded = Math.max(name === 'RecordIntervalNotMultiple' ? 1 : 0, Math.round(steps)) * this.dt;
      this.reporter.report(name, range, [`${ms} ms`, `${this.dt} ms`, `${Number(rounded.toPrecision(12))} ms`]);
    }
  }

  // ----------------------------------------------------------------- record, inject, options
  private record(item: A.Record): void {
    for (const target of item.targets) {
      if (target.kind !== 'Member') {
        const t = this.typer.type(target);
        if (t.kind === 'population') {
          this.reporter.report('MissingArgument', target.range, ['record', `a variable: write ${exprText(target)}.spikes or ${exprText(target)}.v`]);
        } else if (t.kind !== 'unknown') this.reporter.report('NotAPopulation', target.range, [exprText(target)]);
        continue;
      }
      this.typer.type(target);
    }
    if (item.every) {
      const t = this.typer.type(item.every);
      if (t.kind === 'quantity' && t.dim && !dimEquals(t.dim, TIME)) {
        this.reporter.report('ParameterUnitMismatch', item.every.range, ['record', describeDim(TIME, true), 'every', describeDim(t.dim, true)]);
      } else if (t.kind === 'quantity' && t.value !== undefined) {
        if (t.value <= 0) this.reporter.report('ValueOutOfRange', item.every.range, ['a sampling interval', 'positive', `${t.value} ms`]);
        else this.warnIfNotMultiple(item.every.range, t.value, 'RecordIntervalNotMultiple');
      } else if (t.kind !== 'quantity' && t.kind !== 'unknown') {
        this.reporter.report('WrongArgumentKind', item.every.range, ['record', 'a time', "'every'", describeType(t)]);
      }
    }
  }

  private inject(item: A.Inject): void {
    if (item.source) {
      const t = this.typer.type(item.source);
      if (t.kind !== 'unknown' && !(t.kind === 'builtin' && t.builtinKind === 'currentSource')) {
        this.reporter.report('WrongArgumentKind', item.source.range, ['inject', 'a current source (DCSource, ACSource, StepCurrentSource, NoisyCurrentSource)', 'the source', describeType(t)]);
      }
    }
    if (item.target) {
      const t = this.typer.type(item.target);
      if (t.kind !== 'unknown' && t.kind !== 'population') this.reporter.report('NotAPopulation', item.target.range, [exprText(item.target)]);
      if (t.kind === 'population') for (const m of t.models) if (m.isSpikeSource) this.reporter.report('ProjectionOntoSpikeSource', item.target.range, [exprText(item.target), `cell type '${m.name}'`]);
    }
  }

  private entries(block: string, entries: A.Entry[], known: Record<string, string>): void {
    const seen = new Set<string>();
    for (const en of entries) {
      if (seen.has(en.key.name)) this.reporter.report('DuplicateDeclaration', en.key.range, [en.key.name, `${block} block`]);
      seen.add(en.key.name);
      if (!(en.key.name in known)) {
        const hint = didYouMean(en.key.name, Object.keys(known));
        this.reporter.report('UnknownOption', en.key.range, [block, en.key.name], { hint: hint ?? `options: ${Object.keys(known).join(', ')}` });
        if (en.value) this.typeLoose(en.value);
        continue;
      }
      if (!en.value) continue;
      const want = known[en.key.name]!;
      const t = this.typeLoose(en.value);
      if (t.kind === 'unknown') continue;
      if (want === 'int' || want === 'number') {
        const ok = t.kind === 'quantity' && (t.dim === undefined || isDimensionless(t.dim)) && (want !== 'int' || t.value === undefined || (Number.isInteger(t.value) && t.value > 0));
        if (!ok) this.reporter.report('WrongArgumentKind', en.value.range, [block, want === 'int' ? 'a positive whole number' : 'a plain number', `'${en.key.name}'`, describeType(t)]);
      } else if (want === 'bool') {
        if (t.kind !== 'bool') this.reporter.report('WrongArgumentKind', en.value.range, [block, 'true or false', `'${en.key.name}'`, describeType(t)]);
      } else if (want !== 'any') {
        const kinds = want.split('|');
        const ok = (t.kind === 'builtin' && kinds.includes(t.builtinKind)) || (kinds.includes('list') && t.kind === 'list') || (kinds.includes('string') && t.kind === 'string');
        if (!ok) this.reporter.report('WrongArgumentKind', en.value.range, [block, `a ${kinds.join(' or ')}`, `'${en.key.name}'`, describeType(t)]);
      }
    }
  }

  /** Type an expression in an options block: bare names of built-ins are values. */
  private typeLoose(e: A.Expr): Type {
    return this.typer.type(e);
  }
}

const PROJECTION_OPTIONS = ['synapse', 'receptor', 'weight', 'delay', 'plasticity', 'trainable', 'label'];

/** Keys of `train { }` and what each takes (a built-in kind, 'int', 'number', 'bool', 'list' or 'any'). */
const TRAIN_OPTIONS: Record<string, string> = Object.fromEntries(
  [...TRAIN_KEYS].map(([k, p]) => [k, p.unit === '1' ? 'number' : p.unit === 'list' ? `list|${p.items ?? 'any'}` : p.unit]),
);

export function exprText(e: A.Expr): string {
  switch (e.kind) {
    case 'Name': return e.name;
    case 'Number': return e.text;
    case 'String': return JSON.stringify(e.value);
    case 'Member': return `${exprText(e.object)}.${e.member?.name ?? ''}`;
    case 'Index': return `${exprText(e.object)}[…]`;
    case 'Call': return `${exprText(e.callee)}(…)`;
    default: return e.kind === 'Binary' ? `${exprText(e.left)} ${e.op} ${e.right ? exprText(e.right) : ''}` : 'expression';
  }
}

