/**
 * The conformance cases: every `.snn` file under spec/conformance/valid and
 * spec/conformance/invalid, with the expectations written in its header comment.
 *
 * Header lines (only in the comment block at the top of a file):
 *   # valid: <what the file shows>          valid files: required, one line
 *   # expect-warning: SNN3016 @ 12          valid files: a warning that must be reported
 *   # expect: SNN2002 @ 7                   invalid files: a diagnostic that must be reported
 * Lines are 1-based and name the line where the diagnostic's range starts. Expectations are a
 * multiset: a code reported twice on one line is listed twice.
 *
 * Files under a `lib/` folder are helpers imported with `use "lib/…"`. Under valid/ they are
 * checked as valid cases too; under invalid/ they are cases only when they have `# expect:` lines
 * (a lib file may be broken on purpose, to be imported by a case).
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONFORMANCE_DIR = path.dirname(fileURLToPath(import.meta.url));
export const SPEC_DIR = path.dirname(CONFORMANCE_DIR);
export const REPO_DIR = path.dirname(SPEC_DIR);

export interface Expectation {
  code: string;
  line: number;
}

export interface ConformanceCase {
  kind: 'valid' | 'invalid';
  /** Absolute path, as passed to the checker. */
  path: string;
  /** Path relative to the repository root, with forward slashes, e.g. `spec/conformance/invalid/x.snn`. */
  rel: string;
  /** File name relative to its kind's folder, e.g. `SNN2002-ode-unit-mismatch.snn` or `lib/neurons.snn`. */
  name: string;
  text: string;
  /** The `# valid:` description (valid files). */
  description?: string;
  /** `# expect:` lines for invalid files, `# expect-warning:` lines for valid files. */
  expect: Expectation[];
  /** Problems with the header itself; a case with any of these fails. */
  headerErrors: string[];
  /** In a `lib/` folder. */
  isLib: boolean;
}

const EXPECT = /^#\s*(expect|expect-warning)\s*:\s*(\S+)\s*@\s*(\S+)\s*$/;
const VALID = /^#\s*valid\s*:\s*(.*)$/;

/** The comment block at the top of a file: leading lines that are comments or blank. */
function headerLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  const out: string[] = [];
  for (const l of lines) {
    const t = l.trim();
    if (t !== '' && !t.startsWith('#')) break;
    out.push(t);
  }
  return out;
}

/** Reads the expectations of one file. */
export function parseHeader(kind: 'valid' | 'invalid', text: string): Pick<ConformanceCase, 'description' | 'expect' | 'headerErrors'> {
  const expect: Expectation[] = [];
  const headerErrors: string[] = [];
  let description: string | undefined;
  const lineCount = text.split(/\r?\n/).length;
  headerLines(text).forEach((l, i) => {
    const where = `header line ${i + 1}`;
    const v = VALID.exec(l);
    if (v) {
      if (kind !== 'valid') headerErrors.push(`${where}: '# valid:' in an invalid case`);
      else if (description !== undefined) headerErrors.push(`${where}: a second '# valid:' line`);
      description = v[1]!.trim();
      if (description === '') headerErrors.push(`${where}: '# valid:' needs a description`);
      return;
    }
    if (!/^#\s*expect/.test(l)) return;
    const m = EXPECT.exec(l);
    if (!m) {
      headerErrors.push(`${where}: malformed expectation '${l}' (write '# expect: SNN1234 @ 7')`);
      return;
    }
    const [, key, code, lineText] = m as unknown as [string, string, string, string];
    const line = Number(lineText);
    if (!/^SNN\d{4}$/.test(code)) headerErrors.push(`${where}: '${code}' is not a code like SNN1234`);
    if (!Number.isInteger(line) || line < 1 || line > lineCount) headerErrors.push(`${where}: line ${lineText} is not a line of this file (1..${lineCount})`);
    if (kind === 'valid' && key !== 'expect-warning') headerErrors.push(`${where}: valid cases declare warnings with '# expect-warning:'`);
    if (kind === 'invalid' && key !== 'expect') headerErrors.push(`${where}: invalid cases declare diagnostics with '# expect:'`);
    expect.push({ code, line });
  });
  if (kind === 'valid' && description === undefined) headerErrors.push("a valid case needs a '# valid: <what it shows>' header line");
  return description === undefined ? { expect, headerErrors } : { description, expect, headerErrors };
}

function snnFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e.isDirectory()) out.push(...snnFiles(path.join(dir, e.name), `${prefix}${e.name}/`));
    else if (e.isFile() && e.name.endsWith('.snn')) out.push(`${prefix}${e.name}`);
  }
  return out;
}

/** Top-level files first, then files in sub-folders; each group in code-point order of the name. */
function compareNames(a: string, b: string): number {
  const da = a.split('/').length;
  const db = b.split('/').length;
  return da - db || (a < b ? -1 : a > b ? 1 : 0);
}

/** All conformance cases, valid ones first, in a stable order. */
export function loadCases(): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  for (const kind of ['valid', 'invalid'] as const) {
    const dir = path.join(CONFORMANCE_DIR, kind);
    for (const name of snnFiles(dir).sort(compareNames)) {
      const abs = path.join(dir, ...name.split('/'));
      const text = readFileSync(abs, 'utf8');
      const isLib = name.split('/').includes('lib');
      const header = parseHeader(kind, text);
      if (kind === 'invalid' && header.expect.length === 0) {
        if (isLib) continue; // a helper, broken or not, imported by a case
        header.headerErrors.push("an invalid case needs at least one '# expect: SNN1234 @ LINE' header line");
      }
      cases.push({
        kind,
        path: abs,
        rel: path.relative(REPO_DIR, abs).split(path.sep).join('/'),
        name,
        text,
        isLib,
        ...header,
      });
    }
  }
  return cases;
}

/** `SNN2002 @ 7` */
export function formatExpectation(e: Expectation): string {
  return `${e.code} @ ${e.line}`;
}

/**
 * Multiset difference of expectations: what `expected` has that `actual` lacks (`missing`) and
 * the reverse (`extra`), each sorted by line then code.
 */
export function diffExpectations<T extends Expectation>(expected: readonly Expectation[], actual: readonly T[]): { missing: Expectation[]; extra: T[] } {
  const key = (e: Expectation) => `${e.code}@${e.line}`;
  const pool = new Map<string, number>();
  for (const e of expected) pool.set(key(e), (pool.get(key(e)) ?? 0) + 1);
  const extra: T[] = [];
  for (const a of actual) {
    const n = pool.get(key(a)) ?? 0;
    if (n > 0) pool.set(key(a), n - 1);
    else extra.push(a);
  }
  const missing: Expectation[] = [];
  for (const e of expected) {
    const n = pool.get(key(e)) ?? 0;
    if (n > 0) {
      missing.push(e);
      pool.set(key(e), n - 1);
    }
  }
  const byLine = (a: Expectation, b: Expectation) => a.line - b.line || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);
  return { missing: missing.sort(byLine), extra: extra.sort(byLine) };
}
