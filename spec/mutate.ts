/**
 * Mutation fuzzing of the checker, shared by the property test (spec/robustness.test.ts) and the
 * bench at scale (bench/fuzz.ts).
 *
 * A case is a corpus file (examples, conformance cases, stdlib) and one to three mutations applied
 * in turn: delete a token span, insert a token, swap two tokens, truncate, duplicate a span, insert
 * random bytes (non-ASCII, NUL, lone surrogates, CR, …), replace a character. Each mutant is checked
 * with `checkText` and judged by `checkMutant`:
 *   - checkText never throws;
 *   - it takes under 1 s for an input under 10 kB;
 *   - every diagnostic has a code matching /^SNN\d{4}$/ and a valid range (1 ≤ line ≤ lines,
 *     1 ≤ column ≤ line length + 1, start ≤ end ≤ text length, line/column agree with the offset,
 *     computed here independently of lang/source.ts);
 *   - no diagnostic is SNN9001 (an internal error: a checker rule threw);
 *   - a mutant that is certainly broken gets at least one error. "Certainly broken" is decided from
 *     the mutant's own tokens (SnnLexer; comments and strings cannot hide a bracket) and nothing
 *     else, so the oracle never guesses: the lexer rejects a character or meets an unterminated
 *     string; or its brackets ( ) [ ] { } are not properly nested (every bracket of the grammar
 *     comes in pairs); or it is a truncation that cuts inside a { … } block.
 *   Other mutants may well still be valid (swapping two names, inserting a comment, …), so for
 *   them only the first four properties are asserted.
 */
import * as fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IToken } from 'chevrotain';
import { checkText } from '../compiler/check/index.js';
import type { Diagnostic } from '../lang/diagnostics.js';
import type { Position, Range } from '../lang/source.js';
import { keywordTokens, LBrace, LBracket, LParen, RBrace, RBracket, RParen, SnnLexer, UnterminatedString } from '../lang/tokens.js';

export const REPO_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** The time limit per case, for inputs under SMALL_INPUT_BYTES. */
export const SLOW_MS = 1000;
export const SMALL_INPUT_BYTES = 10_000;
export const CODE_PATTERN = /^SNN\d{4}$/;
export const INTERNAL_ERROR_CODE = 'SNN9001';

// ----------------------------------------------------------------------------------- corpus

export interface CorpusFile {
  /** Path relative to the repository root, with forward slashes. */
  rel: string;
  /** The path mutants are checked under: next to the original, so `use "lib/…"` still resolves. */
  mutantPath: string;
  text: string;
}

function snnFiles(dir: string, recursive: boolean): string[] {
  let names: string[];
  try {
    names = readdirSync(dir, { recursive }).map(String);
  } catch {
    return [];
  }
  return names.filter((n) => n.endsWith('.snn')).map((n) => path.join(dir, n));
}

/**
 * Examples, conformance cases (valid and invalid, with their lib/ helpers) and stdlib files, sorted
 * so that a seed names the same cases while the corpus is unchanged. Mutants are checked under a
 * name of their own (`__fuzz__<name>.snn`): a stdlib file checked under its real path would be
 * answered from the stdlib cache, and a file must not be confused with the original it imports.
 */
