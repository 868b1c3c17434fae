/**
 * `snn fmt`: rewrites a .snn file to its one canonical form. The AST is never changed (only ranges
 * move), comments are never dropped or duplicated, and formatting is idempotent.
 *
 * Canonical style:
 * - 2-space indentation, one item per line, every block expanded (`name {` … `}`); an empty
 *   block is `name {}`. No `;` separators, except a leading `;` before a statement that would
 *   otherwise continue the previous one (one starting with `(`, `[`, `-`, `+`, `from`, `every`
 *   or `into`).
 * - Items keep their order. Top-level items are separated by one blank line (consecutive `use`
 *   lines stay together); inside blocks a run of blank lines between two entries becomes one
 *   blank line and blank lines right after `{` or before `}` are removed.
 * - Expressions: single spaces around binary operators, `^` tight (`x^2`; `2 um ^ 2` keeps its
 *   spaces so it does not become the unit `um^2`), tight unary `-`/`+`, `not x`, `f(a, b: c)`,
 *   `[a, b]`, `{k: v}`, `p[a:b:c]`. Numbers keep their digits; units are written `mV/ms`,
 *   `nA*ms`, `ms^-1`, `um^2`. Parentheses appear where written (and where precedence needs them).
 * - A statement longer than 100 columns is broken at its longest call (`Projection(…)`, …), one
 *   argument per line (4-space continuation, `)` back at the statement's indentation); a long
 *   statement without a call stays on one line.
 * - Comments: an own-line comment stays on its own line before the next entry (or before `}` /
 *   at the end of the file) at that entry's indentation. A trailing comment goes to the end of
 *   the item's first line after two spaces (`}  # c` stays on a multi-line block's closing line).
 *   Comments inside a statement that spans lines (e.g. a multi-line call) are moved to the end of
 *   its first line; when an item collects several comments for that one place, they all go on
 *   their own lines just before the item, in source order.
 */
import * as A from './ast.js';
import type { Diagnostic } from './diagnostics.js';
import { parse } from './parse.js';
import type { SourceFile } from './source.js';

const MAX_WIDTH = 100;
const INDENT = '  ';
const CONTINUATION = '    ';

export type FormatResult = { output: string; changed: boolean } | { error: Diagnostic[] };

/** Format `text`; a file with syntax errors is never formatted: its error diagnostics come back instead. */
export function format(text: string, path = '<input>'): FormatResult {
  const { ast, source, diagnostics } = parse(text, path);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) return { error: errors };
  const output = formatDocument(ast, source);
  return { output, changed: output !== text };
}

/** Print a parsed (error-free) document in canonical form. `source` is the text it was parsed from. */
export function formatDocument(doc: A.Document, source: SourceFile): string {
  return new Printer(source).document(doc);
}

// ------------------------------------------------------------------ expressions

const BINARY_PREC = A.BINARY_PRECEDENCE;
const POSTFIX = A.POSTFIX_PRECEDENCE;

function precedence(e: A.Expr): number {
  if (e.kind === 'Binary') return BINARY_PREC[e.op];
  if (e.kind === 'Unary') return A.UNARY_PRECEDENCE[e.op];
  return POSTFIX;
}

/** `e` printed where the grammar needs at least precedence `min`. */
export function formatExpr(e: A.Expr | undefined, min = 0): string {
  if (!e) return '';
  const s = rawExpr(e);
  return e.parenthesized || precedence(e) < min ? `(${s})` : s;
}

function rawExpr(e: A.Expr): string {
  switch (e.kind) {
    case 'Number':
      return e.unit ? `${e.text} ${formatUnit(e.unit)}` : e.text;
    case 'String':
      return quote(e.value);
    case 'Bool':
      return e.value ? 'true' : 'false';
    case 'Name':
      return e.name;
    case 'Unary':
      return e.op === 'not' ? `not ${formatExpr(e.operand, 4)}` : `${e.op}${formatExpr(e.operand, 8)}`;
    case 'Binary':
      return binary(e);
    case 'Call':
      return `${formatExpr(e.callee, POSTFIX)}(${e.args.map(formatArg).join(', ')})`;
    case 'Member':
      // `5 .x`: without the space `5.` would lex as a number and `x` as its unit.
      return `${formatExpr(e.object, POSTFIX)}${isBareNumber(e.object) ? ' ' : ''}.${e.member?.name ?? ''}`;
    case 'Index':
      return `${formatExpr(e.object, POSTFIX)}[${e.index?.kind === 'Slice' ? slice(e.index) : formatExpr(e.index)}]`;
    case 'List':
      return `[${e.items.map((i) => formatExpr(i)).join(', ')}]`;
    case 'Object':
      return `{${e.entries.map((en) => `${en.key.name}: ${formatExpr(en.value)}`).join(', ')}}`;
  }
}

