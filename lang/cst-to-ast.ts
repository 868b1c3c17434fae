/**
 * CST → AST. The only code that knows the concrete syntax tree's shape. Nodes the parser
 * re-synchronised (`recoveredNode`) become AST nodes marked `recovered`, possibly missing children.
 */
import type { CstElement, CstNode, IToken } from 'chevrotain';
import type * as A from './ast.js';
import { BINARY_PRECEDENCE as A_BINARY_PRECEDENCE, UNARY_PRECEDENCE as A_UNARY_PRECEDENCE } from './ast.js';
import type { Range, SourceFile } from './source.js';
import { makeDiagnostic, type Diagnostic } from './diagnostics.js';

type Children = Record<string, CstElement[] | undefined>;

/** The empty result of nodes() and tokens(), shared (never mutated) to spare allocations. */
const NONE: never[] = [];

function isToken(e: CstElement): e is IToken {
  return (e as IToken).image !== undefined;
}

export class CstToAst {
  readonly diagnostics: Diagnostic[] = [];

  constructor(private readonly src: SourceFile) {}

  // ------------------------------------------------------------- helpers
  private nodes(c: Children, key: string): CstNode[] {
    const list = c[key];
    return list === undefined ? NONE : list.filter((e): e is CstNode => !isToken(e));
  }

  private node(c: Children, key: string): CstNode | undefined {
    for (const e of c[key] ?? []) if (!isToken(e)) return e;
    return undefined;
  }

  private tokens(c: Children, key: string): IToken[] {
    const list = c[key];
    return list === undefined ? NONE : list.filter((e): e is IToken => isToken(e) && !e.isInsertedInRecovery && !Number.isNaN(e.startOffset));
  }

  private token(c: Children, key: string): IToken | undefined {
    for (const e of c[key] ?? []) if (isToken(e) && !e.isInsertedInRecovery && !Number.isNaN(e.startOffset)) return e;
    return undefined;
  }

  tokenRange(t: IToken): Range {
    return this.src.rangeOf(t.startOffset, (t.endOffset ?? t.startOffset) + 1);
  }

  private range(n: CstNode): Range {
    const loc = n.location;
    if (!loc || Number.isNaN(loc.startOffset)) {
      // A recovered node without a location: point at the first token we can find inside it.
      const first = firstToken(n);
      return first ? this.tokenRange(first) : this.src.rangeOf(this.src.text.length, this.src.text.length);
    }
    const end = loc.endOffset === undefined || Number.isNaN(loc.endOffset) ? loc.startOffset : loc.endOffset + 1;
    return this.src.rangeOf(loc.startOffset, end);
  }

  private base(n: CstNode): { range: Range; recovered?: boolean } {
    return n.recoveredNode ? { range: this.range(n), recovered: true } : { range: this.range(n) };
  }

  private ident(t: IToken): A.Ident {
    return { kind: 'Ident', name: t.image, range: this.tokenRange(t) };
  }

  private identOf(c: Children, key: string): A.Ident | undefined {
    const t = this.token(c, key);
    return t ? this.ident(t) : undefined;
  }

  // ------------------------------------------------------------- top level
  document(n: CstNode, comments: IToken[]): A.Document {
    const c = n.children;
    const items: A.TopItem[] = [];
    const all = [
      ...this.nodes(c, 'useDecl').map((u) => this.useDecl(u)),
      ...this.nodes(c, 'modelDecl').map((m) => this.modelDecl(m)),
      ...this.nodes(c, 'networkDecl').map((m) => this.networkDecl(m)),
    ].filter((x): x is A.TopItem => x !== undefined);
    items.push(...all.sort((a, b) => a.range.start.offset - b.range.start.offset));
    return documentNode(this.src, items, comments);
  }

