/**
 * The fast path of parse(): a recursive-descent reader that builds the AST straight from the
 * tokens, for files without syntax errors. It follows lang/parser.ts decision for decision and
 * gives up (returns undefined) at the first thing it does not expect; parse() then runs the
 * chevrotain parser, whose error recovery and messages stay the only source of syntax
 * diagnostics. The chevrotain grammar remains the definition (spec/grammar.ebnf is checked
 * against it); lang/fast-parse.test.ts checks that both paths build identical ASTs on every
 * example, conformance case, stdlib file and fuzzed mutant.
 *
 * Why: building and walking chevrotain's CST cost about half of `snn check` on large models
 * (bench/check-speed.ts, 20,000 lines); this path builds no CST at all.
 */
import { tokenMatcher, type IToken, type TokenType } from 'chevrotain';
import * as A from './ast.js';
import { documentNode, unquote } from './cst-to-ast.js';
import { ASSIGN_OPS, BINARY_OPS, PREFIX_OPS } from './parser.js';
import type { Range, SourceFile } from './source.js';
import * as T from './tokens.js';

const NON_ASSOCIATIVE = new Set([1, 5]);

/** Thrown to leave the fast path; never escapes fastParse(). */
class GiveUp {}
const GIVE_UP = new GiveUp();

export function fastParse(tokens: readonly IToken[], src: SourceFile, comments: readonly IToken[]): A.Document | undefined {
  try {
    return new FastParser(tokens, src).document(comments);
  } catch (e) {
    if (e === GIVE_UP) return undefined;
    throw e;
  }
}

class FastParser {
  private pos = 0;

  constructor(
    private readonly toks: readonly IToken[],
    private readonly src: SourceFile,
  ) {}

  // ------------------------------------------------------------------ tokens
  private la(k = 1): IToken | undefined {
    return this.toks[this.pos + k - 1];
  }

  private at(type: TokenType, k = 1): boolean {
    const t = this.toks[this.pos + k - 1];
    return t !== undefined && tokenMatcher(t, type);
  }

  private atExact(type: TokenType, k = 1): boolean {
    return this.toks[this.pos + k - 1]?.tokenType === type;
  }

  private atAny(types: readonly TokenType[], k = 1): boolean {
    const t = this.toks[this.pos + k - 1];
    if (t === undefined) return false;
    for (const type of types) if (tokenMatcher(t, type)) return true;
    return false;
  }

  private eat(type: TokenType): IToken {
    const t = this.toks[this.pos];
    if (t === undefined || !tokenMatcher(t, type)) throw GIVE_UP;
    this.pos++;
    return t;
  }

  /** The token consumed last. */
  private get prev(): IToken {
    return this.toks[this.pos - 1]!;
  }

  private tokenRange(t: IToken): Range {
    return this.src.rangeOf(t.startOffset, t.endOffset! + 1);
  }

  /** From the start of `first` to the end of the token consumed last. */
  private from(first: IToken): Range {
    return this.src.rangeOf(first.startOffset, this.prev.endOffset! + 1);
  }

  private ident(t: IToken): A.Ident {
    return { kind: 'Ident', name: t.image, range: this.tokenRange(t) };
  }

  // ------------------------------------------------------------------ top level
  document(comments: readonly IToken[]): A.Document {
    const items: A.TopItem[] = [];
    while (this.pos < this.toks.length) {
      if (this.at(T.Use)) items.push(this.useDecl());
      else if (this.atAny([T.Neuron, T.Synapse, T.Plasticity])) items.push(this.modelDecl());
      else if (this.at(T.Network)) items.push(this.networkDecl());
      else this.eat(T.Semicolon);
    }
    return documentNode(this.src, items, comments);
  }

  private useDecl(): A.UseDecl {
    const first = this.eat(T.Use);
    let source: A.UseDecl['source'];
    let names: A.Ident[] = [];
    if (this.at(T.StringLiteral)) {
      const p = this.eat(T.StringLiteral);
      source = { kind: 'path', path: unquote(p.image), range: this.tokenRange(p) };
    } else {
      const qs = [this.qualifiedName()];
      while (this.at(T.Comma)) {
        this.pos++;
        qs.push(this.qualifiedName());
      }
      if (this.at(T.From)) {
        this.pos++;
        if (this.at(T.StringLiteral)) {
          const p = this.eat(T.StringLiteral);
          source = { kind: 'path', path: unquote(p.image), range: this.tokenRange(p) };
        } else {
          const q = this.qualifiedName();
          source = { kind: 'module', parts: q.parts, range: q.range };
        }
        names = qs.flatMap((q) => q.parts);
      } else {
        source = { kind: 'module', parts: qs[0]!.parts, range: qs[0]!.range };
      }
    }
    return { kind: 'Use', source, names, range: this.from(first) };
  }

