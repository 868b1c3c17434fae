/**
 * CST → AST. The only code that knows the concrete syntax tree's shape. Nodes the parser
 * re-synchronised (`recoveredNode`) become AST nodes marked `recovered`, possibly missing children.
 */
import type { CstElement, CstNode, IToken } from 'chevrotain';
import type * as A from './ast.js';
import type { Range, SourceFile } from './source.js';
import { makeDiagnostic, type Diagnostic } from './diagnostics.js';

type Children = Record<string, CstElement[] | undefined>;

function isToken(e: CstElement): e is IToken {
  return (e as IToken).image !== undefined;
}

export class CstToAst {
  readonly diagnostics: Diagnostic[] = [];

  constructor(private readonly src: SourceFile) {}

  // ------------------------------------------------------------- helpers
  private nodes(c: Children, key: string): CstNode[] {
    return (c[key] ?? []).filter((e): e is CstNode => !isToken(e));
  }

  private node(c: Children, key: string): CstNode | undefined {
    return this.nodes(c, key)[0];
  }

  private tokens(c: Children, key: string): IToken[] {
    return (c[key] ?? []).filter((e): e is IToken => isToken(e) && !e.isInsertedInRecovery && !Number.isNaN(e.startOffset));
  }

  private token(c: Children, key: string): IToken | undefined {
    return this.tokens(c, key)[0];
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
    return {
      kind: 'Document',
      path: this.src.path,
      items,
      comments: comments.map((t) => ({ text: t.image, range: this.tokenRange(t) })),
      range: this.src.rangeOf(0, this.src.text.length),
    };
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
  expression(n: CstNode): A.Expr {
    const c = n.children;
    switch (n.name) {
      case 'expression': {
        const lhs = this.expression(this.node(c, 'lhs')!);
        const rhs = this.node(c, 'rhs');
        return rhs ? this.binary('->', lhs, this.expression(rhs), n) : lhs;
      }
      case 'orExpr':
      case 'andExpr':
      case 'comparison':
      case 'additive':
      case 'multiplicative': {
        const operands = this.nodes(c, 'operands').map((o) => this.expression(o));
        const ops = (c.ops ?? []).filter(isToken);
        let acc = operands[0] ?? this.missing(n);
        for (let i = 0; i < ops.length; i++) {
          const right = operands[i + 1];
          acc = this.binary(ops[i].image as A.BinaryOp, acc, right, n, acc.range.start.offset);
        }
        return acc;
      }
      case 'notExpr':
      case 'unary': {
        const inner = this.node(c, 'inner');
        if (inner) return this.expression(inner);
        const op = this.token(c, 'op');
        const operand = this.node(c, 'operand');
        const u: A.Unary = { kind: 'Unary', op: (op?.image ?? '-') as A.UnaryOp, ...this.base(n) };
        if (operand) u.operand = this.expression(operand);
        return u;
      }
      case 'power': {
        const base = this.node(c, 'base');
        const b = base ? this.expression(base) : this.missing(n);
        const exponent = this.node(c, 'exponent');
        return exponent ? this.binary('^', b, this.expression(exponent), n) : b;
      }
      case 'postfix':
        return this.postfix(n);
      default:
        return this.missing(n);
    }
  }

  private binary(op: A.BinaryOp, left: A.Expr, right: A.Expr | undefined, n: CstNode, startOffset?: number): A.Binary {
    const b: A.Binary = { kind: 'Binary', op, left, ...this.base(n) };
    if (right) {
      b.right = right;
      b.range = { start: left.range.start, end: right.range.end };
    } else if (startOffset !== undefined) {
      b.range = { start: left.range.start, end: b.range.end };
    }
    return b;
  }

  /** A placeholder for an expression the parser could not build (only after a syntax error). */
  private missing(n: CstNode): A.Name {
    return { kind: 'Name', name: '', range: this.range(n), recovered: true };
  }

  private postfix(n: CstNode): A.Expr {
    const c = n.children;
    const prim = this.node(c, 'primary');
    let acc = prim ? this.primary(prim) : this.missing(n);
    for (const s of this.nodes(c, 'suffixes')) {
      const sr = this.range(s);
      const range = { start: acc.range.start, end: sr.end };
      const rec = s.recoveredNode ? { recovered: true } : {};
      if (s.name === 'callSuffix') {
        const args = this.nodes(s.children, 'args').map((a): A.Arg => {
          const arg: A.Arg = { kind: 'Arg', ...this.base(a) };
          const name = this.identOf(a.children, 'name');
          const v = this.node(a.children, 'value');
          if (name) arg.name = name;
          if (v) arg.value = this.expression(v);
          return arg;
        });
        acc = { kind: 'Call', callee: acc, args, range, ...rec };
      } else if (s.name === 'memberSuffix') {
        const m: A.Member = { kind: 'Member', object: acc, range, ...rec };
        const member = this.identOf(s.children, 'member');
        if (member) m.member = member;
        acc = m;
      } else {
        const sc = s.children;
        const start = this.node(sc, 'start');
        const ix: A.Index = { kind: 'Index', object: acc, range, ...rec };
        if (this.tokens(sc, 'colons').length > 0) {
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
        acc = ix;
      }
    }
    return acc;
  }

  private primary(n: CstNode): A.Expr {
    const c = n.children;
    const q = this.node(c, 'quantity');
    if (q) return this.quantity(q);
    const str = this.token(c, 'StringLiteral');
    if (str) return { kind: 'String', value: unquote(str.image), range: this.tokenRange(str) };
    const t = this.token(c, 'True');
    if (t) return { kind: 'Bool', value: true, range: this.tokenRange(t) };
    const f = this.token(c, 'False');
    if (f) return { kind: 'Bool', value: false, range: this.tokenRange(f) };
    const id = this.token(c, 'Identifier');
    if (id) return { kind: 'Name', name: id.image, range: this.tokenRange(id) };
    const paren = this.node(c, 'parenthesized');
    if (paren) {
      const inner = this.expression(paren);
      // Widen to the parentheses so diagnostics and the formatter see the whole group.
      return { ...inner, range: this.range(n), parenthesized: true };
    }
    const list = this.node(c, 'listLiteral');
    if (list) return { kind: 'List', items: this.nodes(list.children, 'items').map((i) => this.expression(i)), ...this.base(list) };
    const obj = this.node(c, 'objectLiteral');
    if (obj) return { kind: 'Object', entries: this.nodes(obj.children, 'entries').flatMap((e) => this.entry(e)), ...this.base(obj) };
    return this.missing(n);
  }

  private quantity(n: CstNode): A.Expr {
    const c = n.children;
    const numTok = this.token(c, 'number');
    if (!numTok) return this.missing(n);
    const value = Number(numTok.image);
    if (!Number.isFinite(value)) {
      this.diagnostics.push(makeDiagnostic('InvalidNumber', this.src.path, this.tokenRange(numTok), [numTok.image]));
    }
    const num: A.NumberLit = { kind: 'Number', value, text: numTok.image, ...this.base(n) };
    const u = this.node(c, 'unit');
    if (u) {
      const ops = this.tokens(u.children, 'ops');
      const factors = this.nodes(u.children, 'factors').flatMap((f, i): A.UnitFactor[] => {
        const name = this.token(f.children, 'name');
        if (!name) return [];
        const powTok = this.token(f.children, 'power');
        let power = 1;
        if (powTok) {
          power = Number(powTok.image);
          if (!Number.isInteger(power)) {
            this.diagnostics.push(makeDiagnostic('InvalidUnitPower', this.src.path, this.tokenRange(powTok), [powTok.image]));
            power = 1;
          }
          if (this.token(f.children, 'sign')) power = -power;
        }
        if (i > 0 && ops[i - 1]?.image === '/') power = -power;
        return [{ name: name.image, power, range: this.range(f) }];
      });
      num.unit = { kind: 'Unit', factors, ...this.base(u) };
    }
    return num;
  }
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
