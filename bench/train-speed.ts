/**
 * Training speed of snn (CPU float64, WebGPU) against the PyTorch peer, in one run, with ratios:
 *
 *   npx tsx bench/train-speed.ts [--quick] [--batch 256] [--iters 3] [--no-webgpu] [--no-torch]
 *       [--torch-threads 1] [--weight-scale-randman 5.7] [--weight-scale-shd 4.6]
 *       [--surrogate fast_sigmoid|triangle]
 *
 * Two networks, SpyTorch's shapes (bench/peers/README.md §bench): randman, 100 → 200 recurrent
 * LIF → 2 LI, T = 200, each input unit firing once per sample at a random step; and SHD-size,
 * 700 → 200 recurrent → 20, T = 100, each input unit firing with probability 0.015 per step
 * (generated, not the dataset). dt 1 ms, stdlib/training.snn's LIF and LI, fast_sigmoid(beta:
 * 100), max_over_time, cross entropy, detached reset, Adam lr 2e-3; weights normal(0, scale /
 * sqrt(fan_in)). The networks are compiled from text (no .snn file is written).
 *
 * One batch of B samples is generated once and used for every iteration, as the peer does. An
 * iteration is what the training loop (backends/training/loop.ts) does per batch: forward, the
 * loss and its gradient, backward, the optimizer's step and the new weights handed back to the
 * engine. One warm-up iteration, then --iters timed ones; samples/s = B × iters / seconds.
 *
 * - snn cpu: CpuTrainEngine (float64, one thread).
 * - snn webgpu: WebGpuTrainEngine (float32) on the first adapter, which is named; skipped when
 *   none opens (on a machine without a GPU it is lavapipe/llvmpipe, a software rasteriser).
 * - PyTorch: `/usr/bin/python3 bench/peers/torch_snn.py bench` on the CPU (float32 and float64,
 *   --threads 1 unless --torch-threads), same shapes, input statistics, neuron and optimizer.
 *
 * Activity: the dense PyTorch step costs the same at any activity, snn's spike-driven projections
 * do not, so both must spike alike. snn's rate is that of its warm-up batch at --weight-scale-*
 * (defaults: about 0.04 spikes per neuron and step, 40 Hz, on both nets; the rate rises steeply
 * with the scale, randman's recurrent net from 0.003 at 5.5 to 0.1 at 6);
 * the peer draws its own weights (another generator), so its --weight-scale is searched (by
 * bisection on the peer's warm-up rate, at the same batch size) until its hidden rate is within
 * 15 % of snn's. Both rates and both scales are printed.
 *
 * Memory: snn's bytes held for the backward pass (engine.storedBytes) per neuron-step, neurons
 * being the hidden and output populations (as the training loop reports it), and on the CPU the
 * peak growth of the JavaScript heap and array buffers from before the engine is made (after a
 * garbage collection) to after each forward and backward pass; PyTorch's peak
 * memory as the peer measures it (growth of ru_maxrss over the run, so everything the process
 * allocated), also divided by the same neuron-steps.
 *
 * --quick: B = 32, 2 timed iterations (a couple of minutes on a 2-core machine). The default
 * (B = 256, 3 iterations) takes much longer on the CPU.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fileURLToPath } from 'node:url';
import { CpuTrainEngine } from '../backends/cpu/train.js';
import type { TrainEngine } from '../backends/training/engine.js';
import { crossEntropy } from '../backends/training/loss.js';
import { Optimizer } from '../backends/training/optimizer.js';
import { planTraining, type TrainPlan } from '../backends/training/plan.js';
import { compileText } from '../compiler/compile.js';
import { CounterRng, streamId } from '../compiler/random/philox.js';
import { makeSample, type SpikeSample } from '../stdlib/data/dataset.js';
import { benchArgs, wholeNumber } from './common.js';

const REPO = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const PYTHON = '/usr/bin/python3';
const PEER = path.join('bench', 'peers', 'torch_snn.py');
const USAGE = 'npx tsx bench/train-speed.ts [--quick] [--batch 256] [--iters 3] [--no-webgpu] [--no-torch] [--torch-threads 1] [--weight-scale-randman 5.7] [--weight-scale-shd 4.6] [--surrogate fast_sigmoid|triangle]';
const args = benchArgs(
  {
    quick: { type: 'boolean' },
    batch: { type: 'string' },
    iters: { type: 'string' },
    'no-webgpu': { type: 'boolean' },
    'no-torch': { type: 'boolean' },
    'torch-threads': { type: 'string' },
    'weight-scale-randman': { type: 'string' },
    'weight-scale-shd': { type: 'string' },
    surrogate: { type: 'string' },
  },
  USAGE,
);
const B = wholeNumber(args.batch, 'batch', args.quick ? 32 : 256);
const ITERS = wholeNumber(args.iters, 'iters', args.quick ? 2 : 3);
const TORCH_THREADS = wholeNumber(args['torch-threads'], 'torch-threads', 1);
/** The surrogate, on both sides: fast_sigmoid (SpyTorch's) or triangle (compact support, which snn's CPU engine exploits). */
const SURROGATES: Record<string, { snn: string; torch: string }> = {
  fast_sigmoid: { snn: 'fast_sigmoid(beta: 100)', torch: 'fast_sigmoid:beta=100' },
  triangle: { snn: 'triangle(width: 0.3)', torch: 'triangle:width=0.3' },
};
const SURROGATE = SURROGATES[args.surrogate ?? 'fast_sigmoid'];
if (!SURROGATE) {
  console.error(`--surrogate must be one of ${Object.keys(SURROGATES).join(', ')}, got '${args.surrogate}'\nusage: ${USAGE}`);
  process.exit(2);
}
const scale = (raw: string | undefined, name: string, fallback: number): number => {
  if (raw === undefined) return fallback;
  const x = Number(raw);
  if (!(x > 0)) {
    console.error(`--${name} must be a positive number, got '${raw}'\nusage: ${USAGE}`);
    process.exit(2);
  }
  return x;
};

