/**
 * Checking one model (neuron, synapse or plasticity rule): its symbols, structure and units.
 * Produces the ModelInfo the network checker and later the compiler read.
 */
import type * as A from '../../lang/ast.js';
import type { Range } from '../../lang/source.js';
import { DIMENSIONLESS, dimDiv, dimEquals, lookupUnit, type Dim } from '../units.js';
import { type Reporter } from './context.js';
import { ExprTyper, paramDim, type Scope } from './expr.js';
import { BUILTIN_CONSTANTS } from '../builtins.js';
import { describeDim, describeType, quantity, UNKNOWN, type ModelInfo, type Type, type VarInfo } from './types.js';

const TIME: Dim = lookupUnit('ms')!.dim;

const EVENTS: Record<A.ModelKind, string[]> = { neuron: ['input'], synapse: ['pre', 'post'], plasticity: ['pre', 'post'] };

type SymbolKind = 'parameter' | 'state' | 'alias' | 'trace' | 'argument' | 'implicit';

interface Sym {
  kind: SymbolKind;
  name: string;
  range: Range;
  /** Computes the type on first use. */
  resolve: () => Type;
  type?: Type;
  resolving?: boolean;
}

export class ModelChecker {
  readonly info: ModelInfo;
  private readonly syms = new Map<string, Sym>();
  private readonly used = new Set<string>();
  private readonly assigned = new Set<string>();
  private readonly aliasStack: string[] = [];
  /** While typing x's own equation or an assignment to x: x reading itself is not a use. */
  private selfTarget: string | undefined;

  constructor(readonly decl: A.ModelDecl, readonly reporter: Reporter, file: string, fromStdlib: boolean) {
    this.info = {
      name: decl.name?.name ?? '',
      kind: decl.modelKind,
      decl,
      file,
      fromStdlib,
      params: new Map(),
      state: new Map(),
      aliases: new Map(),
      traces: new Map(),
      ports: new Map(),
      hasSpikeRule: false,
      isSpikeSource: false,
    };
  }

  private get kind(): A.ModelKind {
    return this.decl.modelKind;
  }

  check(): ModelInfo {
    const r = this.reporter;
    r.guard('model structure', this.decl.range, () => this.structure());
    r.guard('model declarations', this.decl.range, () => this.declare());
    r.guard('model values', this.decl.range, () => this.typeDeclarations());
    r.guard('input handlers', this.decl.range, () => this.inferPorts());
    r.guard('equations', this.decl.range, () => this.equations());
    r.guard('handlers', this.decl.range, () => this.handlers());
    r.guard('spike rule', this.decl.range, () => this.spikeAndRefractory());
    r.guard('traces and bounds', this.decl.range, () => this.tracesAndBounds());
    if (!this.info.fromStdlib) r.guard('unused declarations', this.decl.range, () => this.unused());
    const d = this.decl;
    this.info.hasSpikeRule = d.members.some((m) => m.kind === 'Spike');
    this.info.isSpikeSource =
      this.kind === 'neuron' && !d.members.some((m) => m.kind === 'Handler' || m.kind === 'Equations' || (m.kind === 'VarBlock' && m.section === 'state'));
    return this.info;
  }

