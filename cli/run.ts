/** `snn compile` and `snn run`: thin wrappers over compiler/compile.ts and backends/cpu. */
import { mkdirSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { simulate } from '../backends/cpu/simulate.js';
import { summary, writeResultsHdf5 } from '../backends/cpu/results.js';
import { compileFile, type CompileResult } from '../compiler/compile.js';
import { validateIR } from '../compiler/ir/validate.js';
import { lookupUnit, parseUnitFactors } from '../compiler/units.js';
import { sortDiagnostics } from '../lang/diagnostics.js';
import { writeAtomically } from '../backends/files.js';
import { readWeightsHdf5, weightsMismatch, WeightsFileError } from '../backends/training/weights.js';
import { progress } from './progress.js';
import { renderDiagnostics } from './render-diagnostics.js';

export const EXIT_OK = 0;
export const EXIT_ERRORS = 1;
export const EXIT_USAGE = 2;

export class UsageError extends Error {}

function report(r: CompileResult, color: boolean): void {
  if (r.diagnostics.length === 0) return;
  const out = renderDiagnostics(sortDiagnostics(r.diagnostics), 'text', r.sources, { color });
  if (out) process.stderr.write(out);
}

function exitFor(r: CompileResult): number {
  return r.diagnostics.some((d) => d.code === 'SNN6001') ? EXIT_USAGE : EXIT_ERRORS;
}

/** `500`, `500 ms`, `1 s`, `1s` → ms. */
export function parseDuration(raw: string): number {
  const m = /^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?\d+)?)\s*([A-Za-zµ]*)\s*$/.exec(raw);
  if (!m) throw new UsageError(`--duration: expected a time such as 1000 or 500ms or 2s, got '${raw}'`);
  const value = Number(m[1]);
  if (!m[2]) return value;
  const u = parseUnitFactors([{ name: m[2], power: 1 }]);
  const ms = lookupUnit('ms')!;
  if ('unknown' in u || u.dim.some((x, i) => x !== ms.dim[i])) throw new UsageError(`--duration: '${m[2]}' is not a unit of time`);
  return value * u.scale;
}

/** A command-line whole number >= `min`, e.g. `--epochs 10`. */
export function parseWholeNumber(flag: string, raw: string, min: number): number {
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${flag}: expected a whole number >= ${min}, got '${raw}'`);
  return n;
}

function parseSeed(raw: string): number {
  return parseWholeNumber('--seed', raw, 0);
}

export interface CompileCommandOptions {
  emit: string;
  output?: string;
  color: boolean;
}

export function compileCommand(file: string, opts: CompileCommandOptions): number {
  const r = compileFile(file);
  report(r, opts.color);
  if (!r.ir) return exitFor(r);
  const problems = validateIR(r.ir);
  if (problems.length > 0) throw new Error(`the compiler produced an IR that does not match its schema: ${problems.slice(0, 5).join('; ')}`);
  const text = `${JSON.stringify(r.ir, null, 1)}\n`;
  if (opts.output) writeAtomically(opts.output, text);
  else process.stdout.write(text);
  return EXIT_OK;
}

export interface RunCommandOptions {
  backend: string;
  duration?: string;
  seed?: string;
  output?: string;
  json?: boolean;
  quiet?: boolean;
  /** weights.h5 from snn train, replacing the weights of the projections it names. */
  weights?: string;
  color: boolean;
}

export async function runCommand(file: string, opts: RunCommandOptions): Promise<number> {
  let duration: number | undefined;
  let seed: number | undefined;
  try {
    duration = opts.duration === undefined ? undefined : parseDuration(opts.duration);
    seed = opts.seed === undefined ? undefined : parseSeed(opts.seed);
    if (opts.backend !== 'cpu' && opts.backend !== 'auto') throw new UsageError(`--backend: '${opts.backend}' cannot run simulations yet; use cpu`);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`snn run: ${e.message}\n`);
    return EXIT_USAGE;
  }
  const compileOpts: { duration?: number; seed?: number } = {};
  if (duration !== undefined) compileOpts.duration = duration;
  if (seed !== undefined) compileOpts.seed = seed;
  const r = compileFile(file, compileOpts);
  report(r, opts.color);
  if (!r.ir) return exitFor(r);
  const ir = r.ir;
  let weights: Awaited<ReturnType<typeof readWeightsHdf5>> | undefined;
  if (opts.weights) {
    try {
      weights = await readWeightsHdf5(opts.weights);
      const mismatch = weightsMismatch(ir, weights);
      if (mismatch) throw new WeightsFileError(`${opts.weights}: ${mismatch}`);
    } catch (e) {
      if (!(e instanceof WeightsFileError)) throw e;
      process.stderr.write(`snn run: --weights: ${e.message}\n`);
      return EXIT_USAGE;
    }
  }
  const bar = progress(`simulating ${ir.name} (${ir.duration} ms)`, { quiet: opts.quiet === true || opts.json === true });
  const res = simulate(ir, { onProgress: (f) => bar.update(f), ...(weights ? { weights } : {}) });
  bar.stop();
  const dir = opts.output ?? join('out', basename(file, extname(file)));
  mkdirSync(dir, { recursive: true });
  const h5 = join(dir, 'results.h5');
  await writeResultsHdf5(h5, ir, res, 'cpu');
  const s = summary(ir, res);
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ ...s, backend: 'cpu', seed: ir.seed, synapses: res.synapseCount, build_s: res.buildSeconds, run_s: res.runSeconds, results: h5 })}\n`);
    return EXIT_OK;
  }
  const lines = [`${ir.name}: ${s.duration_ms} ms at dt = ${ir.dt} ms on the cpu backend, seed ${ir.seed}`, ''];
  const w = Math.max(10, ...Object.keys(s.populations).map((k) => k.length));
  lines.push(`  ${'population'.padEnd(w)}  ${'size'.padStart(8)}  ${'spikes'.padStart(10)}  ${'rate (Hz)'.padStart(10)}`);
  for (const [name, p] of Object.entries(s.populations)) {
    lines.push(`  ${name.padEnd(w)}  ${String(p.size).padStart(8)}  ${String(p.spikes).padStart(10)}  ${p.rate_hz.toFixed(2).padStart(10)}`);
  }
  lines.push('', `${res.synapseCount.toLocaleString('en-US')} synapses; built in ${res.buildSeconds.toFixed(2)} s, simulated in ${res.runSeconds.toFixed(2)} s`, `results: ${h5}`);
  if (!opts.quiet) process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT_OK;
}
