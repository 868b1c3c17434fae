/**
 * Render diagnostics for people and for machines.
 *
 * Formats:
 *   text    human-readable, compiler style, with a source excerpt and a caret underline
 *   json    a pretty-printed array of flat records (stable, documented below)
 *   sarif   SARIF 2.1.0, for code-scanning tools
 *   github  GitHub Actions workflow commands (`::error file=…::message`), one per line
 *
 * Diagnostics are rendered in the order given; sort them first (`sortDiagnostics`) for stable
 * output. Every non-empty result ends with a newline; `github` with no diagnostics is ''.
 *
 * Positions: lines and columns are 1-based and count UTF-16 code units, exactly as in `Range`.
 * End positions are exclusive: `endColumn` is the column just after the last character.
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Diagnostic, Severity } from '../lang/diagnostics.js';
import type { SourceFile } from '../lang/source.js';

export type OutputFormat = 'text' | 'json' | 'sarif' | 'github';

export const OUTPUT_FORMATS: readonly OutputFormat[] = ['text', 'json', 'sarif', 'github'];

/** Metadata for one rule (catalogue entry), used for SARIF `tool.driver.rules`. */
export interface RuleInfo {
  code: string;
  name: string;
  doc: string;
  severity: string;
}

export interface RenderOptions {
  /** Use ANSI colours in `text` output. Off unless set. */
  color?: boolean;
  /** `tool.driver.version` in SARIF; omitted when not given. */
  toolVersion?: string;
  /** Rule metadata by code for SARIF; codes not listed fall back to the diagnostic itself. */
  rules?: RuleInfo[];
  /**
   * Directory that paths are made relative to for `sarif` and `github` output (default:
   * `process.cwd()`). Relative `file` names are used as they are.
   */
  baseDir?: string;
}

export function renderDiagnostics(
  diags: Diagnostic[],
  format: OutputFormat,
  sources: Map<string, SourceFile>,
  opts: RenderOptions = {},
): string {
  switch (format) {
    case 'json':
      return renderJson(diags);
    case 'sarif':
      return renderSarif(diags, opts);
    case 'github':
      return renderGithub(diags, opts);
    case 'text':
    default:
      return renderText(diags, sources, opts);
  }
}

// ---------------------------------------------------------------------------------------------
// text

const TAB_WIDTH = 4;

const ansi = {
  reset: '\x1b[0m',
  bold: '\x1b[1m',
  red: '\x1b[31m',
  yellow: '\x1b[33m',
  blue: '\x1b[34m',
  cyan: '\x1b[36m',
  green: '\x1b[32m',
} as const;

type Paint = (style: string, s: string) => string;

function severityStyle(sev: Severity): string {
  return sev === 'error' ? ansi.red : sev === 'warning' ? ansi.yellow : ansi.cyan;
}

