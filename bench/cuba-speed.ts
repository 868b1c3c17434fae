/**
 * The CPU backend's speed on the CUBA benchmark against Brian2, in one run, with ratios:
 *
 *   npm run build && npx tsx bench/cuba-speed.ts [--runs 3] [--no-cython] [--scale]
 *
 * For snn: `node dist/cli/snn.js run examples/cuba.snn --json` (the .snn file to results.h5, end to
 * end) and the simulation time it reports (`run_s`: the time loop only). snn and Brian2
 * cpp_standalone alternate run by run, and the simulation ratio is the median of the pairs'. For Brian2 (Debian's
 * python3-brian, run with /usr/bin/python3 on backends/cpu/peers/cuba_brian2.py, the same network
 * as Brian2's example): cpp_standalone (`sim_s`: the compiled binary's own run time; `total_s`:
 * code generation, compiling and running), cython (run twice, the second run reusing the compiled
 * extension cache) and numpy. Medians over --runs runs.
 *
 * --scale also runs a 100,000-neuron, 10-million-synapse version of CUBA for 1 s and reports its
 * times, the peak memory and the bytes per synapse.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchArgs, median, wholeNumber } from './common.js';

const REPO = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const OUT = path.join(REPO, 'bench', 'out');
const PYTHON = '/usr/bin/python3';
const args = benchArgs(
  { runs: { type: 'string' }, 'no-cython': { type: 'boolean' }, scale: { type: 'boolean' } },
  'npm run build && npx tsx bench/cuba-speed.ts [--runs 3] [--no-cython] [--scale]',
);
const RUNS = wholeNumber(args.runs, 'runs', 3);
const fmt = (s: number): string => `${s.toFixed(3)} s`;

function run(cmd: string, argv: string[]): { wall: number; json: Record<string, unknown> } {
  const t0 = performance.now();
  const r = spawnSync(cmd, argv, { cwd: REPO, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const wall = (performance.now() - t0) / 1000;
  if (r.error || r.status !== 0) {
    console.error(`FAIL: ${cmd} ${argv.join(' ')}: ${r.error?.message ?? `exit ${r.status}`}\n${(r.stderr ?? '').slice(-3000)}`);
    process.exit(1);
  }
  const last = r.stdout.trim().split('\n').pop() ?? '{}';
  return { wall, json: JSON.parse(last) as Record<string, unknown> };
}

const cli = path.join(REPO, 'dist', 'cli', 'snn.js');
if (!existsSync(cli)) {
  console.error('dist/cli/snn.js is missing: run `npm run build` first');
  process.exit(2);
}
mkdirSync(OUT, { recursive: true });
writeFileSync(path.join(OUT, '.gitignore'), '*\n');

console.log(`CUBA (4000 LIF neurons, p = 0.02, dt 0.1 ms, 1 s); median of ${RUNS} runs each\n`);
// snn and Brian2 cpp_standalone run in alternation, so that drift in the machine's speed hits
// both alike; the simulation ratio is the median of the ratios of each pair.
const snnRuns: ReturnType<typeof run>[] = [];
const cppRuns: Record<string, unknown>[] = [];
for (let k = 0; k < RUNS; k++) {
  snnRuns.push(run(process.execPath, [cli, 'run', 'examples/cuba.snn', '--json', '-o', path.join(OUT, 'cuba')]));
  cppRuns.push(run(PYTHON, ['backends/cpu/peers/cuba_brian2.py', '--target', 'cpp_standalone']).json);
}
const snn = {
  endToEnd: median(snnRuns.map((r) => r.wall)),
  sim: median(snnRuns.map((r) => r.json.run_s as number)),
  build: median(snnRuns.map((r) => r.json.build_s as number)),
  rate: (snnRuns[0]!.json.populations as Record<string, { rate_hz: number }>).neurons!.rate_hz,
};
console.log(`snn cpu         simulation ${fmt(snn.sim)}   build ${fmt(snn.build)}   .snn to results.h5 ${fmt(snn.endToEnd)}   rate ${snn.rate.toFixed(2)} Hz`);

const brian = (target: string): { sim: number; total: number; rate: number } => {
  const rs = Array.from({ length: RUNS }, () => run(PYTHON, ['backends/cpu/peers/cuba_brian2.py', '--target', target]).json);
  return { sim: median(rs.map((r) => r.sim_s as number)), total: median(rs.map((r) => r.total_s as number)), rate: rs[0]!.rate_hz as number };
};
const cpp = { sim: median(cppRuns.map((r) => r.sim_s as number)), total: median(cppRuns.map((r) => r.total_s as number)), rate: cppRuns[0]!.rate_hz as number };
const pairRatios = snnRuns.map((r, k) => (r.json.run_s as number) / (cppRuns[k]!.sim_s as number));
console.log(`brian2 cpp      simulation ${fmt(cpp.sim)}   generate + compile + run ${fmt(cpp.total)}   rate ${cpp.rate.toFixed(2)} Hz`);
let cython: { sim: number; total: number; rate: number } | undefined;
if (!args['no-cython']) {
  run(PYTHON, ['backends/cpu/peers/cuba_brian2.py', '--target', 'cython']); // fills the extension cache
  cython = brian('cython');
  console.log(`brian2 cython   simulation ${fmt(cython.sim)}   total ${fmt(cython.total)} (compiled extensions cached)`);
}
const numpy = brian('numpy');
console.log(`brian2 numpy    simulation ${fmt(numpy.sim)}   total ${fmt(numpy.total)}`);

console.log('\nratios (below 1: snn is faster)');
console.log(`  simulation, snn / brian2 cpp_standalone        ${median(pairRatios).toFixed(2)}   (target <= 1.5; median over alternating pairs: ${pairRatios.map((x) => x.toFixed(2)).join(', ')})`);
console.log(`  .snn to results, snn / brian2 standalone total  ${(snn.endToEnd / cpp.total).toFixed(2)}   (target < 1)`);
if (cython) console.log(`  simulation, snn / brian2 cython                 ${(snn.sim / cython.sim).toFixed(2)}`);
console.log(`  simulation, snn / brian2 numpy                  ${(snn.sim / numpy.sim).toFixed(2)}`);

if (args.scale) {
  // CUBA scaled to 100,000 neurons with 10 million synapses: p = 0.001 (80 excitatory and 20
  // inhibitory inputs per neuron instead of 64 and 16), weights at 0.2 of CUBA's to keep rates low.
  // examples/cuba.snn's cell type, with a scaled network.
  const cuba = readFileSync(path.join(REPO, 'examples', 'cuba.snn'), 'utf8');
  const model = `${cuba.slice(0, cuba.indexOf('network cuba'))}
network scale {
  dt = 0.1 ms
  duration = 1000 ms
  seed = 1
  neurons = Population(100000, CubaLIF, initial: {v: uniform(-60 mV, -50 mV)})
  exc = neurons[0:80000]
  inh = neurons[80000:100000]
  Projection(exc -> neurons, FixedProbability(0.001), receptor: excitatory, weight: (60 * 0.27 / 10) * 1 mV * 0.2)
  Projection(inh -> neurons, FixedProbability(0.001), receptor: inhibitory, weight: (-20 * 4.5 / 10) * 1 mV * 0.2)
  record neurons.spikes
}
`;
  const file = path.join(OUT, 'scale.snn');
  writeFileSync(file, model);
  const script = `
import { compileFile } from ${JSON.stringify(path.join(REPO, 'dist', 'compiler', 'compile.js'))};
import { simulate } from ${JSON.stringify(path.join(REPO, 'dist', 'backends', 'cpu', 'simulate.js'))};
const before = process.memoryUsage().rss;
const ir = compileFile(${JSON.stringify(file)}).ir;
let peak = 0;
const t = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 50);
const res = simulate(ir, { onProgress: () => { peak = Math.max(peak, process.memoryUsage().rss); } });
clearInterval(t);
peak = Math.max(peak, process.memoryUsage().rss);
console.log(JSON.stringify({ synapses: res.synapseCount, build_s: res.buildSeconds, run_s: res.runSeconds, spikes: res.spikeCounts.neurons, peak_rss: peak, base_rss: before }));
`;
  const js = path.join(OUT, 'scale-run.mjs');
  writeFileSync(js, script);
  const r = run(process.execPath, ['--max-old-space-size=20000', js]).json as { synapses: number; build_s: number; run_s: number; spikes: number; peak_rss: number; base_rss: number };
  const bytes = (r.peak_rss - r.base_rss) / r.synapses;
  console.log(`\nscale: 100,000 neurons, ${r.synapses.toLocaleString('en-US')} synapses, 1 s: build ${fmt(r.build_s)}, simulation ${fmt(r.run_s)}, ` +
    `rate ${(r.spikes / 100000).toFixed(2)} Hz, peak memory ${(r.peak_rss / 2 ** 30).toFixed(2)} GiB, ${bytes.toFixed(1)} bytes per synapse (peak RSS growth / synapses)`);
}