  private useDecl(n: CstNode): A.UseDecl | undefined {
    const c = n.children;
    const path = this.token(c, 'path') ?? this.token(c, 'fromPath');
    const names = this.nodes(c, 'names').map((q) => this.qualified(q));
    const fromModule = this.node(c, 'fromModule');
    let source: A.UseDecl['source'];
    let selected: A.Ident[] = [];
    if (path) {
      source = { kind: 'path', path: unquote(path.image), range: this.tokenRange(path) };
      selected = names.flatMap((q) => q.parts);
    } else if (fromModule) {
      const q = this.qualified(fromModule);
      source = { kind: 'module', parts: q.parts, range: q.range };
      selected = names.flatMap((q2) => q2.parts);
    } else if (names.length > 0) {
      source = { kind: 'module', parts: names[0].parts, range: names[0].range };
    } else {
      return undefined;
    }
    return { kind: 'Use', source, names: selected, ...this.base(n) };
  }

  private qualified(n: CstNode): { parts: A.Ident[]; range: Range } {
    return { parts: this.tokens(n.children, 'parts').map((t) => this.ident(t)), range: this.range(n) };
  }

  // ------------------------------------------------------------- models
  private modelDecl(n: CstNode): A.ModelDecl {
    const c = n.children;
    const kindTok = this.token(c, 'modelKind');
    const members: A.ModelMember[] = [
      ...this.nodes(c, 'varBlock').map((x) => this.varBlock(x)),
      ...this.nodes(c, 'equationsBlock').map((x) => this.equationsBlock(x)),
      ...this.nodes(c, 'handler').map((x) => this.handler(x)),
      ...this.nodes(c, 'spikeRule').map((x) => this.spikeRule(x)),
      ...this.nodes(c, 'refractory').map((x) => this.refractory(x)),
      ...this.nodes(c, 'tracesBlock').map((x) => this.tracesBlock(x)),
      ...this.nodes(c, 'boundsDecl').map((x) => this.boundsDecl(x)),
    ].filter((m): m is A.ModelMember => m !== undefined);
    members.sort((a, b) => a.range.start.offset - b.range.start.offset);
    const modelKind = (kindTok?.image ?? 'neuron') as A.ModelKind;
    const m: A.ModelDecl = { kind: 'Model', modelKind, members, ...this.base(n) };
    const name = this.identOf(c, 'name');
    if (name) m.name = name;
    return m;
  }

  private varBlock(n: CstNode): A.VarBlock {
    const c = n.children;
    const section = (this.token(c, 'section')?.image ?? 'parameters') as A.VarBlock['section'];
    const decls = this.nodes(c, 'varDecl').flatMap((d) => {
      const name = this.identOf(d.children, 'name');
      if (!name) return [];
      const decl: A.VarDecl = { kind: 'VarDecl', name, ...this.base(d) };
      const v = this.node(d.children, 'value');
      if (v) decl.value = this.expression(v);
      return [decl];
    });
    return { kind: 'VarBlock', section, decls, ...this.base(n) };
  }

  private equationsBlock(n: CstNode): A.EquationsBlock {
    const items = this.nodes(n.children, 'equation').flatMap((e): (A.Ode | A.Alias)[] => {
      const c = e.children;
      const name = this.identOf(c, 'name');
      if (!name) return [];
      const v = this.node(c, 'value');
      const value = v ? this.expression(v) : undefined;
      const order = this.tokens(c, 'Prime').length;
      if (order > 0) {
        const ode: A.Ode = { kind: 'Ode', target: name, order, ...this.base(e) };
        if (value) ode.rhs = value;
        return [ode];
      }
      const alias: A.Alias = { kind: 'Alias', name, ...this.base(e) };
      if (value) alias.value = value;
      return [alias];
    });
    return { kind: 'Equations', items, ...this.base(n) };
  }

  private handler(n: CstNode): A.Handler | undefined {
    const c = n.children;
    const event = this.identOf(c, 'event');
    if (!event) return undefined;
    const h: A.Handler = {
      kind: 'Handler',
      event,
      params: this.tokens(c, 'params').map((t) => this.ident(t)),
      body: this.block(this.node(c, 'block')),
      ...this.base(n),
    };
    const port = this.identOf(c, 'port');
    if (port) h.port = port;
    return h;
  }