export function loadCorpus(): CorpusFile[] {
  const files = [
    ...snnFiles(path.join(REPO_DIR, 'examples'), false),
    ...snnFiles(path.join(REPO_DIR, 'spec', 'conformance', 'valid'), true),
    ...snnFiles(path.join(REPO_DIR, 'spec', 'conformance', 'invalid'), true),
    ...snnFiles(path.join(REPO_DIR, 'stdlib'), false),
  ];
  return files
    .map((abs) => ({
      rel: path.relative(REPO_DIR, abs).split(path.sep).join('/'),
      mutantPath: path.join(path.dirname(abs), `__fuzz__${path.basename(abs)}`),
      text: readFileSync(abs, 'utf8'),
    }))
    .sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

// ----------------------------------------------------------------------------------- mutations

export type Mutation =
  | { op: 'deleteSpan'; at: number; len: number }
  | { op: 'insertToken'; at: number; token: string; before: string; after: string }
  | { op: 'swapTokens'; a: number; b: number }
  | { op: 'truncate'; at: number }
  | { op: 'duplicateSpan'; at: number; len: number; to: number }
  | { op: 'insertBytes'; at: number; bytes: string }
  | { op: 'replaceChar'; at: number; ch: string };

export type MutationOp = Mutation['op'];

export const MUTATION_OPS: readonly MutationOp[] = ['deleteSpan', 'insertToken', 'swapTokens', 'truncate', 'duplicateSpan', 'insertBytes', 'replaceChar'];

/** A case: a corpus file (index) and the mutations applied to it in order. */
export interface MutationPlan {
  file: number;
  mutations: Mutation[];
}

const PUNCTUATION = [
  '->', '+=', '-=', '*=', '/=', '<=', '>=', '==', '!=', '<', '>', '=', '+', '-', '*', '/', '%', '^', "'",
  '(', ')', '{', '}', '[', ']', ',', ':', ';', '.', '::', '!',
];
const NUMBERS = ['0', '1', '2', '42', '-1', '0.1', '.5', '2.', '1e-3', '5e3', '1E+2', '3200', '0.02', '1e999', '99999999999999999999'];
const UNITS = ['ms', 'mV', 'nA', 'pA', 'uS', 'nS', 'nF', 'pF', 'Hz', 'um', 'MΩ', 'µs', 'mV/ms', 'nA*ms', 'um^2', 'ms^-1', 'mV^-1*ms^-1', 'deg', 'rad'];
const QUANTITIES = ['10 ms', '-65 mV', '0.27 nA', '1 mV/ms', '2 um^2', '0.5 uS', '5 Hz', '0.1 ms', '1 ms^-1'];
const NAMES = [
  'Population', 'Projection', 'Assembly', 'IF_curr_exp', 'IF_cond_exp', 'Izhikevich', 'SpikeSourcePoisson', 'SpikeSourceArray', 'LIF', 'LI',
  'StaticSynapse', 'TsodyksMarkram', 'STDP', 'AllToAll', 'OneToOne', 'FixedProbability', 'DistanceDependentProbability', 'FromList',
  'DCSource', 'Grid2D', 'uniform', 'normal', 'exp', 'sqrt', 'max', 'deliver', 'randman', 'adam', 'cross_entropy',
  'v', 'w', 'i', 'd', 'x', 'u', 'tau_m', 'v_th', 'spikes', 'weight', 'delay', 'receptor', 'synapse', 'excitatory', 'inhibitory',
  'initial', 'structure', 'trainable', 'dt', 'seed', 'duration', 'exc', 'inh', 'pi', 'e', 'bss2', 'cpu', '_', 'µ', 'Ω',
];
const OTHER_TOKENS = ['"lib/cells.snn"', '"x.snn"', '""', '"\\"', '"', '# a comment', '\n', '\r\n', '\r', ';', 'stdlib.pynn', 'stdlib'];

/** What insertToken inserts: every keyword, punctuation, numbers, units, names and strings. */
export const INSERT_TOKENS: readonly string[] = [
  ...keywordTokens.map((t) => String(t.PATTERN).slice(1, -1)),
  ...PUNCTUATION,
  ...NUMBERS,
  ...UNITS,
  ...QUANTITIES,
  ...NAMES,
  ...OTHER_TOKENS,
];

/** Characters that are worth inserting on purpose: control characters, BOM, lone surrogates, … */
const SPECIAL_CHARS = [
  '\0', '\r', '\n', '\t', '\f', '\v', '\b', '\x1b', '\x7f', '\u00a0', '\u2028', '\u2029', '\ufeff', '\ufffd', '\ufffe', '\uffff',
  '\ud800', '\udbff', '\udc00', '\udfff', 'µ', 'Ω', 'é', 'ß', '€', '→', '𝑣', '😀', '"', '#', '\\', "'", '{', '}', '(', ')', '[', ']',
];

const char: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...SPECIAL_CHARS) },
  { weight: 2, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.integer({ min: 0x10000, max: 0x10ffff }).map((c) => String.fromCodePoint(c)) },
);