interface Net {
  name: 'randman' | 'shd';
  nIn: number;
  nHidden: number;
  nOut: number;
  T: number;
  weightScale: number;
}

const NETS: Net[] = [
  { name: 'randman', nIn: 100, nHidden: 200, nOut: 2, T: 200, weightScale: scale(args['weight-scale-randman'], 'weight-scale-randman', 5.7) },
  { name: 'shd', nIn: 700, nHidden: 200, nOut: 20, T: 100, weightScale: scale(args['weight-scale-shd'], 'weight-scale-shd', 4.6) },
];

/** The peer's network in .snn text (the data source only satisfies the train block; the batch is generated here). */
function source(n: Net): string {
  const w = (fanIn: number): string => `normal(0, ${n.weightScale} / sqrt(${fanIn}))`;
  return `
network train_speed_${n.name} {
  dt = 1 ms
  seed = 1
  input = Population(${n.nIn}, SpikeSourceArray) from randman(classes: ${n.nOut}, samples: ${B}, seed: 1)
  hidden = Population(${n.nHidden}, LIF)
  output = Population(${n.nOut}, LI)
  Projection(input -> hidden, AllToAll, weight: ${w(n.nIn)}, trainable)
  Projection(hidden -> hidden, AllToAll, weight: ${w(n.nHidden)}, trainable)
  Projection(hidden -> output, AllToAll, weight: ${w(n.nHidden)}, trainable)
  train {
    readout: max_over_time(output.v)
    loss: cross_entropy
    surrogate: ${SURROGATE.snn}
    optimizer: adam(lr: 2e-3)
    batch: ${B}
  }
}
`;
}