/** Control characters other than tab and newline are shown escaped, never sent to the terminal. */
function sanitize(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

/**
 * Expand a source line for display: tabs go to the next multiple of TAB_WIDTH, control
 * characters become U+FFFD. `cols[i]` is the display column (0-based) where UTF-16 unit `i`
 * starts; `cols[line.length]` is the display width of the whole line.
 */
export function layoutLine(line: string): { display: string; cols: number[] } {
  let display = '';
  const cols: number[] = [];
  let col = 0;
  for (let i = 0; i < line.length; ) {
    const cp = line.codePointAt(i) ?? 0;
    const units = cp > 0xffff ? 2 : 1;
    for (let k = 0; k < units; k++) cols.push(col);
    if (cp === 9) {
      const w = TAB_WIDTH - (col % TAB_WIDTH);
      display += ' '.repeat(w);
      col += w;
    } else if (cp < 0x20 || cp === 0x7f) {
      display += '\ufffd';
      col += 1;
    } else {
      const ch = String.fromCodePoint(cp);
      display += ch;
      col += /\p{M}/u.test(ch) || cp === 0x200b ? 0 : isWide(cp) ? 2 : 1;
    }
    i += units;
  }
  cols.push(col);
  return { display, cols };
}

/**
 * The source line of `d`'s start and an underline beneath it: `^` then `~` over the rest of the
 * range, clipped to that line (a range running onto later lines is underlined to the line's
 * end). Empty ranges, and ranges starting past the end of the line, get a single `^`.
 */
export function excerpt(src: SourceFile, d: Diagnostic): { lineNo: number; display: string; underline: string } | undefined {
  const lineNo = d.range.start.line;
  if (lineNo < 1 || lineNo > src.lineCount) return undefined;
  const text = src.lineText(lineNo);
  const { display, cols } = layoutLine(text);
  const startIdx = Math.min(Math.max(d.range.start.column - 1, 0), text.length);
  const endCol = d.range.end.line === lineNo ? d.range.end.column : text.length + 1;
  const endIdx = Math.min(Math.max(endCol - 1, startIdx), text.length);
  const from = cols[startIdx];
  const width = Math.max(1, cols[endIdx] - from);
  return { lineNo, display, underline: ' '.repeat(from) + '^' + '~'.repeat(width - 1) };
}

function plural(n: number, word: string, pluralWord = `${word}s`): string {
  return `${n} ${n === 1 ? word : pluralWord}`;
}

/** `2 errors, 1 warning in 3 files`, counting files that have diagnostics; `no problems` if none. */
export function summaryLine(diags: readonly Diagnostic[]): string {
  if (diags.length === 0) return 'no problems';
  let errors = 0;
  let warnings = 0;
  let infos = 0;
  for (const d of diags) {
    if (d.severity === 'error') errors++;
    else if (d.severity === 'warning') warnings++;
    else infos++;
  }
  const parts: string[] = [];
  if (errors > 0) parts.push(plural(errors, 'error'));
  if (warnings > 0) parts.push(plural(warnings, 'warning'));
  if (infos > 0) parts.push(plural(infos, 'info', 'info'));
  const files = new Set(diags.map((d) => d.file)).size;
  return `${parts.join(', ')} in ${plural(files, 'file')}`;
}

function renderText(diags: Diagnostic[], sources: Map<string, SourceFile>, opts: RenderOptions): string {
  const paint: Paint = opts.color ? (style, s) => `${style}${s}${ansi.reset}` : (_style, s) => s;
  const blocks: string[] = [];
  for (const d of diags) {
    const lines: string[] = [];
    const loc = `${d.file}:${d.range.start.line}:${d.range.start.column}:`;
    lines.push(
      `${paint(ansi.bold, loc)} ${paint(ansi.bold + severityStyle(d.severity), d.severity)} ` +
        `${paint(ansi.bold, d.code)}: ${paint(ansi.bold, sanitize(d.message))}`,
    );
    const src = sources.get(d.file);
    const ex = src ? excerpt(src, d) : undefined;
    if (ex) {
      const num = String(ex.lineNo);
      const pad = ' '.repeat(num.length);
      lines.push(`  ${paint(ansi.blue, `${num} |`)} ${ex.display}`.trimEnd());
      lines.push(`  ${paint(ansi.blue, `${pad} |`)} ${paint(ansi.bold + severityStyle(d.severity), ex.underline)}`);
    }
    if (d.hint !== undefined) lines.push(`  = ${paint(ansi.bold + ansi.green, 'hint')}: ${sanitize(d.hint)}`);
    for (const r of d.related ?? []) {
      lines.push(`${paint(ansi.bold, `${r.file}:${r.range.start.line}:${r.range.start.column}:`)} ${paint(ansi.bold + ansi.cyan, 'note')}: ${sanitize(r.message)}`);
    }
    blocks.push(lines.join('\n') + '\n');
  }
  const summary = summaryLine(diags);
  const errors = diags.some((d) => d.severity === 'error');
  const warnings = diags.some((d) => d.severity === 'warning');
  const style = errors ? ansi.bold + ansi.red : warnings ? ansi.bold + ansi.yellow : ansi.bold;
  blocks.push(paint(style, summary) + '\n');
  return blocks.join('\n');
}

// ---------------------------------------------------------------------------------------------
// json

/**
 * One record of `--format json`. Lines and columns are 1-based (UTF-16 code units); `endLine` and
 * `endColumn` are exclusive, taken straight from `range.end`: a one-character problem at column 5
 * has `column: 5, endColumn: 6`; an empty range has `endColumn === column`.
 */
export interface JsonDiagnostic {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: Severity;
  code: string;
  message: string;
  hint?: string;
}

export function toJsonDiagnostic(d: Diagnostic): JsonDiagnostic {
  const j: JsonDiagnostic = {
    file: d.file,
    line: d.range.start.line,
    column: d.range.start.column,
    endLine: d.range.end.line,
    endColumn: d.range.end.column,
    severity: d.severity,
    code: d.code,
    message: d.message,
  };
  if (d.hint !== undefined) j.hint = d.hint;
  return j;
}

function renderJson(diags: Diagnostic[]): string {
  return JSON.stringify(diags.map(toJsonDiagnostic), null, 2) + '\n';
}

// ---------------------------------------------------------------------------------------------
// paths (sarif, github)

/** `file` relative to `baseDir` with forward slashes, or undefined if it lies outside it. */
function relativePath(file: string, baseDir: string): string | undefined {
  let rel = file;
  if (path.isAbsolute(file)) {
    rel = path.relative(baseDir, file);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  }
  rel = rel.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
  return rel;
}

/** Slash-separated path for GitHub (relative to the workspace where possible). */
function githubPath(file: string, opts: RenderOptions): string {
  return relativePath(file, opts.baseDir ?? process.cwd()) ?? file.replace(/\\/g, '/');
}

// ---------------------------------------------------------------------------------------------
// sarif

export type SarifLevel = 'error' | 'warning' | 'note' | 'none';

export interface SarifRegion {
  startLine: number;
  startColumn: number;
  endLine: number;
  endColumn: number;
}

export interface SarifLocation {
  physicalLocation: {
    artifactLocation: { uri: string; uriBaseId?: string };
    region: SarifRegion;
  };
  message?: { text: string };
}

export interface SarifRule {
  id: string;
  name: string;
  shortDescription: { text: string };
  defaultConfiguration: { level: SarifLevel };
}

export interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: SarifLevel;
  message: { text: string };
  locations: SarifLocation[];
  relatedLocations?: SarifLocation[];
}