  private qualifiedName(): { parts: A.Ident[]; range: Range } {
    const first = this.eat(T.AnyName);
    const parts = [this.ident(first)];
    while (this.at(T.Dot)) {
      this.pos++;
      parts.push(this.ident(this.eat(T.AnyName)));
    }
    return { parts, range: this.from(first) };
  }

  // ------------------------------------------------------------------ models
  private modelDecl(): A.ModelDecl {
    const kindTok = this.la()!;
    this.pos++;
    const name = this.ident(this.eat(T.Identifier));
    this.eat(T.LBrace);
    const members: A.ModelMember[] = [];
    while (!this.at(T.RBrace)) {
      if (this.atAny([T.Parameters, T.State])) members.push(this.varBlock());
      else if (this.at(T.Equations)) members.push(this.equationsBlock());
      else if (this.at(T.On)) members.push(this.handler());
      else if (this.at(T.Spike)) members.push(this.spikeRule());
      else if (this.at(T.Refractory)) members.push(this.refractory());
      else if (this.at(T.Identifier) && this.at(T.Traces, 2)) members.push(this.tracesBlock());
      else if (this.at(T.BoundsKw)) members.push(this.boundsDecl());
      else this.eat(T.Semicolon);
    }
    this.eat(T.RBrace);
    return { kind: 'Model', modelKind: kindTok.image as A.ModelKind, members, range: this.from(kindTok), name };
  }

  private varBlock(): A.VarBlock {
    const first = this.la()!;
    this.pos++;
    this.eat(T.LBrace);
    const decls: A.VarDecl[] = [];
    while (!this.at(T.RBrace)) {
      if (this.at(T.Semicolon)) {
        this.pos++;
        continue;
      }
      const n = this.eat(T.Identifier);
      this.eat(T.Assign);
      const value = this.expression();
      decls.push({ kind: 'VarDecl', name: this.ident(n), range: this.from(n), value });
    }
    this.eat(T.RBrace);
    return { kind: 'VarBlock', section: first.image as A.VarBlock['section'], decls, range: this.from(first) };
  }

  private equationsBlock(): A.EquationsBlock {
    const first = this.eat(T.Equations);
    this.eat(T.LBrace);
    const items: (A.Ode | A.Alias)[] = [];
    while (!this.at(T.RBrace)) {
      if (this.at(T.Semicolon)) {
        this.pos++;
        continue;
      }
      const n = this.eat(T.Identifier);
      let order = 0;
      while (this.at(T.Prime)) {
        this.pos++;
        order++;
      }
      this.eat(T.Assign);
      const value = this.expression();
      const range = this.from(n);
      items.push(order > 0 ? { kind: 'Ode', target: this.ident(n), order, range, rhs: value } : { kind: 'Alias', name: this.ident(n), range, value });
    }
    this.eat(T.RBrace);
    return { kind: 'Equations', items, range: this.from(first) };
  }

  private handler(): A.Handler {
    const first = this.eat(T.On);
    const event = this.ident(this.eat(T.Identifier));
    const port = this.at(T.Identifier) ? this.ident(this.eat(T.Identifier)) : undefined;
    const params: A.Ident[] = [];
    if (this.at(T.LParen)) {
      this.pos++;
      if (this.at(T.Identifier)) {
        params.push(this.ident(this.eat(T.Identifier)));
        while (this.at(T.Comma)) {
          this.pos++;
          params.push(this.ident(this.eat(T.Identifier)));
        }
      }
      this.eat(T.RParen);
    }
    const body = this.block();
    const h: A.Handler = { kind: 'Handler', event, params, body, range: this.from(first) };
    if (port) h.port = port;
    return h;
  }