function binary(e: A.Binary): string {
  const p = BINARY_PREC[e.op];
  if (e.op === '^') {
    // A number with a unit followed by a tight `^n` would read as a unit power.
    const spaced = e.left.kind === 'Number' && e.left.unit !== undefined && !e.left.parenthesized;
    return `${formatExpr(e.left, POSTFIX)}${spaced ? ' ^ ' : '^'}${formatExpr(e.right, 8)}`;
  }
  // `->` and comparisons take one operand level on each side; the others are left-associative.
  const [lmin, rmin] = p === 1 ? [2, 2] : p === 5 ? [6, 6] : [p, p + 1];
  return `${formatExpr(e.left, lmin)} ${e.op} ${formatExpr(e.right, rmin)}`;
}

function isBareNumber(e: A.Expr): boolean {
  return e.kind === 'Number' && !e.unit && !e.parenthesized;
}

function slice(s: A.Slice): string {
  const step = s.step ? `:${formatExpr(s.step)}` : '';
  return `${formatExpr(s.start)}:${formatExpr(s.end)}${step}`;
}

function formatArg(a: A.Arg): string {
  return a.name ? `${a.name.name}: ${formatExpr(a.value)}` : formatExpr(a.value);
}

/** `mV/ms`, `nA*ms`, `ms^-1`, `um^2`: factors after the first joined by the sign of their power. */
export function formatUnit(u: A.UnitExpr): string {
  return u.factors
    .map((f, i) => {
      if (i === 0) return f.power === 1 ? f.name : `${f.name}^${f.power}`;
      const abs = Math.abs(f.power);
      return `${f.power < 0 ? '/' : '*'}${f.name}${abs === 1 ? '' : `^${abs}`}`;
    })
    .join('');
}

function quote(value: string): string {
  const body = value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
  return `"${body}"`;
}

// ------------------------------------------------------------------ items and comments

/** Anything printed as one or more whole lines. */
type Item = A.Document | A.TopItem | A.ModelMember | A.VarDecl | A.Ode | A.Alias | A.Stmt | A.NetItem | A.Entry | A.TraceDecl;

/** The children of a block item (the things printed inside its braces); undefined for a one-line item. */
function childrenOf(n: Item): Item[] | undefined {
  switch (n.kind) {
    case 'Document':
    case 'Network':
    case 'Equations':
      return n.items;
    case 'Model':
      return n.members;
    case 'VarBlock':
      return n.decls;
    case 'Handler':
      return n.body;
    case 'Spike':
      return n.reset;
    case 'Traces':
      return n.traces;
    case 'Train':
    case 'Target':
      return n.entries;
    default:
      return undefined;
  }
}

/** Where an item's comments go. */
interface Attached {
  /** End of the item's first line (a single comment; several go on their own lines before the item). */
  slot: A.Comment[];
  /** After the `}` of a block item. */
  closing: A.Comment[];
  /** Own-line comments among a block's children (interleaved with them by position). */
  loose: A.Comment[];
}

/** A one-line item as text pieces and expressions; a call among the expressions is what a long line breaks. */
type Segment = string | A.Expr | undefined;

