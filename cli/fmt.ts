/** `snn fmt`: rewrite files in canonical form, atomically; `--check` only reports. */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { SourceFile } from '../lang/source.js';
import { format } from '../lang/format.js';
import { makeDiagnostic, type Diagnostic } from '../lang/diagnostics.js';
import { fileStartRange } from '../lang/source.js';
import { renderDiagnostics } from './render-diagnostics.js';

export function runFmt(files: string[], opts: { check: boolean; color: boolean }): number {
  let code = 0;
  const problems: Diagnostic[] = [];
  const sources = new Map<string, SourceFile>();
  let unreadable = false;
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch (e) {
      problems.push(makeDiagnostic('FileNotReadable', f, fileStartRange(), [f, (e as NodeJS.ErrnoException).code ?? String(e)]));
      unreadable = true;
      continue;
    }
    const r = format(text, f);
    if ('error' in r) {
      problems.push(...r.error);
      sources.set(f, new SourceFile(f, text));
      code = Math.max(code, 1);
      continue;
    }
    if (!r.changed) continue;
    if (opts.check) {
      process.stdout.write(`${f}: would be reformatted\n`);
      code = Math.max(code, 1);
      continue;
    }
    // Write next to the file and rename over it, so an interruption never leaves half a file.
    const tmp = `${f}.snn-fmt-${process.pid}.tmp`;
    writeFileSync(tmp, r.output);
    renameSync(tmp, f);
    process.stdout.write(`${f}: formatted\n`);
  }
  if (problems.length > 0) process.stderr.write(renderDiagnostics(problems, 'text', sources, { color: opts.color }));
  return unreadable ? 2 : code;
}
