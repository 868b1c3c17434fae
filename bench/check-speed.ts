/**
 * The checker's speed on a large model, against the target of 2 s for `snn check`:
 *
 *   npm run build && npx tsx bench/check-speed.ts [--populations 2000] [--projections 5000] [--cli dist/cli/snn.js]
 *
 * Generates the model (bench/gen-large-model.ts), writes it to bench/out/large.snn and measures
 *   (a) checkText in-process, warm: one warm-up run (which also loads the stdlib), then the median
 *       of 5 runs;
 *   (b) `node dist/cli/snn.js check bench/out/large.snn` end to end (node start-up, module loading,
 *       the stdlib, reading, checking, printing): the median wall time of 5 runs. It needs the
 *       build (`npm run build`); without dist/ this part is skipped, and it warns when dist/ is
 *       older than the sources.
 * The model must check with no error: any error fails the bench (exit 1). The verdict is taken on
 * (b), the time a user waits, or on (a) when (b) was skipped.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkText } from '../compiler/check/index.js';
import { benchArgs, median, wholeNumber } from './common.js';
import { generateLargeModel } from './gen-large-model.js';

const TARGET_S = 2;
const REPO = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

const args = benchArgs(
  { populations: { type: 'string' }, projections: { type: 'string' }, cli: { type: 'string' } },
  'npx tsx bench/check-speed.ts [--populations 2000] [--projections 5000] [--cli dist/cli/snn.js]',
);
const secs = (ms: number): string => `${(ms / 1000).toFixed(3)} s`;

/** The newest modification time of the .ts sources the CLI is built from. */
function newestSource(): number {
  let newest = 0;
  for (const dir of ['lang', 'compiler', 'cli']) {
    const abs = path.join(REPO, dir);
    if (!existsSync(abs)) continue;
    for (const f of readdirSync(abs, { recursive: true }).map(String)) {
      if (f.endsWith('.ts') && !f.endsWith('.test.ts')) newest = Math.max(newest, statSync(path.join(abs, f)).mtimeMs);
    }
  }
  const idx = path.join(REPO, 'index.ts');
  if (existsSync(idx)) newest = Math.max(newest, statSync(idx).mtimeMs);
  return newest;
}

const model = generateLargeModel({ populations: wholeNumber(args.populations, 'populations', 2000), projections: wholeNumber(args.projections, 'projections', 5000) });
const outDir = path.join(REPO, 'bench', 'out');
mkdirSync(outDir, { recursive: true });
writeFileSync(path.join(outDir, '.gitignore'), '*\n'); // generated files only
const file = path.join(outDir, 'large.snn');
writeFileSync(file, model.text);
const rel = path.relative(REPO, file);
console.log(`model: ${rel}: ${model.lines} lines, ${(Buffer.byteLength(model.text) / 1024).toFixed(0)} KiB, ${model.populations} populations, ${model.projections} projections, ${model.views} views, ${model.assemblies} assemblies`);

// (a) in-process
const runs: number[] = [];
let warmup = 0;
for (let i = 0; i < 6; i++) {
  const t0 = performance.now();
  const { diagnostics } = checkText(model.text, file);
  const ms = performance.now() - t0;
  if (i === 0) {
    warmup = ms;
    const errors = diagnostics.filter((d) => d.severity === 'error');
    const warnings = diagnostics.filter((d) => d.severity === 'warning');
    if (errors.length > 0) {
      console.error(`FAIL: the generated model must check with no error, got ${errors.length}:`);
      for (const d of errors.slice(0, 10)) console.error(`  ${rel}:${d.range.start.line}:${d.range.start.column}: ${d.code}: ${d.message}`);
      process.exit(1);
    }
    console.log(`diagnostics: 0 errors, ${warnings.length} warnings`);
  } else runs.push(ms);
}
const inProcess = median(runs);
console.log(`(a) checkText in-process: warm-up ${secs(warmup)} (includes loading the stdlib), median of 5 warm runs ${secs(inProcess)} ` +
  `(min ${secs(Math.min(...runs))}, max ${secs(Math.max(...runs))}), ${Math.round(model.lines / (inProcess / 1000)).toLocaleString('en-US')} lines/s`);

// (b) end to end
const cli = path.resolve(REPO, args.cli ?? path.join('dist', 'cli', 'snn.js'));
let endToEnd: number | undefined;
if (!existsSync(cli)) {
  console.log(`(b) end-to-end: skipped: ${path.relative(REPO, cli)} is missing; run \`npm run build\` first`);
} else {
  if (!args.cli && statSync(cli).mtimeMs < newestSource()) {
    console.log(`    warning: ${path.relative(REPO, cli)} is older than the sources in lang/, compiler/ or cli/: run \`npm run build\` for current figures`);
  }
  const walls: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const res = spawnSync(process.execPath, [cli, 'check', rel], { cwd: REPO, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    walls.push(performance.now() - t0);
    if (res.error || res.status !== 0) {
      console.error(`FAIL: node ${path.relative(REPO, cli)} check ${rel} exited with ${res.status ?? res.error?.message}`);
      console.error((res.stdout + res.stderr).split('\n').slice(0, 20).join('\n'));
      process.exit(1);
    }
  }
  endToEnd = median(walls);
  console.log(`(b) node ${path.relative(REPO, cli)} check ${rel}: median of 5 ${secs(endToEnd)} (runs ${walls.map(secs).join(', ')}), ` +
    `${Math.round(model.lines / (endToEnd / 1000)).toLocaleString('en-US')} lines/s`);
}

const judged = endToEnd ?? inProcess;
const what = endToEnd !== undefined ? 'end-to-end snn check' : 'in-process checkText (end-to-end skipped)';
console.log(`verdict: ${judged / 1000 <= TARGET_S ? 'PASS' : 'FAIL'}: ${what} ${secs(judged)} for ${model.lines} lines against the ${TARGET_S} s target`);