const offset = fc.nat();
const separator = fc.constantFrom('', ' ', ' ', '\n');

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('deleteSpan' as const), at: offset, len: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ op: fc.constant('insertToken' as const), at: offset, token: fc.constantFrom(...INSERT_TOKENS), before: separator, after: separator }),
  fc.record({ op: fc.constant('swapTokens' as const), a: offset, b: offset }),
  fc.record({ op: fc.constant('truncate' as const), at: offset }),
  fc.record({ op: fc.constant('duplicateSpan' as const), at: offset, len: fc.integer({ min: 1, max: 16 }), to: offset }),
  fc.record({ op: fc.constant('insertBytes' as const), at: offset, bytes: fc.array(char, { minLength: 1, maxLength: 12 }).map((a) => a.join('')) }),
  fc.record({ op: fc.constant('replaceChar' as const), at: offset, ch: char }),
);

/**
 * Cases over a corpus of `corpusSize` files: a file (uniformly) and one to three mutations, mostly
 * one: a single mutation more often still parses, so more cases reach the checker's rules.
 */
export function planArb(corpusSize: number): fc.Arbitrary<MutationPlan> {
  if (corpusSize < 1) throw new Error('the fuzz corpus is empty');
  const files = Array.from({ length: corpusSize }, (_, i) => i);
  const mutations = fc.oneof(
    { weight: 6, arbitrary: fc.array(mutationArb, { minLength: 1, maxLength: 1 }) },
    { weight: 3, arbitrary: fc.array(mutationArb, { minLength: 2, maxLength: 2 }) },
    { weight: 1, arbitrary: fc.array(mutationArb, { minLength: 3, maxLength: 3 }) },
  );
  return fc.record({ file: fc.constantFrom(...files), mutations });
}

interface Span {
  start: number;
  /** exclusive */
  end: number;
}

function span(t: IToken): Span {
  return { start: t.startOffset, end: (t.endOffset ?? t.startOffset) + 1 };
}

/** Tokens and comments of a text, in order (what the span operators work on). */
function tokenSpans(text: string): Span[] {
  const lexed = SnnLexer.tokenize(text);
  return [...lexed.tokens, ...(lexed.groups.comments ?? [])].map(span).sort((a, b) => a.start - b.start);
}

/** Where a token may be inserted: before each token, and at the end. */
function boundaries(text: string, spans: Span[]): number[] {
  return [...spans.map((s) => s.start), text.length];
}

export function applyMutation(text: string, m: Mutation): string {
  switch (m.op) {
    case 'truncate':
      return text.slice(0, m.at % (text.length + 1));
    case 'insertBytes': {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + m.bytes + text.slice(at);
    }
    case 'replaceChar': {
      if (text.length === 0) return m.ch;
      const at = m.at % text.length;
      return text.slice(0, at) + m.ch + text.slice(at + 1);
    }
    case 'insertToken': {
      const b = boundaries(text, tokenSpans(text));
      const at = b[m.at % b.length]!;
      return text.slice(0, at) + m.before + m.token + m.after + text.slice(at);
    }
    case 'deleteSpan': {
      const spans = tokenSpans(text);
      if (spans.length === 0) return '';
      const i = m.at % spans.length;
      const j = Math.min(spans.length - 1, i + m.len - 1);
      return text.slice(0, spans[i]!.start) + text.slice(spans[j]!.end);
    }
    case 'duplicateSpan': {
      const spans = tokenSpans(text);
      if (spans.length === 0) return text + text;
      const i = m.at % spans.length;
      const j = Math.min(spans.length - 1, i + m.len - 1);
      const copy = text.slice(spans[i]!.start, spans[j]!.end);
      const b = boundaries(text, spans);
      const at = b[m.to % b.length]!;
      return text.slice(0, at) + copy + ' ' + text.slice(at);
    }
    case 'swapTokens': {
      const spans = tokenSpans(text);
      if (spans.length < 2) return text;
      let i = m.a % spans.length;
      let j = m.b % spans.length;
      if (i === j) j = (i + 1) % spans.length;
      if (i > j) [i, j] = [j, i];
      const a = spans[i]!;
      const b = spans[j]!;
      return text.slice(0, a.start) + text.slice(b.start, b.end) + text.slice(a.end, b.start) + text.slice(a.start, a.end) + text.slice(b.end);
    }
  }
}