  private spikeRule(): A.SpikeRule {
    const first = this.eat(T.Spike);
    this.eat(T.When);
    const condition = this.expression();
    const s: A.SpikeRule = { kind: 'Spike', range: this.from(first), condition };
    if (this.at(T.Reset)) {
      this.pos++;
      const open = this.la()!;
      s.reset = this.block();
      s.resetRange = this.from(open);
      s.range = this.from(first);
    }
    return s;
  }

  private refractory(): A.Refractory {
    const first = this.eat(T.Refractory);
    const period = this.expression();
    return { kind: 'Refractory', range: this.from(first), period };
  }

  private tracesBlock(): A.TracesBlock {
    const first = this.eat(T.Identifier);
    this.eat(T.Traces);
    this.eat(T.LBrace);
    const traces: A.TraceDecl[] = [];
    while (!this.at(T.RBrace)) {
      if (this.at(T.Semicolon)) {
        this.pos++;
        continue;
      }
      const n = this.eat(T.Identifier);
      this.eat(T.Colon);
      const tau = this.expression();
      traces.push({ kind: 'Trace', name: this.ident(n), range: this.from(n), tau });
    }
    this.eat(T.RBrace);
    return { kind: 'Traces', side: this.ident(first), traces, range: this.from(first) };
  }

  private boundsDecl(): A.Bounds {
    const first = this.eat(T.BoundsKw);
    const variable = this.ident(this.eat(T.Identifier));
    this.eat(T.In);
    this.eat(T.LBracket);
    const lower = this.expression();
    this.eat(T.Comma);
    const upper = this.expression();
    this.eat(T.RBracket);
    return { kind: 'Bounds', variable, range: this.from(first), lower, upper };
  }

  private block(): A.Stmt[] {
    this.eat(T.LBrace);
    const stmts: A.Stmt[] = [];
    while (!this.at(T.RBrace)) {
      if (this.at(T.Semicolon)) {
        this.pos++;
        continue;
      }
      if (this.atAny(ASSIGN_OPS, 2)) {
        // The parser's gate: an assignment operator second means an assignment.
        const target = this.eat(T.Identifier);
        const op = this.la()!;
        this.pos++;
        const value = this.expression();
        stmts.push({ kind: 'Assign', target: this.ident(target), op: op.image as A.AssignOp, range: this.from(target), value });
      } else {
        const expr = this.expression();
        stmts.push({ kind: 'ExprStmt', expr, range: expr.range });
      }
    }
    this.eat(T.RBrace);
    return stmts;
  }

  // ------------------------------------------------------------------ networks
  private networkDecl(): A.NetworkDecl {
    const first = this.eat(T.Network);
    const name = this.ident(this.eat(T.Identifier));
    this.eat(T.LBrace);
    const items: A.NetItem[] = [];
    while (!this.at(T.RBrace)) {
      const t = this.la();
      if (t === undefined) throw GIVE_UP;
      if (tokenMatcher(t, T.RecordKw)) items.push(this.recordStmt());
      else if (tokenMatcher(t, T.InjectKw)) items.push(this.injectStmt());
      else if (tokenMatcher(t, T.Train)) {
        this.pos++;
        items.push({ kind: 'Train', entries: this.entryBlock(), range: this.from(t) });
      } else if (tokenMatcher(t, T.Target)) {
        this.pos++;
        const tname = this.ident(this.eat(T.Identifier));
        items.push({ kind: 'Target', entries: this.entryBlock(), range: this.from(t), name: tname });
      } else if (this.atExact(T.Assign, 2) && tokenMatcher(t, T.Identifier)) items.push(this.binding());
      else if (tokenMatcher(t, T.Semicolon)) this.pos++;
      else {
        const expr = this.expression();
        items.push({ kind: 'ExprStmt', expr, range: expr.range });
      }
    }
    this.eat(T.RBrace);
    return { kind: 'Network', items, range: this.from(first), name };
  }

  private binding(): A.Binding {
    const n = this.eat(T.Identifier);
    this.eat(T.Assign);
    const value = this.expression();
    const b: A.Binding = { kind: 'Binding', name: this.ident(n), range: this.from(n), value };
    if (this.at(T.From)) {
      this.pos++;
      b.source = this.expression();
      b.range = this.from(n);
    }
    return b;
  }

