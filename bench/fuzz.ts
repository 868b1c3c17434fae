/**
 * The robustness property of spec/robustness.test.ts at scale:
 *
 *   npx tsx bench/fuzz.ts [--cases 100000] [--seed N]
 *
 * Mutates the corpus (examples, conformance cases, stdlib) with the operators of spec/mutate.ts,
 * checks every mutant with checkText, prints progress every 10,000 cases and a summary: failures by
 * kind, max and p99 time per case. The first 20 failing cases are written to
 * bench/out/fuzz-failures/ (NNN.json: file, mutations, the mutant as a JSON string, failures;
 * NNN.snn: the mutant itself, where lone surrogates become U+FFFD). Exit status 1 on any failure.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as fc from 'fast-check';
import { checkText } from '../compiler/check/index.js';
import { benchArgs, wholeNumber } from './common.js';
import { FAILURE_KINDS, loadCorpus, planArb, REPO_DIR, runCase, SLOW_MS, SMALL_INPUT_BYTES, type Failure, type FailureKind, type Mutant } from '../spec/mutate.js';

const CHUNK = 10_000;
const KEEP = 20;

const args = benchArgs({ cases: { type: 'string' }, seed: { type: 'string' } }, 'npx tsx bench/fuzz.ts [--cases N] [--seed N]');

const cases = wholeNumber(args.cases, 'cases', 100_000, 0);
const seed = wholeNumber(args.seed, 'seed', 20260611, 0);
const outDir = path.join(REPO_DIR, 'bench', 'out');
const failDir = path.join(outDir, 'fuzz-failures');

const corpus = loadCorpus();
console.log(`fuzz: ${cases} cases, seed ${seed}, corpus of ${corpus.length} files`);
for (const f of corpus) checkText(f.text, f.mutantPath); // warm-up: stdlib loaded, checker compiled

const times = new Float64Array(cases);
const byKind = new Map<FailureKind, number>(FAILURE_KINDS.map((k) => [k, 0]));
const kept: { mutant: Mutant; failures: Failure[]; ms: number }[] = [];
let failing = 0;
let broken = 0;
let withErrors = 0;
let maxMs = 0;
let maxCase: { rel: string; bytes: number } | undefined;
let maxSmallMs = 0;

rmSync(failDir, { recursive: true, force: true });

const start = performance.now();
let chunkStart = start;
let done = 0;
for (let chunk = 0; done < cases; chunk++) {
  const n = Math.min(CHUNK, cases - done);
  // One sample per chunk, seeded from the run's seed: reproducible and never all in memory at once.
  const plans = fc.sample(planArb(corpus.length), { seed: seed + chunk, numRuns: n });
  for (const plan of plans) {
    const { mutant, reasons, result } = runCase(corpus, plan);
    times[done] = result.ms;
    if (result.ms > maxMs) {
      maxMs = result.ms;
      maxCase = { rel: mutant.source.rel, bytes: result.bytes };
    }
    if (result.bytes < SMALL_INPUT_BYTES) maxSmallMs = Math.max(maxSmallMs, result.ms);
    if (reasons.length > 0) broken++;
    if (result.diagnostics.some((d) => d.severity === 'error')) withErrors++;
    if (result.failures.length > 0) {
      failing++;
      for (const k of new Set(result.failures.map((f) => f.kind))) byKind.set(k, (byKind.get(k) ?? 0) + 1);
      if (kept.length < KEEP) kept.push({ mutant, failures: result.failures, ms: result.ms });
    }
    done++;
  }
  const now = performance.now();
  if (done % CHUNK === 0 || done === cases) {
    console.log(
      `  ${String(done).padStart(8)} cases  ${((n / (now - chunkStart)) * 1000).toFixed(0).padStart(6)} cases/s (this chunk)  ` +
        `${((done / (now - start)) * 1000).toFixed(0).padStart(6)} cases/s (overall)  failing so far: ${failing}`,
    );
  }
  chunkStart = now;
}
const totalS = (performance.now() - start) / 1000;

const sorted = Array.from(times).sort((a, b) => a - b);
const pct = (p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;

if (kept.length > 0) {
  mkdirSync(failDir, { recursive: true });
  // bench/out holds generated files only; keep them out of version control.
  writeFileSync(path.join(outDir, '.gitignore'), '*\n');
  kept.forEach((k, i) => {
    const id = String(i + 1).padStart(3, '0');
    const record = {
      corpusFile: k.mutant.source.rel,
      checkedAs: path.relative(REPO_DIR, k.mutant.source.mutantPath),
      mutations: k.mutant.plan.mutations,
      ms: Number(k.ms.toFixed(2)),
      failures: k.failures,
      text: k.mutant.text,
    };
    writeFileSync(path.join(failDir, `${id}.json`), JSON.stringify(record, null, 2) + '\n');
    writeFileSync(path.join(failDir, `${id}.snn`), k.mutant.text);
  });
}

const fmt = (ms: number): string => `${ms.toFixed(1)} ms`;
console.log('');
console.log('summary');
console.log(`  cases               ${done} in ${totalS.toFixed(1)} s (${(done / totalS).toFixed(0)} cases/s), seed ${seed}`);
console.log(`  certainly broken    ${broken} (${((100 * broken) / Math.max(1, done)).toFixed(1)}%), mutants with an error: ${withErrors} (${((100 * withErrors) / Math.max(1, done)).toFixed(1)}%)`);
console.log(`  failing cases       ${failing}`);
const labels: Record<FailureKind, string> = {
  throw: 'throw',
  slow: `slow (> ${SLOW_MS} ms, < ${SMALL_INPUT_BYTES / 1000} kB)`,
  'bad-range': 'bad range',
  'bad-code': 'bad code',
  'missing-diagnostic': 'missing diagnostic',
  'internal-error': 'internal error (SNN9001)',
};
for (const k of FAILURE_KINDS) console.log(`    ${labels[k].padEnd(28)} ${byKind.get(k) ?? 0}`);
console.log(`  time per case       median ${fmt(pct(50))}, p99 ${fmt(pct(99))}, max ${fmt(maxMs)}${maxCase ? ` (${maxCase.rel} mutant, ${maxCase.bytes} bytes)` : ''}; max under 10 kB ${fmt(maxSmallMs)}`);
if (kept.length > 0) {
  console.log(`  first ${kept.length} failing inputs written to ${path.relative(REPO_DIR, failDir)}/`);
  for (const [i, k] of kept.slice(0, 5).entries()) {
    console.log(`    ${String(i + 1).padStart(3, '0')}: ${k.mutant.source.rel}: ${k.failures.map((f) => `${f.kind}: ${f.detail.split('\n')[0]}`).join('; ')}`);
  }
}
process.exitCode = failing > 0 ? 1 : 0;