function segments(n: Item): Segment[] {
  switch (n.kind) {
    case 'Use': {
      const src = n.source.kind === 'path' ? quote(n.source.path) : n.source.parts.map((p) => p.name).join('.');
      return [n.names.length > 0 ? `use ${n.names.map((i) => i.name).join(', ')} from ${src}` : `use ${src}`];
    }
    case 'VarDecl':
    case 'Alias':
      return [`${n.name.name} = `, n.value];
    case 'Ode':
      return [`${n.target.name}${"'".repeat(n.order)} = `, n.rhs];
    case 'Assign':
      return [`${n.target.name} ${n.op} `, n.value];
    case 'ExprStmt':
      return [n.expr];
    case 'Binding':
      return n.source ? [`${n.name.name} = `, n.value, ' from ', n.source] : [`${n.name.name} = `, n.value];
    case 'Record': {
      const targets = n.targets.flatMap((t, i): Segment[] => (i === 0 ? [t] : [', ', t]));
      return ['record ', ...targets, ...(n.every ? [' every ', n.every] : [])];
    }
    case 'Inject':
      return ['inject ', n.source, ' into ', n.target];
    case 'Entry':
      return [`${n.key.name}: `, n.value];
    case 'Trace':
      return [`${n.name.name}: `, n.tau];
    case 'Bounds':
      return [`bounds ${n.variable.name} in [`, n.lower, ', ', n.upper, ']'];
    case 'Refractory':
      return ['refractory ', n.period];
    case 'Spike':
      return ['spike when ', n.condition];
    default:
      return [blockHeader(n)];
  }
}

function isBreakable(s: Segment): s is A.Call {
  return typeof s === 'object' && s.kind === 'Call' && !s.parenthesized && s.args.length > 0;
}

/** The text before ` {` of a block item. */
function blockHeader(n: Item): string {
  switch (n.kind) {
    case 'Model':
      return `${n.modelKind} ${n.name?.name ?? ''}`;
    case 'Network':
      return `network ${n.name?.name ?? ''}`;
    case 'VarBlock':
      return n.section;
    case 'Equations':
      return 'equations';
    case 'Handler': {
      const params = n.params.length > 0 ? `(${n.params.map((p) => p.name).join(', ')})` : '';
      return `on ${n.event.name}${n.port ? ` ${n.port.name}` : ''}${params}`;
    }
    case 'Spike':
      return `spike when ${formatExpr(n.condition)} reset`;
    case 'Traces':
      return `${n.side.name} traces`;
    case 'Train':
      return 'train';
    case 'Target':
      return `target ${n.name?.name ?? ''}`;
    default:
      return '';
  }
}