  // ----------------------------------------------------------------- structure
  /** Each section at most once; constructs only in the model kinds they belong to. */
  private structure(): void {
    const seen = new Map<string, A.ModelMember>();
    const what = (m: A.ModelMember): string | undefined => {
      switch (m.kind) {
        case 'VarBlock': return `${m.section} block`;
        case 'Equations': return 'equations block';
        case 'Spike': return 'spike rule';
        case 'Refractory': return 'refractory period';
        case 'Handler': return `'on ${m.event.name}${m.port ? ` ${m.port.name}` : ''}' handler`;
        case 'Bounds': return `bounds on '${m.variable.name}'`;
        case 'Traces': return `'${m.side.name} traces' block`;
      }
    };
    for (const m of this.decl.members) {
      const key = what(m);
      if (key === undefined) continue;
      if (seen.has(key)) this.reporter.report('DuplicateBlock', m.range, [this.kind, key], { related: [{ file: this.reporter.file, range: seen.get(key)!.range, message: 'first one here' }] });
      else seen.set(key, m);
      if ((m.kind === 'Spike' || m.kind === 'Refractory') && this.kind !== 'neuron') {
        this.reporter.report('NotAllowedInModel', m.range, [m.kind === 'Spike' ? 'a spike rule' : 'a refractory period', this.kind]);
      }
      if ((m.kind === 'Traces' || m.kind === 'Bounds') && this.kind !== 'plasticity') {
        this.reporter.report('NotAllowedInModel', m.range, [m.kind === 'Traces' ? 'a traces block' : 'bounds', this.kind]);
      }
      if (m.kind === 'Handler' && !EVENTS[this.kind].includes(m.event.name)) {
        this.reporter.report('UnknownEvent', m.event.range, [this.kind, m.event.name], { hint: `a ${this.kind} handles ${EVENTS[this.kind].map((e) => `'on ${e}'`).join(' and ')}` });
      }
      if (m.kind === 'Handler' && m.port && m.event.name !== 'input') {
        this.reporter.report('UnsupportedOperator', m.port.range, [m.port.name, `only 'on input' handlers name a receptor port`]);
      }
    }
  }

  // ----------------------------------------------------------------- symbols
  private add(kind: SymbolKind, id: A.Ident, resolve: () => Type): void {
    const prev = this.syms.get(id.name);
    if (prev && prev.kind !== 'implicit') {
      this.reporter.report('DuplicateDeclaration', id.range, [id.name, this.kind], { related: [{ file: this.reporter.file, range: prev.range, message: `'${id.name}' is first declared here as a ${prev.kind}` }] });
      return;
    }
    this.syms.set(id.name, { kind, name: id.name, range: id.range, resolve });
  }

  private declare(): void {
    const implicitRange = this.decl.name?.range ?? this.decl.range;
    this.syms.set('t', { kind: 'implicit', name: 't', range: implicitRange, resolve: () => quantity(TIME) });
    if (this.kind !== 'neuron') this.syms.set('w', { kind: 'implicit', name: 'w', range: implicitRange, resolve: () => quantity(undefined) });
    for (const m of this.decl.members) {
      if (m.kind === 'VarBlock') {
        for (const d of m.decls) {
          const kind = m.section === 'parameters' ? 'parameter' : 'state';
          this.add(kind, d.name, () => this.declType(d, kind));
        }
      } else if (m.kind === 'Equations') {
        for (const it of m.items) if (it.kind === 'Alias') this.add('alias', it.name, () => this.aliasType(it));
      } else if (m.kind === 'Traces') {
        for (const tr of m.traces) this.add('trace', tr.name, () => quantity(DIMENSIONLESS));
      }
    }
  }

  private scope(extra?: Map<string, Type>): Scope {
    return {
      lookup: (name) => {
        const x = extra?.get(name);
        if (x) {
          this.used.add(`arg:${name}`);
          return x;
        }
        const s = this.syms.get(name);
        if (s && name === this.selfTarget) return this.typeOfSym(s);
        if (!s) {
          const c = BUILTIN_CONSTANTS.get(name);
          return c ? quantity(paramDim(c.unit), c.value) : undefined;
        }
        this.used.add(name);
        return this.typeOfSym(s);
      },
      names: () => [...this.syms.keys(), ...(extra?.keys() ?? [])],
    };
  }

  private typeOfSym(s: Sym): Type {
    if (s.type) return s.type;
    if (s.resolving) return UNKNOWN; // a cycle: reported by whoever detects it (aliases), else harmless
    s.resolving = true;
    s.type = s.resolve();
    s.resolving = false;
    return s.type;
  }

  private typer(extra?: Map<string, Type>): ExprTyper {
    return new ExprTyper(this.scope(extra), this.reporter, {
      where: this.kind,
      call: (call, callee, typer) => {
        if (callee !== 'deliver') return undefined;
        if (this.kind !== 'synapse') {
          this.reporter.report('UnsupportedOperator', call.callee.range, ['deliver', 'only synapse models deliver to a receptor']);
        }
        for (const a of call.args) if (a.value) typer.type(a.value);
        return quantity(undefined);
      },
    });
  }

