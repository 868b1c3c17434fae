/**
 * Diagnostics are values (DESIGN principle 8): every user-facing problem has a stable code from
 * the catalogue in `messages.ts`, a message, a source range, and where it helps a hint.
 */
import type { Range } from './source.js';
import { Messages, type MessageDef, type MessageName } from './messages.js';

export type Severity = 'error' | 'warning' | 'info';

export interface RelatedInfo {
  file: string;
  range: Range;
  message: string;
}

export interface Diagnostic {
  code: string;
  /** The catalogue entry's name, e.g. `UnknownName`. */
  name: MessageName;
  severity: Severity;
  message: string;
  file: string;
  range: Range;
  hint?: string;
  related?: RelatedInfo[];
}

/** Fill `{0}`, `{1}`, … placeholders. */
export function formatMessage(template: string, args: readonly (string | number)[]): string {
  return template.replace(/\{(\d+)\}/g, (m, i: string) => (args[Number(i)] !== undefined ? String(args[Number(i)]) : m));
}

export interface DiagnosticOptions {
  hint?: string;
  related?: RelatedInfo[];
  /** Override the catalogue's default severity (rare: e.g. a check promoted by `--strict`). */
  severity?: Severity;
}

export function makeDiagnostic(
  name: MessageName,
  file: string,
  range: Range,
  args: readonly (string | number)[] = [],
  opts: DiagnosticOptions = {},
): Diagnostic {
  const def: MessageDef = Messages[name];
  const d: Diagnostic = {
    code: def.code,
    name,
    severity: opts.severity ?? def.severity,
    message: formatMessage(def.message, args),
    file,
    range,
  };
  const hint = opts.hint ?? (def.hint !== undefined ? formatMessage(def.hint, args) : undefined);
  if (hint !== undefined) d.hint = hint;
  if (opts.related && opts.related.length > 0) d.related = opts.related;
  return d;
}

export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === 'error');
}

/** Sort by file, then position, then code, so output is stable. */
export function sortDiagnostics(diags: Diagnostic[]): Diagnostic[] {
  return diags.sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      a.range.start.offset - b.range.start.offset ||
      (a.code < b.code ? -1 : a.code > b.code ? 1 : 0),
  );
}