function plan(n: Net): TrainPlan {
  const r = compileText(source(n), `train-speed-${n.name}.snn`, { keepDataSources: true, defaultDuration: 100 });
  if (!r.ir) {
    console.error(`FAIL: the ${n.name} network does not compile:\n${r.diagnostics.map((d) => d.message).join('\n')}`);
    process.exit(1);
  }
  return planTraining(r.ir);
}

/** The peer's input statistics: randman, every unit once at a uniform step; shd, p = 0.015 per unit and step. */
function batch(n: Net): SpikeSample[] {
  const rng = new CounterRng(12345);
  const s = streamId(`bench:train-speed:${n.name}`);
  const labelStream = streamId(`bench:train-speed:${n.name}:label`);
  return Array.from({ length: B }, (_, b) => {
    const steps: number[] = [];
    const units: number[] = [];
    if (n.name === 'randman') {
      for (let u = 0; u < n.nIn; u++) {
        steps.push(Math.min(n.T - 1, Math.floor(rng.uniform(s, u, b) * n.T)));
        units.push(u);
      }
    } else {
      for (let k = 0; k < n.T; k++) {
        for (let u = 0; u < n.nIn; u++) {
          if (rng.uniform(s, k * n.nIn + u, b) < 0.015) {
            steps.push(k);
            units.push(u);
          }
        }
      }
    }
    const label = Math.min(n.nOut - 1, Math.floor(rng.uniform(labelStream, b, 0) * n.nOut));
    return makeSample(label, steps, units, n.nIn);
  });
}

interface Measured {
  samplesPerS: number;
  secondsPerIter: number;
  /** Hidden spikes per neuron and step in the warm-up batch. */
  rate: number;
  storedBytes: number;
  /** Growth of the process's JavaScript heap and array buffers (typed arrays, WebAssembly memory) over the engine's life, at its largest. */
  peakBytes: number;
}

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
/** Bytes of the JavaScript heap and array buffers in use now. */
const heapBytes = (): number => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

/** One warm-up iteration, then ITERS timed ones of forward, loss, backward, Adam and setWeights. */
async function measure(make: () => TrainEngine | Promise<TrainEngine>, n: Net, samples: SpikeSample[]): Promise<Measured> {
  collectGarbage();
  const base = heapBytes();
  let peak = 0;
  const engine = await make();
  const p = engine.plan;
  const trainable = p.projections.map((pr, i) => (pr.trainable ? i : -1)).filter((i) => i >= 0);
  const optimizer = new Optimizer(p.train.optimizer, trainable.map((i) => p.projections[i]!.weight.length));
  const lr = p.train.optimizer.params.lr ?? 1e-3;
  const labels = samples.map((x) => x.label);
  const iteration = async (): Promise<Float64Array> => {
    const f = await engine.forward(samples, n.T);
    peak = Math.max(peak, heapBytes() - base);
    const l = crossEntropy(f.readout, labels, n.nOut);
    const grads = await engine.backward(l.grad, new Map());
    peak = Math.max(peak, heapBytes() - base);
    const W = engine.weights();
    optimizer.step(trainable.map((i) => W[i]!), trainable.map((i) => grads[i]!), lr);
    engine.setWeights(W);
    return f.counts.get('hidden')!;
  };
  const counts = await iteration();
  let spikes = 0;
  for (const c of counts) spikes += c;
  const rate = spikes / (B * n.nHidden * n.T);
  const t0 = performance.now();
  for (let k = 0; k < ITERS; k++) await iteration();
  const seconds = (performance.now() - t0) / 1000;
  const storedBytes = engine.storedBytes;
  engine.dispose();
  return { samplesPerS: (B * ITERS) / seconds, secondsPerIter: seconds / ITERS, rate, storedBytes, peakBytes: peak };
}

interface TorchResult {
  samples_per_s: number;
  seconds_per_iter: number;
  peak_memory_bytes: number;
  hidden_spikes_per_neuron_step: number;
  weight_scale: number;
  torch: string;
  threads: number;
  dtype: string;
}