  private spikeRule(n: CstNode): A.SpikeRule {
    const c = n.children;
    const s: A.SpikeRule = { kind: 'Spike', ...this.base(n) };
    const cond = this.node(c, 'condition');
    if (cond) s.condition = this.expression(cond);
    const reset = this.node(c, 'reset');
    if (reset) {
      s.reset = this.block(reset);
      s.resetRange = this.range(reset);
    }
    return s;
  }

  private refractory(n: CstNode): A.Refractory {
    const r: A.Refractory = { kind: 'Refractory', ...this.base(n) };
    const p = this.node(n.children, 'period');
    if (p) r.period = this.expression(p);
    return r;
  }

  private tracesBlock(n: CstNode): A.TracesBlock | undefined {
    const c = n.children;
    const side = this.identOf(c, 'side');
    if (!side) return undefined;
    const traces = this.nodes(c, 'traceDecl').flatMap((d): A.TraceDecl[] => {
      const name = this.identOf(d.children, 'name');
      if (!name) return [];
      const t: A.TraceDecl = { kind: 'Trace', name, ...this.base(d) };
      const tau = this.node(d.children, 'tau');
      if (tau) t.tau = this.expression(tau);
      return [t];
    });
    return { kind: 'Traces', side, traces, ...this.base(n) };
  }

  private boundsDecl(n: CstNode): A.Bounds | undefined {
    const c = n.children;
    const variable = this.identOf(c, 'variable');
    if (!variable) return undefined;
    const b: A.Bounds = { kind: 'Bounds', variable, ...this.base(n) };
    const lo = this.node(c, 'lower');
    const hi = this.node(c, 'upper');
    if (lo) b.lower = this.expression(lo);
    if (hi) b.upper = this.expression(hi);
    return b;
  }

  private block(n: CstNode | undefined): A.Stmt[] {
    if (!n) return [];
    return this.nodes(n.children, 'statement').flatMap((s): A.Stmt[] => {
      const c = s.children;
      const target = this.identOf(c, 'target');
      if (target) {
        const op = (this.token(c, 'op')?.image ?? '=') as A.AssignOp;
        const a: A.Assign = { kind: 'Assign', target, op, ...this.base(s) };
        const v = this.node(c, 'value');
        if (v) a.value = this.expression(v);
        return [a];
      }
      const e = this.node(c, 'expr');
      return e ? [{ kind: 'ExprStmt', expr: this.expression(e), ...this.base(s) }] : [];
    });
  }

  // ------------------------------------------------------------- networks
  private networkDecl(n: CstNode): A.NetworkDecl {
    const c = n.children;
    const items: A.NetItem[] = [
      ...this.nodes(c, 'binding').flatMap((b): A.NetItem[] => {
        const name = this.identOf(b.children, 'name');
        if (!name) return [];
        const item: A.Binding = { kind: 'Binding', name, ...this.base(b) };
        const v = this.node(b.children, 'value');
        const s = this.node(b.children, 'source');
        if (v) item.value = this.expression(v);
        if (s) item.source = this.expression(s);
        return [item];
      }),
      ...this.nodes(c, 'exprStmt').map((e): A.ExprStmt => ({ kind: 'ExprStmt', expr: this.expression(e), ...this.base(e) })),
      ...this.nodes(c, 'recordStmt').map((r): A.Record => {
        const rec: A.Record = { kind: 'Record', targets: this.nodes(r.children, 'targets').map((t) => this.expression(t)), ...this.base(r) };
        const every = this.node(r.children, 'every');
        if (every) rec.every = this.expression(every);
        return rec;
      }),
      ...this.nodes(c, 'injectStmt').map((r): A.Inject => {
        const inj: A.Inject = { kind: 'Inject', ...this.base(r) };
        const s = this.node(r.children, 'source');
        const t = this.node(r.children, 'target');
        if (s) inj.source = this.expression(s);
        if (t) inj.target = this.expression(t);
        return inj;
      }),
      ...this.nodes(c, 'trainBlock').map((t): A.TrainBlock => ({
        kind: 'Train',
        entries: this.entries(this.node(t.children, 'entryBlock')),
        ...this.base(t),
      })),
      ...this.nodes(c, 'targetBlock').map((t): A.TargetBlock => {
        const tb: A.TargetBlock = { kind: 'Target', entries: this.entries(this.node(t.children, 'entryBlock')), ...this.base(t) };
        const name = this.identOf(t.children, 'name');
        if (name) tb.name = name;
        return tb;
      }),
    ];
    items.sort((a, b) => a.range.start.offset - b.range.start.offset);
    const net: A.NetworkDecl = { kind: 'Network', items, ...this.base(n) };
    const name = this.identOf(c, 'name');
    if (name) net.name = name;
    return net;
  }