export interface Mutant {
  source: CorpusFile;
  plan: MutationPlan;
  text: string;
}

export function applyPlan(corpus: readonly CorpusFile[], plan: MutationPlan): Mutant {
  const source = corpus[plan.file % corpus.length]!;
  let text = source.text;
  for (const m of plan.mutations) text = applyMutation(text, m);
  return { source, plan, text };
}

// ----------------------------------------------------------------------------------- oracle

const OPENERS = new Map([[LParen, RParen], [LBracket, RBracket], [LBrace, RBrace]]);
const CLOSERS = new Set([RParen, RBracket, RBrace]);

/**
 * Why a text is certainly not a valid .snn file, from its tokens alone; empty when the text may
 * be valid. `truncated`: the text is a truncation (its last mutation cut it).
 */
export function brokenReasons(text: string, truncated: boolean): string[] {
  const reasons: string[] = [];
  const lexed = SnnLexer.tokenize(text);
  if (lexed.errors.length > 0) {
    const first = lexed.errors[0]!;
    reasons.push(`the lexer rejects ${lexed.errors.length} character run(s), the first at offset ${first.offset} (${JSON.stringify(text.slice(first.offset, first.offset + 1))})`);
  }
  if (lexed.tokens.some((t) => t.tokenType === UnterminatedString)) reasons.push('an unterminated string');
  const stack: IToken[] = [];
  let nested = true;
  let braceDepth = 0;
  for (const t of lexed.tokens) {
    if (t.tokenType === LBrace) braceDepth++;
    if (t.tokenType === RBrace) braceDepth--;
    if (OPENERS.has(t.tokenType)) stack.push(t);
    else if (CLOSERS.has(t.tokenType)) {
      const open = stack.pop();
      if (!open || OPENERS.get(open.tokenType) !== t.tokenType) nested = false;
    }
  }
  if (stack.length > 0) nested = false;
  if (!nested) reasons.push('brackets ( ) [ ] { } not properly nested');
  if (truncated && braceDepth > 0) reasons.push(`truncated inside a { … } block (${braceDepth} open)`);
  return reasons;
}

export function expectedReasons(m: Mutant): string[] {
  return brokenReasons(m.text, m.plan.mutations[m.plan.mutations.length - 1]?.op === 'truncate');
}

export type FailureKind = 'throw' | 'slow' | 'bad-range' | 'bad-code' | 'missing-diagnostic' | 'internal-error';

export const FAILURE_KINDS: readonly FailureKind[] = ['throw', 'slow', 'bad-range', 'bad-code', 'missing-diagnostic', 'internal-error'];

export interface Failure {
  kind: FailureKind;
  detail: string;
}

export interface MutantResult {
  /** checkText's time in milliseconds. */
  ms: number;
  bytes: number;
  diagnostics: Diagnostic[];
  failures: Failure[];
}