  private recordStmt(): A.Record {
    const first = this.eat(T.RecordKw);
    const targets = [this.expression()];
    while (this.at(T.Comma)) {
      this.pos++;
      targets.push(this.expression());
    }
    const r: A.Record = { kind: 'Record', targets, range: this.from(first) };
    if (this.at(T.Every)) {
      this.pos++;
      r.every = this.expression();
      r.range = this.from(first);
    }
    return r;
  }

  private injectStmt(): A.Inject {
    const first = this.eat(T.InjectKw);
    const source = this.expression();
    this.eat(T.Into);
    const target = this.expression();
    return { kind: 'Inject', range: this.from(first), source, target };
  }

  private entryBlock(): A.Entry[] {
    this.eat(T.LBrace);
    const entries: A.Entry[] = [];
    while (!this.at(T.RBrace)) {
      if (this.atAny([T.Semicolon, T.Comma])) this.pos++;
      else entries.push(this.entry());
    }
    this.eat(T.RBrace);
    return entries;
  }

  private entry(): A.Entry {
    const key = this.eat(T.AnyName);
    this.eat(T.Colon);
    const value = this.expression();
    return { kind: 'Entry', key: this.ident(key), range: this.from(key), value };
  }

  // ------------------------------------------------------------------ expressions
  /** Precedence climbing, as cst-to-ast.ts does over the flat `expression` rule. */
  private expression(minPrec = 0): A.Expr {
    let left = this.operand();
    let lastPrec = -1;
    for (;;) {
      const op = this.la();
      if (op === undefined || !BINARY_TYPES.has(op.tokenType)) return left;
      const prec = A.BINARY_PRECEDENCE[op.image as A.BinaryOp];
      if (prec < minPrec) return left;
      if (NON_ASSOCIATIVE.has(prec) && lastPrec === prec) throw GIVE_UP; // SNN0007: the slow path reports it
      this.pos++;
      const right = this.expression(op.image === '^' ? prec : prec + 1);
      left = { kind: 'Binary', op: op.image as A.BinaryOp, left, right, range: { start: left.range.start, end: right.range.end } };
      lastPrec = prec;
    }
  }

  private operand(): A.Expr {
    const t = this.la();
    if (t === undefined) throw GIVE_UP;
    if (PREFIX_TYPES.has(t.tokenType)) {
      this.pos++;
      const inner = this.expression(A.UNARY_PRECEDENCE[t.image as A.UnaryOp] + 1);
      return { kind: 'Unary', op: t.image as A.UnaryOp, operand: inner, range: { start: this.tokenRange(t).start, end: inner.range.end } };
    }
    let acc = this.primary(t);
    for (;;) {
      const s = this.la();
      if (s === undefined) return acc;
      if (s.tokenType === T.LParen) acc = this.call(acc);
      else if (s.tokenType === T.Dot) {
        this.pos++;
        const member = this.ident(this.eat(T.Identifier));
        acc = { kind: 'Member', object: acc, range: { start: acc.range.start, end: member.range.end }, member };
      } else if (s.tokenType === T.LBracket) acc = this.index(acc);
      else return acc;
    }
  }

  private primary(t: IToken): A.Expr {
    const type = t.tokenType;
    if (type === T.NumberLiteral) return this.quantity();
    this.pos++;
    if (type === T.StringLiteral) return { kind: 'String', value: unquote(t.image), range: this.tokenRange(t) };
    if (type === T.True || type === T.False) return { kind: 'Bool', value: type === T.True, range: this.tokenRange(t) };
    if (tokenMatcher(t, T.Identifier)) return { kind: 'Name', name: t.image, range: this.tokenRange(t) };
    if (type === T.LParen) {
      const inner = this.expression();
      this.eat(T.RParen);
      return { ...inner, range: this.from(t), parenthesized: true };
    }
    if (type === T.LBracket) {
      const items: A.Expr[] = [];
      while (!this.at(T.RBracket)) {
        items.push(this.expression());
        if (this.at(T.Comma)) this.pos++;
      }
      this.pos++;
      return { kind: 'List', items, range: this.from(t) };
    }
    if (type === T.LBrace) {
      const entries: A.Entry[] = [];
      while (!this.at(T.RBrace)) {
        entries.push(this.entry());
        if (this.at(T.Comma)) this.pos++;
      }
      this.pos++;
      return { kind: 'Object', entries, range: this.from(t) };
    }
    throw GIVE_UP;
  }