  private entries(n: CstNode | undefined): A.Entry[] {
    if (!n) return [];
    return this.nodes(n.children, 'entry').flatMap((e) => this.entry(e));
  }

  private entry(e: CstNode): A.Entry[] {
    const key = this.identOf(e.children, 'key');
    if (!key) return [];
    const en: A.Entry = { kind: 'Entry', key, ...this.base(e) };
    const v = this.node(e.children, 'value');
    if (v) en.value = this.expression(v);
    return [en];
  }

  // ------------------------------------------------------------- expressions
  /**
   * The flat `expression` rule to a tree. The CST keeps each kind of piece (prefix operators,
   * primaries, suffixes, binary operators) in its own list; source offsets give the order back,
   * suffixes attach to the primary before them, and precedence climbing over BINARY_PRECEDENCE and
   * UNARY_PRECEDENCE (lang/ast.ts) builds the tree.
   */
  expression(n: CstNode): A.Expr {
    const c = n.children;
    // The common case, one operand and no operator: no sorting, no precedence climbing.
    if (c.ops === undefined && c.prefix === undefined) {
      let acc = this.primary(n);
      for (const s of this.nodes(c, 'suffixes')) acc = this.suffix(acc, s);
      return acc;
    }
    const pieces: Piece[] = [];
    for (const t of this.tokens(c, 'prefix')) pieces.push({ at: t.startOffset, prefix: t });
    for (const t of this.tokens(c, 'ops')) pieces.push({ at: t.startOffset, op: t });
    for (const s of this.nodes(c, 'suffixes')) pieces.push({ at: startOf(s), suffix: s });
    for (const q of this.nodes(c, 'quantity')) pieces.push({ at: startOf(q), atom: () => this.quantity(q) });
    for (const key of ['Identifier', 'StringLiteral', 'True', 'False']) {
      for (const t of this.tokens(c, key)) pieces.push({ at: t.startOffset, atom: () => this.tokenAtom(t) });
    }
    for (const l of this.nodes(c, 'listLiteral')) pieces.push({ at: startOf(l), atom: () => this.listLiteral(l) });
    for (const o of this.nodes(c, 'objectLiteral')) pieces.push({ at: startOf(o), atom: () => this.objectLiteral(o) });
    const opens = this.tokens(c, 'LParen');
    const closes = this.tokens(c, 'RParen');
    for (const inner of this.nodes(c, 'parenthesized')) {
      const at = startOf(inner);
      // The group's own parentheses: the nearest "(" before the inner expression, ")" after it.
      const open = opens.filter((t) => t.startOffset < at).pop();
      const close = closes.find((t) => t.startOffset > (inner.location?.endOffset ?? at));
      pieces.push({ at: open?.startOffset ?? at, atom: () => this.parenthesized(inner, open, close) });
    }
    pieces.sort((x, y) => x.at - y.at);
    const items: ClimbItem[] = [];
    for (const p of pieces) {
      if (p.suffix) {
        const last = items[items.length - 1];
        if (last?.expr) last.expr = this.suffix(last.expr, p.suffix);
        else items.push({ expr: this.suffix(this.missing(n), p.suffix) });
      } else if (p.atom) {
        items.push({ expr: p.atom() });
      } else {
        items.push(p.prefix ? { prefix: p.prefix } : { op: p.op });
      }
    }
    if (items.length === 0) return this.missing(n);
    const e = new PrecedenceClimber(this, items, n).parse(0);
    return n.recoveredNode && (e.kind === 'Binary' || e.kind === 'Unary') ? { ...e, recovered: true } : e;
  }