  /** A parameter's default or a state variable's initial value fixes its dimension. */
  private declType(d: A.VarDecl, kind: 'parameter' | 'state'): Type {
    if (!d.value) return UNKNOWN;
    const t = this.typer().type(d.value);
    const nonConstant = kind === 'parameter' ? this.readsNonConstant(d.value) : undefined;
    if (nonConstant) this.reporter.report('NotConstant', d.value.range, [`the default of parameter '${d.name.name}'`, nonConstant]);
    if (t.kind === 'quantity') {
      // A bare literal (0) declares a dimensionless variable.
      const dim = t.dim ?? DIMENSIONLESS;
      const info: VarInfo = { name: d.name.name, range: d.name.range, dim };
      if (t.value !== undefined) info.value = t.value;
      (kind === 'parameter' ? this.info.params : this.info.state).set(d.name.name, info);
      return quantity(dim, kind === 'parameter' ? t.value : undefined);
    }
    if (t.kind !== 'unknown') this.reporter.report('WrongArgumentKind', d.value.range, [this.info.name, 'a number', `'${d.name.name}'`, describeType(t)]);
    (kind === 'parameter' ? this.info.params : this.info.state).set(d.name.name, { name: d.name.name, range: d.name.range });
    return UNKNOWN;
  }

  /** The first state variable, alias, trace or `t` an expression reads, if any. */
  private readsNonConstant(e: A.Expr): string | undefined {
    let found: string | undefined;
    walkNames(e, (n) => {
      const s = this.syms.get(n.name);
      if (!found && s && (s.kind === 'state' || s.kind === 'alias' || s.kind === 'trace' || (s.kind === 'implicit' && n.name === 't'))) found = `${s.kind === 'implicit' ? 'the time' : `${s.kind} variable`} '${n.name}'`;
    });
    return found;
  }

  private aliasType(a: A.Alias): Type {
    if (!a.value) return UNKNOWN;
    if (this.aliasStack.includes(a.name.name)) return UNKNOWN;
    this.aliasStack.push(a.name.name);
    const cycle = this.aliasCycle(a.name.name, a.value, [a.name.name]);
    if (cycle) {
      this.reporter.report('CyclicAlias', a.name.range, [a.name.name, cycle.join(' -> ')]);
      walkNames(a.value, (n) => this.used.add(n.name));
      this.aliasStack.pop();
      this.info.aliases.set(a.name.name, { name: a.name.name, range: a.name.range });
      return UNKNOWN;
    }
    const t = this.typer().type(a.value);
    this.aliasStack.pop();
    this.info.aliases.set(a.name.name, { name: a.name.name, range: a.name.range, dim: t.kind === 'quantity' ? t.dim : undefined });
    return t.kind === 'quantity' ? quantity(t.dim) : t;
  }

  private aliasCycle(root: string, e: A.Expr, path: string[]): string[] | undefined {
    let found: string[] | undefined;
    walkNames(e, (n) => {
      if (found) return;
      const s = this.syms.get(n.name);
      if (!s || s.kind !== 'alias') return;
      if (n.name === root) {
        found = [...path, n.name];
        return;
      }
      if (path.includes(n.name)) return;
      const def = this.aliasDecl(n.name);
      if (def?.value) found = this.aliasCycle(root, def.value, [...path, n.name]);
    });
    return found;
  }

  private aliasDecl(name: string): A.Alias | undefined {
    for (const m of this.decl.members) if (m.kind === 'Equations') for (const it of m.items) if (it.kind === 'Alias' && it.name.name === name) return it;
    return undefined;
  }

  private typeDeclarations(): void {
    for (const s of this.syms.values()) if (s.kind !== 'implicit') this.typeOfSym(s);
    for (const tr of this.decl.members.flatMap((m) => (m.kind === 'Traces' ? m.traces : []))) {
      this.info.traces.set(tr.name.name, { name: tr.name.name, range: tr.name.range, dim: DIMENSIONLESS });
    }
  }

  // ----------------------------------------------------------------- ports
  /**
   * The dimension of each input port's weight, inferred from what the handler adds it to:
   * `isyn_exc += w` makes w a current; `g += w * k` makes it dim(g) / dim(k).
   */
  private inferPorts(): void {
    for (const h of this.handlerList()) {
      if (h.event.name !== 'input' || this.kind !== 'neuron') continue;
      const port = h.port?.name ?? '';
      const p = h.params[0];
      this.info.ports.set(port, p ? this.inferArgDim(p.name, h.body) : undefined);
    }
  }

