/**
 * Online learning (eligibility traces) against BPTT as the number of steps grows: memory held
 * for the gradient and time per sample, in one run, with ratios.
 *
 *   npx tsx bench/online-memory.ts [--steps 100,1000,10000] [--batch 8] [--hidden 100]
 *
 * The network is examples/online_randman.snn's (100 inputs → `--hidden` recurrent LIF → 2 LI,
 * fast_sigmoid, cross entropy), its input generated at a fixed rate (each input unit fires with
 * probability 0.01 per step), so that longer runs have as much activity per step. One batch per
 * T: forward and gradient, timed after one warm-up batch at T = 100. Memory: the engine's
 * storedBytes (everything it allocates per batch) and the peak growth of the JavaScript heap and
 * array buffers over that batch (after a garbage collection). The BPTT engine is the CPU one,
 * with its checkpointing (spec/training.md §Backends); a dense BPTT would hold about 40 bytes
 * per neuron-step.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CpuOnlineEngine } from '../backends/cpu/online.js';
import { CpuTrainEngine } from '../backends/cpu/train.js';
import type { TrainEngine } from '../backends/training/engine.js';
import { crossEntropy } from '../backends/training/loss.js';
import { planTraining } from '../backends/training/plan.js';
import { compileText } from '../compiler/compile.js';
import { CounterRng, streamId } from '../compiler/random/philox.js';
import type { SpikeSample } from '../stdlib/data/dataset.js';
import { benchArgs, wholeNumber } from './common.js';

const args = benchArgs({ steps: { type: 'string' }, batch: { type: 'string' }, hidden: { type: 'string' } }, 'npx tsx bench/online-memory.ts [--steps 100,1000,10000] [--batch 8] [--hidden 100]');
const STEPS = (args.steps ?? '100,1000,10000').split(',').map((s) => wholeNumber(s, 'steps', 100));
const B = wholeNumber(args.batch, 'batch', 8);
const H = wholeNumber(args.hidden, 'hidden', 100);
const IN = 100;

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
const heapBytes = (): number => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

function plan(method: 'online' | 'bptt') {
  const src = `network bench {
  dt = 1 ms
  seed = 42
  input = Population(${IN}, SpikeSourceArray) from randman(classes: 2, samples: 4, seed: 42)
  hidden = Population(${H}, LIF)
  output = Population(2, LI)
  Projection(input -> hidden, AllToAll, weight: normal(0, 2 / sqrt(${IN})), trainable)
  Projection(hidden -> hidden, AllToAll, weight: normal(0, 1 / sqrt(${H})), trainable)
  Projection(hidden -> output, AllToAll, weight: normal(0, 2 / sqrt(${H})), trainable)
  train { method: ${method}; readout: max_over_time(output.v) }
}`;
  const r = compileText(src, 'bench.snn', { keepDataSources: true, defaultDuration: 100 });
  if (!r.ir) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return planTraining(r.ir);
}

/** B samples of T steps, each input unit firing with probability 0.01 per step. */
function samples(T: number): SpikeSample[] {
  const rng = new CounterRng(7);
  return Array.from({ length: B }, (_, b) => {
    const steps: number[] = [];
    const units: number[] = [];
    for (let k = 0; k < T; k++) {
      for (let u = 0; u < IN; u++) {
        if (rng.uniform(streamId('bench:input'), b * IN + u, k) < 0.01) {
          steps.push(k);
          units.push(u);
        }
      }
    }
    return { label: b % 2, steps: Int32Array.from(steps), units: Int32Array.from(units) };
  });
}

interface Measured {
  seconds: number;
  stored: number;
  peak: number;
}

async function measure(make: () => TrainEngine, T: number, batch: SpikeSample[]): Promise<Measured> {
  collectGarbage();
  const base = heapBytes();
  const engine = make();
  const labels = batch.map((s) => s.label);
  const t0 = performance.now();
  const f = await engine.forward(batch, T);
  let peak = heapBytes() - base;
  await engine.backward(crossEntropy(f.readout, labels, 2).grad, new Map());
  peak = Math.max(peak, heapBytes() - base);
  const seconds = (performance.now() - t0) / 1000;
  engine.dispose();
  return { seconds, stored: engine.storedBytes, peak };
}

const mib = (x: number): string => `${(x / 2 ** 20).toFixed(1)} MiB`;
const online = plan('online');
const bptt = plan('bptt');
// warm-up: compile kernels, let the JIT settle
await measure(() => new CpuOnlineEngine(online), 100, samples(100));
await measure(() => new CpuTrainEngine(bptt), 100, samples(100));

console.log(`Online (eligibility traces) vs BPTT on the CPU: 100 -> ${H} recurrent LIF -> 2 LI, batch ${B}, one batch per T\n`);
const rows: string[][] = [];
for (const T of STEPS) {
  const batch = samples(T);
  const neuronSteps = (H + 2) * T * B;
  const o = await measure(() => new CpuOnlineEngine(online), T, batch);
  const p = await measure(() => new CpuTrainEngine(bptt), T, batch);
  rows.push([String(T), 'online', (o.seconds / B * 1000).toFixed(1), mib(o.stored), mib(o.peak), (o.stored / neuronSteps).toFixed(2)]);
  rows.push([String(T), 'bptt (checkpointed)', (p.seconds / B * 1000).toFixed(1), mib(p.stored), mib(p.peak), (p.stored / neuronSteps).toFixed(2)]);
  rows.push([String(T), 'online / bptt', (o.seconds / p.seconds).toFixed(2), (o.stored / p.stored).toFixed(2), (o.peak / p.peak).toFixed(2), '']);
  console.log(`T ${T}: online ${(o.seconds / B * 1000).toFixed(1)} ms/sample, ${mib(o.stored)}; bptt ${(p.seconds / B * 1000).toFixed(1)} ms/sample, ${mib(p.stored)}`);
}
const head = ['T', 'engine', 'ms/sample', 'stored', 'peak heap', 'B/neuron-step'];
const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]): string => r.map((c, i) => (i < 2 ? c.padEnd(width[i]!) : c.padStart(width[i]!))).join('  ');
console.log(`\n${line(head)}\n${width.map((w) => '-'.repeat(w)).join('  ')}\n${rows.map(line).join('\n')}`);
console.log('\nstored: what the engine allocates per batch; peak heap: growth of the JavaScript heap and array buffers over the batch.');
console.log('online / bptt rows are ratios (time, stored, peak): online memory is flat in T, BPTT grows with it.');