function torch(n: Net, weightScale: number, dtype: string, iters: number): TorchResult {
  const argv = [PEER, 'bench', '--net', n.name, '--batch', String(B), '--iters', String(iters), '--threads', String(TORCH_THREADS), '--dtype', dtype, '--weight-scale', String(weightScale), '--surrogate', SURROGATE.torch];
  const r = spawnSync(PYTHON, argv, { cwd: REPO, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (r.error || r.status !== 0) {
    console.error(`FAIL: ${PYTHON} ${argv.join(' ')}: ${r.error?.message ?? `exit ${r.status}`}\n${(r.stderr ?? '').slice(-3000)}`);
    process.exit(1);
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as TorchResult;
}

/**
 * The peer's --weight-scale whose warm-up hidden rate is nearest `target` (bisection on the scale,
 * the rate growing with it), stopping within 15 %. One warm-up and one timed iteration a try.
 */
function calibrate(n: Net, target: number): { weightScale: number; rate: number; tries: number } {
  const miss = (rate: number): number => Math.abs(Math.log((rate + 1e-7) / (target + 1e-7)));
  // a narrow bracket: the rate rises steeply with the scale (doubling for 2 % on randman)
  let lo = n.weightScale / 1.5;
  let hi = n.weightScale * 1.5;
  let ws = n.weightScale;
  let best = { weightScale: ws, rate: NaN, tries: 0 };
  let bestMiss = Infinity;
  for (let k = 0; k < 10; k++) {
    const rate = torch(n, ws, 'float32', 1).hidden_spikes_per_neuron_step;
    best.tries++;
    if (miss(rate) < bestMiss) {
      bestMiss = miss(rate);
      best = { weightScale: ws, rate, tries: best.tries };
    }
    if (bestMiss < Math.log(1.15)) break;
    if (rate < target) lo = ws;
    else hi = ws;
    ws = Math.sqrt(lo * hi);
  }
  return best;
}

const fmtRate = (x: number): string => (x === 0 ? '0' : x.toFixed(4));
const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

interface Row {
  net: string;
  engine: string;
  samplesPerS: number;
  secondsPerIter: number;
  rate: number;
  weightScale: number;
  memory: string;
  bytesPerNeuronStep: number;
}

console.log(`Training speed, forward + backward + Adam per batch of ${B} (1 warm-up, ${ITERS} timed iterations${args.quick ? ', --quick' : ''}), surrogate ${SURROGATE.snn} on both sides`);
console.log('randman: 100 -> 200 recurrent LIF -> 2 LI, T 200;  shd: 700 -> 200 recurrent LIF -> 20 LI, T 100 (generated input, p 0.015)\n');

let gpuNote = '';
type Gpu = Awaited<ReturnType<typeof import('../backends/webgpu/device.js').openWebGpu>>;
let opened: Gpu | undefined;
if (!args['no-webgpu']) {
  const { openWebGpu } = await import('../backends/webgpu/device.js');
  opened = await openWebGpu();
  gpuNote = opened.gpu
    ? `WebGPU adapter: ${opened.gpu.adapter.description || opened.gpu.adapter.vendor}${opened.gpu.software ? ' (a software adapter: the CPU)' : ''}`
    : `WebGPU: no adapter (${opened.reason}); skipped`;
  console.log(gpuNote);
}

const rows: Row[] = [];
const ratios: string[] = [];
for (const n of NETS) {
  const neuronSteps = (n.nHidden + n.nOut) * n.T * B;
  const samples = batch(n);
  const cpu = await measure(() => new CpuTrainEngine(plan(n)), n, samples);
  const cpuRow: Row = { net: n.name, engine: 'snn cpu (float64)', ...cpu, weightScale: n.weightScale, memory: `stored ${mb(cpu.storedBytes)}, peak ${mb(cpu.peakBytes)}`, bytesPerNeuronStep: cpu.storedBytes / neuronSteps };
  rows.push(cpuRow);
  console.log(`${n.name}: snn cpu ${cpu.samplesPerS.toFixed(1)} samples/s, hidden rate ${fmtRate(cpu.rate)}`);
  let gpuRow: Row | undefined;
  if (opened?.gpu) {
    try {
      const { WebGpuTrainEngine } = await import('../backends/webgpu/train.js');
      const gpu = opened.gpu;
      const g = await measure(() => WebGpuTrainEngine.create(plan(n), gpu), n, samples);
      gpuRow = { net: n.name, engine: 'snn webgpu (float32)', ...g, weightScale: n.weightScale, memory: `stored ${mb(g.storedBytes)} (GPU)`, bytesPerNeuronStep: g.storedBytes / neuronSteps };
      rows.push(gpuRow);
      console.log(`${n.name}: snn webgpu ${g.samplesPerS.toFixed(1)} samples/s, hidden rate ${fmtRate(g.rate)}`);
    } catch (e) {
      console.log(`${n.name}: snn webgpu failed: ${(e as Error).message}`);
    }
  }
  if (args['no-torch']) continue;
  const cal = calibrate(n, cpu.rate);
  console.log(`${n.name}: PyTorch --weight-scale ${cal.weightScale.toPrecision(4)} gives hidden rate ${fmtRate(cal.rate)} (snn ${fmtRate(cpu.rate)} at ${n.weightScale}; ${cal.tries} tries)`);
  const peers: Row[] = [];
  for (const dtype of ['float32', 'float64']) {
    const t = torch(n, cal.weightScale, dtype, ITERS);
    const row: Row = {
      net: n.name, engine: `PyTorch ${t.torch} cpu (${dtype}, ${t.threads} thr)`, samplesPerS: t.samples_per_s, secondsPerIter: t.seconds_per_iter,
      rate: t.hidden_spikes_per_neuron_step, weightScale: t.weight_scale, memory: `peak ${mb(t.peak_memory_bytes)}`, bytesPerNeuronStep: t.peak_memory_bytes / neuronSteps,
    };
    peers.push(row);
    rows.push(row);
    console.log(`${n.name}: PyTorch ${dtype} ${t.samples_per_s.toFixed(1)} samples/s`);
  }
  for (const s of [cpuRow, gpuRow]) {
    if (!s) continue;
    ratios.push(`  ${n.name.padEnd(8)} ${s.engine.padEnd(21)} / PyTorch float32 ${(s.samplesPerS / peers[0]!.samplesPerS).toFixed(2).padStart(6)}    / PyTorch float64 ${(s.samplesPerS / peers[1]!.samplesPerS).toFixed(2).padStart(6)}`);
  }
}
if (opened?.gpu) {
  const { closeWebGpu } = await import('../backends/webgpu/device.js');
  closeWebGpu();
}

const header = ['net', 'engine', 'samples/s', 's/iter', 'hidden rate', 'w scale', 'memory', 'B/neuron-step'];
const table = rows.map((r) => [r.net, r.engine, r.samplesPerS.toFixed(1), r.secondsPerIter.toFixed(3), fmtRate(r.rate), r.weightScale.toPrecision(3), r.memory, r.bytesPerNeuronStep.toFixed(1)]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
const line = (cells: string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
for (const r of table) console.log(line(r));
console.log('\nhidden rate: spikes per hidden neuron and step in the warm-up batch; memory: snn, bytes held for the backward pass (engine.storedBytes) and, on the CPU, the peak growth of the JavaScript heap and array buffers;');
console.log('PyTorch, peak ru_maxrss growth of the process; B/neuron-step divides either by (hidden + output) x T x B.');
if (ratios.length > 0) {
  console.log('\nratios of samples/s, snn / PyTorch (above 1: snn is faster)');
  for (const r of ratios) console.log(r);
}