/** Line starts of a text, by '\n' (as lang/source.ts counts lines), computed independently of it. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function positionProblem(p: Position, text: string, starts: number[]): string | undefined {
  if (!Number.isInteger(p.offset) || !Number.isInteger(p.line) || !Number.isInteger(p.column)) return 'not whole numbers';
  if (p.offset < 0 || p.offset > text.length) return `offset outside 0..${text.length}`;
  if (p.line < 1 || p.line > starts.length) return `line outside 1..${starts.length}`;
  const lineStart = starts[p.line - 1]!;
  const lineEnd = p.line < starts.length ? starts[p.line]! - 1 : text.length;
  if (p.column < 1 || p.column > lineEnd - lineStart + 1) return `column outside 1..${lineEnd - lineStart + 1} of line ${p.line}`;
  if (lineStart + p.column - 1 !== p.offset) return `line:column ${p.line}:${p.column} is offset ${lineStart + p.column - 1}, not ${p.offset}`;
  return undefined;
}

export function rangeProblem(r: Range, text: string, starts = lineStarts(text)): string | undefined {
  const s = positionProblem(r.start, text, starts);
  if (s) return `start ${s}`;
  const e = positionProblem(r.end, text, starts);
  if (e) return `end ${e}`;
  if (r.start.offset > r.end.offset) return `start offset ${r.start.offset} after end offset ${r.end.offset}`;
  return undefined;
}

function showRange(r: Range): string {
  return `${r.start.line}:${r.start.column}(@${r.start.offset})-${r.end.line}:${r.end.column}(@${r.end.offset})`;
}

function showDiagnostic(d: Diagnostic): string {
  return `${d.code} ${d.severity} at ${showRange(d.range)}: ${d.message}`;
}

/** Check one text and judge the result; `reasons` non-empty means at least one error is due. */
export function checkMutant(text: string, filePath: string, reasons: readonly string[]): MutantResult {
  const bytes = Buffer.byteLength(text, 'utf8');
  const failures: Failure[] = [];
  let diagnostics: Diagnostic[] = [];
  const t0 = performance.now();
  try {
    diagnostics = checkText(text, filePath).diagnostics;
  } catch (e) {
    const ms = performance.now() - t0;
    failures.push({ kind: 'throw', detail: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    return { ms, bytes, diagnostics, failures };
  }
  const ms = performance.now() - t0;
  if (ms > SLOW_MS && bytes < SMALL_INPUT_BYTES) failures.push({ kind: 'slow', detail: `${ms.toFixed(0)} ms for ${bytes} bytes (limit ${SLOW_MS} ms)` });
  const starts = lineStarts(text);
  for (const d of diagnostics) {
    if (typeof d.code !== 'string' || !CODE_PATTERN.test(d.code)) failures.push({ kind: 'bad-code', detail: `code ${JSON.stringify(d.code)}: ${d.message}` });
    if (d.code === INTERNAL_ERROR_CODE) failures.push({ kind: 'internal-error', detail: showDiagnostic(d) });
    if (d.file !== filePath) continue; // a range in another file cannot be judged against this text
    const bad = rangeProblem(d.range, text, starts);
    if (bad) failures.push({ kind: 'bad-range', detail: `${bad}: ${showDiagnostic(d)}` });
    for (const rel of d.related ?? []) {
      if (rel.file !== filePath) continue;
      const badRel = rangeProblem(rel.range, text, starts);
      if (badRel) failures.push({ kind: 'bad-range', detail: `related '${rel.message}': ${badRel}: ${showDiagnostic(d)}` });
    }
  }
  if (reasons.length > 0 && !diagnostics.some((d) => d.severity === 'error')) {
    failures.push({ kind: 'missing-diagnostic', detail: `certainly broken (${reasons.join('; ')}) but no error reported${diagnostics.length ? `; got ${diagnostics.map(showDiagnostic).join(' | ')}` : ''}` });
  }
  return { ms, bytes, diagnostics, failures };
}

/** Run one case end to end. */
export function runCase(corpus: readonly CorpusFile[], plan: MutationPlan): { mutant: Mutant; reasons: string[]; result: MutantResult } {
  const mutant = applyPlan(corpus, plan);
  const reasons = expectedReasons(mutant);
  return { mutant, reasons, result: checkMutant(mutant.text, mutant.source.mutantPath, reasons) };
}

/** A failing case as text: the file, the mutations, the mutant (JSON-escaped, so NUL and lone surrogates survive) and what failed. */
export function describeCase(mutant: Mutant, failures: readonly Failure[]): string {
  return [
    `corpus file: ${mutant.source.rel}`,
    `mutations: ${JSON.stringify(mutant.plan.mutations)}`,
    `mutant (${mutant.text.length} chars, JSON): ${JSON.stringify(mutant.text)}`,
    ...failures.map((f) => `${f.kind}: ${f.detail}`),
  ].join('\n');
}