  /** `a < b < c` and `a -> b -> c`: these operators do not chain. */
  nonAssociative(op: IToken): void {
    this.diagnostics.push(makeDiagnostic('ChainedOperator', this.src.path, this.tokenRange(op), [op.image]));
  }

  binary(op: A.BinaryOp, left: A.Expr, right: A.Expr): A.Binary {
    return { kind: 'Binary', op, left, right, range: { start: left.range.start, end: right.range.end } };
  }

  unary(op: IToken, operand: A.Expr): A.Unary {
    return { kind: 'Unary', op: op.image as A.UnaryOp, operand, range: { start: this.tokenRange(op).start, end: operand.range.end } };
  }

  /** Where an operand is missing (only after a syntax error): an empty range just after `t`. */
  missingAfter(t: IToken): A.Name {
    const end = (t.endOffset ?? t.startOffset) + 1;
    return { kind: 'Name', name: '', range: this.src.rangeOf(end, end), recovered: true };
  }

  /** A placeholder for an expression the parser could not build (only after a syntax error). */
  missing(n: CstNode): A.Name {
    return { kind: 'Name', name: '', range: this.range(n), recovered: true };
  }

  /** `acc(…)`, `acc.name` or `acc[…]`. */
  private suffix(acc: A.Expr, s: CstNode): A.Expr {
    const sr = this.range(s);
    const range = { start: acc.range.start, end: sr.end };
    const rec = s.recoveredNode ? { recovered: true } : {};
    const sc = s.children;
    if (s.name === 'callSuffix') return { kind: 'Call', callee: acc, args: this.args(sc), range, ...rec };
    if (s.name === 'memberSuffix') {
      const m: A.Member = { kind: 'Member', object: acc, range, ...rec };
      const member = this.identOf(sc, 'member');
      if (member) m.member = member;
      return m;
    }
    const start = this.node(sc, 'start');
    const ix: A.Index = { kind: 'Index', object: acc, range, ...rec };
    if (this.token(sc, 'colons')) {
      const slice: A.Slice = { kind: 'Slice', range: sr };
      const end = this.node(sc, 'end');
      const step = this.node(sc, 'step');
      if (start) slice.start = this.expression(start);
      if (end) slice.end = this.expression(end);
      if (step) slice.step = this.expression(step);
      ix.index = slice;
    } else if (start) {
      ix.index = this.expression(start);
    }
    return ix;
  }

  /** Call arguments; a name belongs to the argument value that follows it. */
  private args(c: Children): A.Arg[] {
    const names = this.tokens(c, 'argNames');
    let j = 0;
    return this.nodes(c, 'args').map((a): A.Arg => {
      const value = this.expression(a);
      let name: IToken | undefined;
      const at = startOf(a);
      while (j < names.length && names[j]!.startOffset < at) name = names[j++];
      const arg: A.Arg = { kind: 'Arg', value, range: value.range };
      if (name) {
        arg.name = this.ident(name);
        arg.range = { start: arg.name.range.start, end: value.range.end };
      }
      return arg;
    });
  }

