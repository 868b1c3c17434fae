/**
 * The checker's entry points. A document moves through named stages:
 *   parsed → resolved (imports, stdlib) → checked (names, units, structure).
 * Checking stops after syntax errors in a file, as Langium's `stopAfterParsingErrors` does:
 * a broken tree would only produce follow-on noise.
 */
import { readFileSync } from 'node:fs';
import type { Document } from '../../lang/ast.js';
import { makeDiagnostic, sortDiagnostics, type Diagnostic } from '../../lang/diagnostics.js';
import { parse } from '../../lang/parse.js';
import { fileStartRange, type SourceFile } from '../../lang/source.js';

export interface CheckOptions {
  /** Reads a file for `use "…"`; defaults to the file system. Returns undefined when unreadable. */
  readFile?: (path: string) => string | undefined;
}

export interface CheckResult {
  diagnostics: Diagnostic[];
  sources: Map<string, SourceFile>;
  documents: Map<string, Document>;
}

export function checkText(text: string, path: string, _opts: CheckOptions = {}): CheckResult {
  const parsed = parse(text, path);
  return {
    diagnostics: sortDiagnostics([...parsed.diagnostics]),
    sources: new Map([[path, parsed.source]]),
    documents: new Map([[path, parsed.ast]]),
  };
}

export function checkFiles(paths: readonly string[], opts: CheckOptions = {}): CheckResult {
  const result: CheckResult = { diagnostics: [], sources: new Map(), documents: new Map() };
  for (const p of paths) {
    let text: string;
    try {
      text = readFileSync(p, 'utf8');
    } catch (e) {
      result.diagnostics.push(makeDiagnostic('FileNotReadable', p, fileStartRange(), [p, (e as NodeJS.ErrnoException).code ?? String(e)]));
      continue;
    }
    const r = checkText(text, p, opts);
    result.diagnostics.push(...r.diagnostics);
    for (const [k, v] of r.sources) result.sources.set(k, v);
    for (const [k, v] of r.documents) result.documents.set(k, v);
  }
  return result;
}