/** A statement starting like this would continue the previous line's expression or clause. */
const NEEDS_SEPARATOR = /^([[(+-]|(from|every|into)\b)/;

class Printer {
  private readonly out: string[] = [];
  private readonly attached = new Map<Item, Attached>();

  constructor(private readonly src: SourceFile) {}

  document(doc: A.Document): string {
    for (const c of doc.comments) this.place(doc, doc.items, c);
    this.entries(doc, doc.items, -1);
    return this.out.length === 0 ? '' : `${this.out.join('\n')}\n`;
  }

  private at(n: Item): Attached {
    let a = this.attached.get(n);
    if (!a) {
      a = { slot: [], closing: [], loose: [] };
      this.attached.set(n, a);
    }
    return a;
  }

  /** Attach comment `c`, which lies inside `block`, to the item it belongs to. */
  private place(block: Item, kids: Item[], c: A.Comment): void {
    const p = c.range.start.offset;
    const inside = kids.find((k) => k.range.start.offset < p && p < k.range.end.offset);
    if (inside) {
      const sub = childrenOf(inside);
      if (sub) this.place(inside, sub, c);
      else this.at(inside).slot.push(c);
      return;
    }
    const prev = kids.filter((k) => k.range.end.offset <= p).pop();
    if (prev && prev.range.end.line === c.range.start.line) {
      const multiLineBlock = childrenOf(prev) !== undefined && prev.range.start.line !== prev.range.end.line;
      (multiLineBlock ? this.at(prev).closing : this.at(prev).slot).push(c);
    } else if (!prev && block.kind !== 'Document' && !this.ownLine(c)) {
      this.at(block).slot.push(c); // after the header, on the line of the opening `{`
    } else {
      this.at(block).loose.push(c);
    }
  }

  private ownLine(c: A.Comment): boolean {
    return this.src.lineText(c.range.start.line).slice(0, c.range.start.column - 1).trim() === '';
  }

  /** Any blank line strictly between lines `a` and `b`. */
  private blankBetween(a: number, b: number): boolean {
    for (let l = a + 1; l < b; l++) if (this.src.lineText(l).trim() === '') return true;
    return false;
  }

  private line(depth: number, text: string): void {
    this.out.push(INDENT.repeat(Math.max(0, depth)) + text);
  }

  /**
   * Lines `texts` (the first at `depth`, the others already indented relative to it) with their
   * comments: one goes at the end of the first line; several all go on their own lines before
   * it (at `ownDepth`), in source order, since only one comment fits on a line.
   */
  private emit(depth: number, texts: string[], comments: A.Comment[], ownDepth = depth): void {
    const trailing = comments.length === 1 ? `  ${comments[0].text.trimEnd()}` : '';
    if (!trailing) for (const c of comments) this.line(ownDepth, c.text.trimEnd());
    texts.forEach((t, i) => this.line(depth, i === 0 ? t + trailing : t));
  }

  /** Children and own-line comments of `block`, in source order, at `depth`. */
  private entries(block: Item, kids: Item[], depth: number): void {
    const loose = this.at(block).loose;
    type Entry = { item: Item; index: number } | { comment: A.Comment };
    const all: Entry[] = [...kids.map((item, index) => ({ item, index })), ...loose.map((comment) => ({ comment }))];
    const start = (e: Entry) => ('item' in e ? e.item.range.start.offset : e.comment.range.start.offset);
    all.sort((a, b) => start(a) - start(b));
    let prevEnd = 0;
    let prevItem: Item | undefined;
    all.forEach((e, i) => {
      const range = 'item' in e ? e.item.range : e.comment.range;
      let blank = i > 0 && this.blankBetween(prevEnd, range.start.line);
      if (block.kind === 'Document' && prevItem) {
        const next = all.slice(i).find((x): x is { item: Item; index: number } => 'item' in x)?.item;
        if (next && !(prevItem.kind === 'Use' && next.kind === 'Use')) blank = true;
      }
      if (blank) this.out.push('');
      if ('item' in e) this.item(e.item, depth + 1, e.index > 0);
      else this.line(depth + 1, e.comment.text.trimEnd());
      prevEnd = range.end.line;
      prevItem = 'item' in e ? e.item : undefined;
    });
  }

  private item(n: Item, depth: number, afterSibling: boolean): void {
    const a = this.at(n);
    const kids = childrenOf(n);
    if (!kids) {
      this.emit(depth, this.simple(n, depth, afterSibling), a.slot);
      return;
    }
    const header = blockHeader(n);
    if (kids.length === 0 && a.loose.length === 0 && (a.slot.length === 0 || a.closing.length === 0)) {
      this.emit(depth, [`${header} {}`], [...a.slot, ...a.closing]);
      return;
    }
    this.emit(depth, [`${header} {`], a.slot);
    this.entries(n, kids, depth);
    this.emit(depth, ['}'], a.closing, depth + 1);
  }

  /** The lines of a one-line item; when too long, its longest call is broken one argument per line. */
  private simple(n: Item, depth: number, afterSibling: boolean): string[] {
    const segs = segments(n);
    const texts = segs.map((s) => (typeof s === 'string' ? s : formatExpr(s)));
    const sep = afterSibling && NEEDS_SEPARATOR.test(texts.join('')) ? ';' : '';
    const text = sep + texts.join('');
    if (INDENT.length * depth + text.length <= MAX_WIDTH) return [text];
    let best = -1;
    segs.forEach((s, i) => {
      if (isBreakable(s) && (best < 0 || texts[i].length > texts[best].length)) best = i;
    });
    const call = segs[best];
    if (!isBreakable(call)) return [text];
    const args = call.args.map((arg, i) => `${CONTINUATION}${formatArg(arg)}${i < call.args.length - 1 ? ',' : ''}`);
    const before = sep + texts.slice(0, best).join('');
    return [`${before}${formatExpr(call.callee, POSTFIX)}(`, ...args, `)${texts.slice(best + 1).join('')}`];
  }
}