  private inferArgDim(arg: string, body: A.Stmt[]): Dim | undefined {
    for (const st of body) {
      if (st.kind !== 'Assign' || !st.value || (st.op !== '+=' && st.op !== '-=' && st.op !== '=')) continue;
      const target = this.syms.get(st.target.name);
      if (!target) continue;
      const tt = this.typeOfSym(target);
      if (tt.kind !== 'quantity' || tt.dim === undefined) continue;
      const dim = this.solveFor(arg, st.value, tt.dim);
      if (dim) return dim;
    }
    return undefined;
  }

  /** The dimension `arg` must have for `e` to have dimension `want`, for e = arg, arg*k, k*arg, arg/k. */
  private solveFor(arg: string, e: A.Expr, want: Dim): Dim | undefined {
    if (e.kind === 'Name' && e.name === arg) return want;
    if (e.kind === 'Unary' && e.operand) return this.solveFor(arg, e.operand, want);
    if (e.kind !== 'Binary' || !e.right) return undefined;
    const quiet = (x: A.Expr): Dim | undefined => {
      if (mentions(x, arg)) return undefined;
      const t = this.typer().type(x);
      return t.kind === 'quantity' ? t.dim ?? DIMENSIONLESS : undefined;
    };
    if (e.op === '*') {
      const kr = quiet(e.right);
      if (kr) return this.solveFor(arg, e.left, dimDiv(want, kr));
      const kl = quiet(e.left);
      if (kl) return this.solveFor(arg, e.right, dimDiv(want, kl));
    }
    if (e.op === '/') {
      const kr = quiet(e.right);
      if (kr) return this.solveFor(arg, e.left, dimMulSafe(want, kr));
    }
    return undefined;
  }

  private handlerList(): A.Handler[] {
    return this.decl.members.filter((m): m is A.Handler => m.kind === 'Handler');
  }

  // ----------------------------------------------------------------- equations
  /** x' = f: x is a state variable, first order, one equation each, and f is in unit(x)/time. */
  private equations(): void {
    const seen = new Map<string, A.Ode>();
    for (const m of this.decl.members) {
      if (m.kind !== 'Equations') continue;
      for (const it of m.items) {
        if (it.kind !== 'Ode') continue;
        const name = it.target.name;
        const sym = this.syms.get(name);
        this.selfTarget = name;
        const rhsType = it.rhs ? this.typer().type(it.rhs) : UNKNOWN;
        this.selfTarget = undefined;
        if (it.order > 1) {
          this.reporter.report('HigherOrderOde', it.target.range, [`${name}${"'".repeat(it.order)}`, it.order]);
          continue;
        }
        if (!sym || sym.kind !== 'state') {
          this.reporter.report('OdeTargetNotState', it.target.range, [name]);
          continue;
        }
        this.assigned.add(name);
        if (seen.has(name)) {
          this.reporter.report('DuplicateEquation', it.target.range, [name], { related: [{ file: this.reporter.file, range: seen.get(name)!.range, message: 'first equation here' }] });
          continue;
        }
        seen.set(name, it);
        const st = this.typeOfSym(sym);
        if (rhsType.kind === 'quantity' && st.kind === 'quantity' && st.dim && rhsType.dim && it.rhs) {
          const want = dimDiv(st.dim, TIME);
          if (!dimEquals(want, rhsType.dim)) {
            this.reporter.report('OdeUnitMismatch', it.rhs.range, [name, inUnit(rhsType.dim), inUnit(want), inUnit(st.dim)]);
          }
        } else if (rhsType.kind !== 'quantity' && rhsType.kind !== 'unknown' && it.rhs) {
          this.reporter.report('WrongArgumentKind', it.rhs.range, [`${name}'`, 'a number', 'its right-hand side', describeType(rhsType)]);
        }
      }
    }
  }