  /** The primary of a one-operand `expression`. */
  private primary(n: CstNode): A.Expr {
    const c = n.children;
    const q = this.node(c, 'quantity');
    if (q) return this.quantity(q);
    const t = this.token(c, 'Identifier') ?? this.token(c, 'StringLiteral') ?? this.token(c, 'True') ?? this.token(c, 'False');
    if (t) return this.tokenAtom(t);
    const paren = this.node(c, 'parenthesized');
    if (paren) return this.parenthesized(paren, this.token(c, 'LParen'), this.token(c, 'RParen'));
    const list = this.node(c, 'listLiteral');
    if (list) return this.listLiteral(list);
    const obj = this.node(c, 'objectLiteral');
    if (obj) return this.objectLiteral(obj);
    return this.missing(n);
  }

  private tokenAtom(t: IToken): A.Expr {
    const range = this.tokenRange(t);
    switch (t.tokenType.name) {
      case 'StringLiteral':
        return { kind: 'String', value: unquote(t.image), range };
      case 'True':
        return { kind: 'Bool', value: true, range };
      case 'False':
        return { kind: 'Bool', value: false, range };
      default:
        return { kind: 'Name', name: t.image, range };
    }
  }

  /** `( inner )`, widened to the parentheses so diagnostics and the formatter see the whole group. */
  private parenthesized(inner: CstNode, open: IToken | undefined, close: IToken | undefined): A.Expr {
    const e = this.expression(inner);
    const start = open ? this.tokenRange(open).start : e.range.start;
    const end = close ? this.tokenRange(close).end : e.range.end;
    return { ...e, range: { start, end }, parenthesized: true };
  }

  private listLiteral(l: CstNode): A.Expr {
    return { kind: 'List', items: this.nodes(l.children, 'items').map((i) => this.expression(i)), ...this.base(l) };
  }

  private objectLiteral(o: CstNode): A.Expr {
    return { kind: 'Object', entries: this.nodes(o.children, 'entries').flatMap((e) => this.entry(e)), ...this.base(o) };
  }

  /** A number and its unit; the parser keeps unit names, operators, signs and powers in flat lists. */
  private quantity(n: CstNode): A.Expr {
    const c = n.children;
    const numTok = this.token(c, 'number');
    if (!numTok) return this.missing(n);
    const value = Number(numTok.image);
    if (!Number.isFinite(value)) {
      this.diagnostics.push(makeDiagnostic('InvalidNumber', this.src.path, this.tokenRange(numTok), [numTok.image]));
    }
    const num: A.NumberLit = { kind: 'Number', value, text: numTok.image, range: this.range(n) };
    if (n.recoveredNode) num.recovered = true;
    const names = this.tokens(c, 'unitNames');
    if (names.length === 0) return num;
    if (names.length === 1 && c.powers === undefined) {
      // The common case, one unit name: `10 ms`.
      const range = this.tokenRange(names[0]!);
      num.unit = { kind: 'Unit', factors: [{ name: names[0]!.image, power: 1, range }], range };
      return num;
    }
    const ops = this.tokens(c, 'unitOps');
    const powers = this.tokens(c, 'powers');
    const signs = this.tokens(c, 'signs');
    // Between two unit names: the power and sign of the first and the operator before the second.
    const between = (list: IToken[], from: number, to: number): IToken | undefined => list.find((t) => t.startOffset > from && t.startOffset < to);
    const factors = names.map((name, i): A.UnitFactor => {
      const next = names[i + 1]?.startOffset ?? Infinity;
      const powTok = between(powers, name.startOffset, next);
      let power = 1;
      let end = (name.endOffset ?? name.startOffset) + 1;
      if (powTok) {
        end = (powTok.endOffset ?? powTok.startOffset) + 1;
        power = Number(powTok.image);
        if (!Number.isInteger(power)) {
          this.diagnostics.push(makeDiagnostic('InvalidUnitPower', this.src.path, this.tokenRange(powTok), [powTok.image]));
          power = 1;
        }
        if (between(signs, name.startOffset, powTok.startOffset)) power = -power;
      }
      const prev = names[i - 1];
      if (prev && between(ops, prev.startOffset, name.startOffset)?.image === '/') power = -power;
      return { name: name.image, power, range: this.src.rangeOf(name.startOffset, end) };
    });
    const unitRange = { start: factors[0]!.range.start, end: factors[factors.length - 1]!.range.end };
    num.unit = { kind: 'Unit', factors, range: unitRange };
    num.range = { start: num.range.start, end: unitRange.end };
    return num;
  }
}