  private call(callee: A.Expr): A.Call {
    this.eat(T.LParen);
    const args: A.Arg[] = [];
    while (!this.at(T.RParen)) {
      let name: A.Ident | undefined;
      if (this.at(T.AnyName) && this.atExact(T.Colon, 2)) {
        name = this.ident(this.la()!);
        this.pos += 2;
      }
      const value = this.expression();
      const arg: A.Arg = { kind: 'Arg', value, range: value.range };
      if (name) {
        arg.name = name;
        arg.range = { start: name.range.start, end: value.range.end };
      }
      args.push(arg);
      if (this.at(T.Comma)) this.pos++;
    }
    this.pos++;
    return { kind: 'Call', callee, args, range: { start: callee.range.start, end: this.tokenRange(this.prev).end } };
  }

  private index(object: A.Expr): A.Index {
    const open = this.eat(T.LBracket);
    const start = this.at(T.Colon) || this.at(T.RBracket) ? undefined : this.expression();
    let slice: A.Slice | undefined;
    if (this.at(T.Colon)) {
      this.pos++;
      slice = { kind: 'Slice', range: this.tokenRange(open) };
      if (start) slice.start = start;
      if (!this.at(T.Colon) && !this.at(T.RBracket)) slice.end = this.expression();
      if (this.at(T.Colon)) {
        this.pos++;
        if (!this.at(T.RBracket)) slice.step = this.expression();
      }
    }
    this.eat(T.RBracket);
    const sr = this.from(open);
    const ix: A.Index = { kind: 'Index', object, range: { start: object.range.start, end: sr.end } };
    if (slice) {
      slice.range = sr;
      ix.index = slice;
    } else if (start) {
      ix.index = start;
    }
    return ix;
  }

  /** A number and its unit: the parser's `quantity` rule with the same gates. */
  private quantity(): A.Expr {
    const numTok = this.eat(T.NumberLiteral);
    const value = Number(numTok.image);
    if (!Number.isFinite(value)) throw GIVE_UP; // SNN0005: the slow path reports it
    const num: A.NumberLit = { kind: 'Number', value, text: numTok.image, range: this.tokenRange(numTok) };
    if (!this.unitFollows(numTok)) return num;
    const factors: A.UnitFactor[] = [];
    let sign = 1;
    for (;;) {
      const name = this.eat(T.Identifier);
      let power = 1;
      if (this.atExact(T.Caret) && adjacent(name, this.la()!)) {
        this.pos++;
        const negative = this.at(T.Minus);
        if (negative) this.pos++;
        const powTok = this.eat(T.NumberLiteral);
        power = Number(powTok.image);
        if (!Number.isInteger(power)) throw GIVE_UP; // SNN0006: the slow path reports it
        if (negative) power = -power;
      }
      factors.push({ name: name.image, power: sign * power, range: this.from(name) });
      const op = this.la();
      const next = this.la(2);
      if (op === undefined || next === undefined || (op.tokenType !== T.Star && op.tokenType !== T.Slash)) break;
      if (!adjacent(this.prev, op) || !adjacent(op, next) || next.tokenType !== T.Identifier) break;
      this.pos++;
      sign = op.tokenType === T.Slash ? -1 : 1;
    }
    const unitRange = { start: factors[0]!.range.start, end: factors[factors.length - 1]!.range.end };
    num.unit = { kind: 'Unit', factors, range: unitRange };
    num.range = { start: num.range.start, end: unitRange.end };
    return num;
  }

  /** The parser's unitFollows() gate. */
  private unitFollows(num: IToken): boolean {
    const next = this.la();
    if (next === undefined || next.tokenType !== T.Identifier) return false;
    if (next.startLine !== num.endLine) return false;
    const after = this.la(2)?.tokenType;
    return !(after === T.Prime || after === T.Colon || after === T.LParen || (after !== undefined && ASSIGN_OPS.includes(after)));
  }
}

const BINARY_TYPES = new Set<TokenType>(BINARY_OPS);
const PREFIX_TYPES = new Set<TokenType>(PREFIX_OPS);

function adjacent(a: IToken, b: IToken): boolean {
  return a.endOffset !== undefined && b.startOffset === a.endOffset + 1;
}