  // ----------------------------------------------------------------- handlers
  private handlers(): void {
    for (const h of this.handlerList()) {
      const args = new Map<string, Type>();
      const port = this.info.ports.get(h.port?.name ?? '');
      h.params.forEach((p, i) => args.set(p.name, quantity(i === 0 && h.event.name === 'input' ? port : undefined)));
      this.statements(h.body, args);
      if (!this.info.fromStdlib) {
        for (const p of h.params) {
          if (!h.body.some((st) => mentionsStmt(st, p.name))) this.reporter.report('UnusedHandlerArgument', p.range, [p.name, h.event.name]);
        }
      }
    }
  }

  /** Assignments change state variables (or the weight w) and keep their dimension. */
  private statements(body: A.Stmt[], args?: Map<string, Type>): void {
    const typer = this.typer(args);
    for (const st of body) {
      if (st.kind === 'ExprStmt') {
        const t = typer.type(st.expr);
        if (st.expr.kind !== 'Call' && t.kind !== 'unknown') {
          this.reporter.report('UnsupportedOperator', st.range, ['expression', 'a statement is an assignment (x = …, x += …) or a call such as deliver(…)']);
        }
        continue;
      }
      const name = st.target.name;
      this.selfTarget = name;
      const valueType = st.value ? typer.type(st.value) : UNKNOWN;
      this.selfTarget = undefined;
      if (args?.has(name)) {
        this.reporter.report('UnsupportedOperator', st.target.range, [st.op, `'${name}' is a handler argument and cannot be assigned`]);
        continue;
      }
      const sym = this.syms.get(name);
      if (!sym) {
        if (lookupUnit(name) !== undefined) this.reporter.report('UnitUsedAsName', st.target.range, [name]);
        else this.reporter.report('UnknownName', st.target.range, [name], { hint: `declare it in state { ${name} = … }` });
        continue;
      }
      if (sym.kind === 'parameter') {
        this.reporter.report('AssignToParameter', st.target.range, [name]);
        continue;
      }
      if (sym.kind === 'alias' || sym.kind === 'trace' || (sym.kind === 'implicit' && name === 't')) {
        this.reporter.report('UnsupportedOperator', st.target.range, [st.op, `'${name}' is ${sym.kind === 'implicit' ? 'the time' : `a ${sym.kind}`} and cannot be assigned`]);
        continue;
      }
      this.assigned.add(name);
      const tt = this.typeOfSym(sym);
      if (valueType.kind === 'unknown' || tt.kind !== 'quantity' || tt.dim === undefined) continue;
      if (valueType.kind !== 'quantity') {
        this.reporter.report('AssignmentUnitMismatch', st.value!.range, [name, describeType(valueType), describeDim(tt.dim)]);
        continue;
      }
      if (valueType.dim === undefined) continue;
      const want = st.op === '*=' || st.op === '/=' ? DIMENSIONLESS : tt.dim;
      if (!dimEquals(want, valueType.dim)) {
        this.reporter.report('AssignmentUnitMismatch', st.value!.range, [name, describeDim(valueType.dim), describeDim(want)]);
      }
    }
  }

  // ----------------------------------------------------------------- spikes
  private spikeAndRefractory(): void {
    let spike: A.SpikeRule | undefined;
    for (const m of this.decl.members) {
      if (m.kind === 'Spike') {
        spike = m;
        if (m.condition) {
          const typer = this.typer();
          typer.condition(typer.type(m.condition), m.condition, 'spike condition');
        }
        if (m.reset) this.statements(m.reset);
      }
    }
    for (const m of this.decl.members) {
      if (m.kind !== 'Refractory' || !m.period) continue;
      const t = this.typer().type(m.period);
      this.expectTime(t, m.period, 'the refractory period');
      if (!spike && this.kind === 'neuron') this.reporter.report('RefractoryWithoutSpike', m.range);
    }
  }

  private expectTime(t: Type, e: A.Expr, what: string): void {
    if (t.kind === 'unknown') return;
    if (t.kind !== 'quantity') {
      this.reporter.report('WrongArgumentKind', e.range, [this.info.name, 'a time', what, describeType(t)]);
      return;
    }
    if (t.dim !== undefined && !dimEquals(t.dim, TIME)) {
      this.reporter.report('ParameterUnitMismatch', e.range, [this.info.name, describeDim(TIME, true), what, describeDim(t.dim, true)]);
    } else if (t.value !== undefined && t.value < 0) {
      this.reporter.report('ValueOutOfRange', e.range, [what, 'zero or positive', `${t.value} ms`]);
    }
  }