export interface SarifLog {
  $schema: string;
  version: '2.1.0';
  runs: Array<{
    tool: { driver: { name: string; informationUri: string; version?: string; rules: SarifRule[] } };
    columnKind: 'utf16CodeUnits';
    results: SarifResult[];
  }>;
}

function sarifLevel(sev: string): SarifLevel {
  switch (sev) {
    case 'error':
      return 'error';
    case 'warning':
      return 'warning';
    case 'info':
    case 'note':
      return 'note';
    case 'none':
      return 'none';
    default:
      return 'warning';
  }
}

function sarifArtifact(file: string, baseDir: string): { uri: string; uriBaseId?: string } {
  const rel = relativePath(file, baseDir);
  if (rel === undefined) return { uri: pathToFileURL(file).href };
  return { uri: rel.split('/').map(encodeURIComponent).join('/'), uriBaseId: '%SRCROOT%' };
}

function sarifLocation(file: string, range: Diagnostic['range'], baseDir: string): SarifLocation {
  return {
    physicalLocation: {
      artifactLocation: sarifArtifact(file, baseDir),
      region: {
        startLine: range.start.line,
        startColumn: range.start.column,
        endLine: range.end.line,
        endColumn: range.end.column,
      },
    },
  };
}

export function toSarif(diags: readonly Diagnostic[], opts: RenderOptions = {}): SarifLog {
  const baseDir = opts.baseDir ?? process.cwd();
  const meta = new Map((opts.rules ?? []).map((r) => [r.code, r]));
  const rules: SarifRule[] = [];
  const ruleIndex = new Map<string, number>();
  const results: SarifResult[] = [];
  for (const d of diags) {
    let index = ruleIndex.get(d.code);
    if (index === undefined) {
      const m = meta.get(d.code);
      index = rules.length;
      ruleIndex.set(d.code, index);
      rules.push({
        id: d.code,
        name: m?.name ?? d.name,
        shortDescription: { text: m?.doc ?? d.name },
        defaultConfiguration: { level: sarifLevel(m?.severity ?? d.severity) },
      });
    }
    const result: SarifResult = {
      ruleId: d.code,
      ruleIndex: index,
      level: sarifLevel(d.severity),
      message: { text: d.hint !== undefined ? `${d.message} Hint: ${d.hint}` : d.message },
      locations: [sarifLocation(d.file, d.range, baseDir)],
    };
    if (d.related && d.related.length > 0) {
      result.relatedLocations = d.related.map((r) => ({ ...sarifLocation(r.file, r.range, baseDir), message: { text: r.message } }));
    }
    results.push(result);
  }
  const driver: SarifLog['runs'][number]['tool']['driver'] = {
    name: 'snn',
    informationUri: 'https://github.com/snn-lang/snn',
    rules,
  };
  if (opts.toolVersion !== undefined) driver.version = opts.toolVersion;
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{ tool: { driver }, columnKind: 'utf16CodeUnits', results }],
  };
}

function renderSarif(diags: Diagnostic[], opts: RenderOptions): string {
  return JSON.stringify(toSarif(diags, opts), null, 2) + '\n';
}

// ---------------------------------------------------------------------------------------------
// github

/** Escape workflow-command data (the message): `%`, CR, LF. */
export function escapeGithubData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escape a workflow-command property value: as data, plus `:` and `,`. */
export function escapeGithubProperty(s: string): string {
  return escapeGithubData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/**
 * One workflow command per diagnostic. `col`/`endColumn` are sent only for single-line ranges:
 * the Actions runner rejects columns when `line` and `endLine` differ.
 */
function renderGithub(diags: Diagnostic[], opts: RenderOptions): string {
  const out: string[] = [];
  for (const d of diags) {
    const command = d.severity === 'error' ? 'error' : d.severity === 'warning' ? 'warning' : 'notice';
    const { start, end } = d.range;
    const props: Array<[string, string]> = [
      ['file', githubPath(d.file, opts)],
      ['line', String(start.line)],
    ];
    if (start.line === end.line) props.push(['col', String(start.column)]);
    props.push(['endLine', String(end.line)]);
    if (start.line === end.line) props.push(['endColumn', String(end.column)]);
    props.push(['title', d.code]);
    const message = d.hint !== undefined ? `${d.message}\nhint: ${d.hint}` : d.message;
    out.push(`::${command} ${props.map(([k, v]) => `${k}=${escapeGithubProperty(v)}`).join(',')}::${escapeGithubData(message)}`);
  }
  return out.length === 0 ? '' : out.join('\n') + '\n';
}