/** One piece of a flat `expression`, at its source offset. */
type Piece = { at: number; prefix?: IToken; op?: IToken; suffix?: CstNode; atom?: () => A.Expr };
/** An operand (with its suffixes applied), a prefix operator or a binary operator, in source order. */
type ClimbItem = { expr?: A.Expr; prefix?: IToken; op?: IToken };

function startOf(n: CstNode): number {
  const at = n.location?.startOffset;
  return at !== undefined && !Number.isNaN(at) ? at : (firstToken(n)?.startOffset ?? Number.MAX_SAFE_INTEGER);
}

/** Precedence climbing over one expression's operands and operators, in source order. */
class PrecedenceClimber {
  private pos = 0;

  constructor(
    private readonly b: CstToAst,
    private readonly items: ClimbItem[],
    private readonly n: CstNode,
  ) {}

  /** An expression whose binary operators all bind at least as tightly as `minPrec`. */
  parse(minPrec: number): A.Expr {
    let left = this.operand();
    let lastPrec = -1;
    for (;;) {
      const op = this.items[this.pos]?.op;
      if (!op) return left;
      const prec = A_BINARY_PRECEDENCE[op.image as A.BinaryOp];
      if (prec === undefined || prec < minPrec) return left;
      this.pos++;
      const nonAssoc = prec === 1 || prec === 5;
      if (nonAssoc && lastPrec === prec) this.b.nonAssociative(op);
      // `^` is right-associative: its right side may hold another `^`.
      const next = this.items[this.pos];
      const right = !next || next.op ? this.b.missingAfter(op) : this.parse(op.image === '^' ? prec : prec + 1);
      left = this.b.binary(op.image as A.BinaryOp, left, right);
      lastPrec = prec;
    }
  }

  /** An operand with its prefix operators, each applied to what binds tighter than it. */
  private operand(): A.Expr {
    const item = this.items[this.pos];
    if (!item) return this.b.missing(this.n);
    if (item.prefix) {
      this.pos++;
      const next = this.items[this.pos];
      const inner = !next || next.op ? this.b.missingAfter(item.prefix) : this.parse(A_UNARY_PRECEDENCE[item.prefix.image as A.UnaryOp] + 1);
      return this.b.unary(item.prefix, inner);
    }
    if (item.expr) {
      this.pos++;
      return item.expr;
    }
    // An operator where an operand should be (after recovery): leave a placeholder and go on.
    return this.b.missingAfter(item.op!);
  }
}

/** The Document node: the file's items and comments, spanning the whole text. Shared with fast-parse.ts. */
export function documentNode(src: SourceFile, items: A.TopItem[], comments: readonly IToken[]): A.Document {
  return {
    kind: 'Document',
    path: src.path,
    items,
    comments: comments.map((t) => ({ text: t.image, range: src.rangeOf(t.startOffset, (t.endOffset ?? t.startOffset) + 1) })),
    range: src.rangeOf(0, src.text.length),
  };
}

function firstToken(n: CstNode): IToken | undefined {
  let best: IToken | undefined;
  for (const list of Object.values(n.children)) {
    for (const e of list ?? []) {
      const t = isToken(e) ? (Number.isNaN(e.startOffset) ? undefined : e) : firstToken(e);
      if (t && (!best || t.startOffset < best.startOffset)) best = t;
    }
  }
  return best;
}

export function unquote(s: string): string {
  const body = s.endsWith('"') && s.length >= 2 ? s.slice(1, -1) : s.slice(1);
  return body.replace(/\\(.)/g, (_m, ch: string) => (ch === 'n' ? '\n' : ch === 't' ? '\t' : ch));
}