  // ----------------------------------------------------------------- plasticity
  private tracesAndBounds(): void {
    for (const m of this.decl.members) {
      if (m.kind === 'Traces') {
        if (m.side.name !== 'pre' && m.side.name !== 'post') this.reporter.report('InvalidTraceSide', m.side.range, [m.side.name]);
        for (const tr of m.traces) if (tr.tau) this.expectTime(this.typer().type(tr.tau), tr.tau, `the time constant of trace '${tr.name.name}'`);
      }
      if (m.kind === 'Bounds') {
        if (m.variable.name !== 'w') this.reporter.report('BoundsOnUnknown', m.variable.range, [m.variable.name]);
        const typer = this.typer();
        const lo = m.lower ? typer.type(m.lower) : UNKNOWN;
        const hi = m.upper ? typer.type(m.upper) : UNKNOWN;
        if (lo.kind === 'quantity' && hi.kind === 'quantity') {
          if (lo.dim && hi.dim && !dimEquals(lo.dim, hi.dim)) {
            this.reporter.report('IncompatibleUnits', m.range, ['compare', describeDim(lo.dim), describeDim(hi.dim)]);
          } else if (lo.value !== undefined && hi.value !== undefined && lo.value > hi.value) {
            this.reporter.report('EmptyBounds', m.range, [m.variable.name, String(lo.value), String(hi.value)]);
          }
        }
      }
    }
  }

  // ----------------------------------------------------------------- unused
  private unused(): void {
    // A neuron's first state variable is its output (the membrane, read by recordings and
    // readouts), so reading only itself is not suspicious there.
    const output = this.kind === 'neuron' ? [...this.syms.values()].find((s) => s.kind === 'state')?.name : undefined;
    for (const s of this.syms.values()) {
      if (s.kind === 'parameter' && !this.used.has(s.name)) this.reporter.report('UnusedParameter', s.range, [s.name]);
      if (s.kind === 'alias' && !this.used.has(s.name)) this.reporter.report('UnusedAlias', s.range, [s.name]);
      if (s.kind === 'state') {
        if (!this.assigned.has(s.name)) this.reporter.report('StateWithoutDynamics', s.range, [s.name]);
        else if (!this.used.has(s.name) && s.name !== output) this.reporter.report('UnusedState', s.range, [s.name]);
      }
    }
  }
}

/** 'in mV' or 'a plain number', for sentences. */
function inUnit(d: Dim): string {
  const s = describeDim(d);
  return s === 'a plain number' ? s : `in ${s}`;
}

function dimMulSafe(a: Dim, b: Dim): Dim {
  return a.map((x, i) => x + b[i]!);
}

/** Calls `fn` for every name an expression reads. */
export function walkNames(e: A.Expr | A.Slice | undefined, fn: (n: A.Name) => void): void {
  if (!e) return;
  switch (e.kind) {
    case 'Name': fn(e); return;
    case 'Unary': walkNames(e.operand, fn); return;
    case 'Binary': walkNames(e.left, fn); walkNames(e.right, fn); return;
    case 'Call': walkNames(e.callee, fn); for (const a of e.args) walkNames(a.value, fn); return;
    case 'Member': walkNames(e.object, fn); return;
    case 'Index': walkNames(e.object, fn); walkNames(e.index, fn); return;
    case 'Slice': walkNames(e.start, fn); walkNames(e.end, fn); walkNames(e.step, fn); return;
    case 'List': for (const i of e.items) walkNames(i, fn); return;
    case 'Object': for (const en of e.entries) walkNames(en.value, fn); return;
    default: return;
  }
}

function mentions(e: A.Expr, name: string): boolean {
  let found = false;
  walkNames(e, (n) => { if (n.name === name) found = true; });
  return found;
}

function mentionsStmt(st: A.Stmt, name: string): boolean {
  if (st.kind === 'ExprStmt') return mentions(st.expr, name);
  return st.value !== undefined && mentions(st.value, name);
}
