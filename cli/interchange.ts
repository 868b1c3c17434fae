/** `snn export` and `snn import`: thin wrappers over backends/nir and backends/pynn. */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import type { Finding } from '../backends/findings.js';
import { NirImportError } from '../backends/nir/errors.js';
import { exportNir } from '../backends/nir/export.js';
import { readNir, writeNir } from '../backends/nir/hdf5.js';
import { importNir } from '../backends/nir/import.js';
import { exportPynn } from '../backends/pynn/export.js';
import { compileFile } from '../compiler/compile.js';
import { makeDiagnostic, sortDiagnostics, type Diagnostic } from '../lang/diagnostics.js';
import { fileStartRange, type Range } from '../lang/source.js';
import { renderDiagnostics } from './render-diagnostics.js';
import { writeAtomically } from '../backends/files.js';
import { EXIT_ERRORS, EXIT_OK, EXIT_USAGE } from './run.js';

export const EXPORT_TARGETS = ['nir', 'pynn'] as const;
export type ExportTarget = (typeof EXPORT_TARGETS)[number];

export interface ExportCommandOptions {
  target: ExportTarget;
  output: string;
  color: boolean;
  version: string;
}

/** A backend's findings as diagnostics at the model's lines. */
export function findingsToDiagnostics(findings: readonly Finding[], file: string, locations: ReadonlyMap<string, Range>, fallback: Range): Diagnostic[] {
  return findings.map((f) => makeDiagnostic(f.name, file, (f.at && locations.get(f.at)) || fallback, f.args));
}

export async function exportCommand(file: string, opts: ExportCommandOptions): Promise<number> {
  const locations = new Map<string, Range>();
  // NIR carries data-source inputs as Input nodes; a network without a duration still exports.
  const r = compileFile(file, { keepDataSources: opts.target === 'nir', defaultDuration: 1000, locations });
  const diagnostics = [...r.diagnostics];
  let exitCode = EXIT_OK;
  if (!r.ir) {
    exitCode = r.diagnostics.some((d) => d.code === 'SNN6001') ? EXIT_USAGE : EXIT_ERRORS;
  } else {
    const fallback = fileStartRange();
    if (opts.target === 'nir') {
      const e = exportNir(r.ir, { snnVersion: opts.version });
      diagnostics.push(...findingsToDiagnostics(e.findings, file, locations, fallback));
      if (e.graph) await writeNir(opts.output, e.graph);
      else exitCode = EXIT_ERRORS;
    } else {
      const e = exportPynn(r.ir, { sourceName: basename(file), snnVersion: opts.version });
      diagnostics.push(...findingsToDiagnostics(e.findings, file, locations, fallback));
      if (e.script) writeAtomically(opts.output, e.script);
      else exitCode = EXIT_ERRORS;
    }
  }
  const out = renderDiagnostics(sortDiagnostics(diagnostics), 'text', r.sources, { color: opts.color });
  if (out) process.stderr.write(out);
  if (exitCode === EXIT_OK) process.stderr.write(`wrote ${opts.output}\n`);
  return exitCode;
}

export interface ImportCommandOptions {
  output: string;
  color: boolean;
}

/**
 * Writes OUT.snn and, beside it, OUT.data/ with the connection files it reads. Both are built
 * under temporary names first, so a failure leaves nothing half-written.
 */
export async function importCommand(file: string, opts: ImportCommandOptions): Promise<number> {
  if (!existsSync(file)) {
    process.stderr.write(renderDiagnostics([makeDiagnostic('FileNotReadable', file, fileStartRange(), [file, 'ENOENT'])], 'text', new Map(), { color: opts.color }));
    return EXIT_USAGE;
  }
  const stem = basename(opts.output, extname(opts.output));
  const dataDir = `${stem}.data`;
  let result;
  try {
    const graph = await readNir(file);
    result = importNir(graph, { dataDir, sourceName: basename(file) });
  } catch (e) {
    if (!(e instanceof NirImportError)) throw e;
    process.stderr.write(renderDiagnostics([makeDiagnostic('InvalidNir', file, fileStartRange(), [basename(file), e.message])], 'text', new Map(), { color: opts.color }));
    return EXIT_ERRORS;
  }
  const dir = dirname(opts.output) || '.';
  mkdirSync(dir, { recursive: true });
  const finalData = join(dir, dataDir);
  const tmpData = `${finalData}.tmp-${process.pid}`;
  try {
    rmSync(tmpData, { recursive: true, force: true });
    mkdirSync(tmpData, { recursive: true });
    for (const [rel, text] of result.dataFiles) writeFileSync(join(tmpData, rel.slice(dataDir.length + 1)), text);
    rmSync(finalData, { recursive: true, force: true });
    renameSync(tmpData, finalData);
    writeAtomically(opts.output, result.text);
  } catch (e) {
    rmSync(tmpData, { recursive: true, force: true });
    throw e;
  }
  process.stderr.write(`wrote ${opts.output} and ${result.dataFiles.size} connection file(s) in ${finalData}\n`);
  return EXIT_OK;
}
