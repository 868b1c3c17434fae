/**
 * The training loop shared by every backend: epochs of shuffled mini-batches, the loss on the
 * readout plus spike-count regularisers, the optimizer, validation and test accuracy, metrics as
 * JSON lines and an atomic checkpoint per epoch that `resume` continues from.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { writeAtomically } from '../files.js';
import { join } from 'node:path';
import { CounterRng, streamId } from '../../compiler/random/philox.js';
import { splitDataset, type SpikeDataset, type SpikeSample } from '../../stdlib/data/dataset.js';
import type { TrainEngine } from './engine.js';
import { batchLoss, regularize } from './loss.js';
import { learningRate, Optimizer } from './optimizer.js';

export interface TrainOptions {
  epochs?: number;
  batch?: number;
  /** Seed of the split and the shuffles; default: the network's seed. */
  seed?: number;
  lr?: number;
  /** Where metrics.jsonl and checkpoint.json go; nothing is written without it. */
  outDir?: string;
  /** Continue from outDir/checkpoint.json. */
  resume?: boolean;
  /** Called after every batch with the batches done in this epoch and their number. */
  onBatch?: (epoch: number, done: number, total: number, loss: number) => void;
  onEpoch?: (m: EpochMetrics) => void;
}

export interface EpochMetrics {
  epoch: number;
  lr: number;
  train_loss: number;
  train_accuracy: number;
  validation_loss: number | null;
  validation_accuracy: number | null;
  seconds: number;
  samples_per_s: number;
}

export interface TrainResult {
  backend: string;
  device: string;
  epochs: number;
  train_loss: number;
  train_accuracy: number;
  validation_accuracy: number | null;
  test_loss: number;
  test_accuracy: number;
  samples_per_s: number;
  seconds: number;
  /** Bytes the backend held for the backward pass of one batch, and per neuron-step. */
  stored_bytes: number;
  bytes_per_neuron_step: number;
  samples: { train: number; validation: number; test: number };
  history: EpochMetrics[];
  weights: Float64Array[];
}

interface Checkpoint {
  format: 'snn-checkpoint';
  version: 1;
  epoch: number;
  weights: string[];
  optimizer: { step: number; m: string[]; v: string[] };
  history: EpochMetrics[];
}

const b64 = (a: Float64Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
const f64 = (s: string): Float64Array => {
  const b = Buffer.from(s, 'base64');
  return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

export async function trainNetwork(engine: TrainEngine, data: SpikeDataset, opts: TrainOptions = {}): Promise<TrainResult> {
  const plan = engine.plan;
  const train = plan.train;
  const epochs = opts.epochs ?? train.epochs;
  const B = opts.batch ?? train.batch;
  const seed = opts.seed ?? plan.ir.seed;
  const baseLr = opts.lr ?? train.optimizer.params.lr ?? 1e-3;
  const split = splitDataset(data, train.split, seed);
  const T = data.steps;
  const outputs = plan.readout.population.size;
  const trainable = plan.projections.map((p, i) => (p.trainable ? i : -1)).filter((i) => i >= 0);
  const optimizer = new Optimizer(train.optimizer, trainable.map((i) => plan.projections[i]!.weight.length));
  const history: EpochMetrics[] = [];
  let startEpoch = 0;
  if (opts.outDir) mkdirSync(opts.outDir, { recursive: true });
  const ckptFile = opts.outDir ? join(opts.outDir, 'checkpoint.json') : undefined;
  const metricsFile = opts.outDir ? join(opts.outDir, 'metrics.jsonl') : undefined;
  if (opts.resume && ckptFile && existsSync(ckptFile)) {
    const c = JSON.parse(readFileSync(ckptFile, 'utf8')) as Checkpoint;
    if (c.format !== 'snn-checkpoint' || c.weights.length !== plan.projections.length) throw new Error(`${ckptFile} is not a checkpoint of this network`);
    engine.setWeights(c.weights.map(f64));
    optimizer.state = { step: c.optimizer.step, m: c.optimizer.m.map(f64), v: c.optimizer.v.map(f64) };
    startEpoch = c.epoch;
    history.push(...c.history);
  } else if (metricsFile) writeFileSync(metricsFile, '');

  const evaluate = async (samples: SpikeSample[]): Promise<{ loss: number; accuracy: number }> => {
    let loss = 0;
    let correct = 0;
    for (let s = 0; s < samples.length; s += B) {
      const batch = samples.slice(s, s + B);
      const f = await engine.forward(batch, T, false);
      const l = batchLoss(train.loss, f, batch, T, outputs, plan.dt);
      loss += l.loss * batch.length;
      correct += l.correct;
    }
    return { loss: loss / Math.max(1, samples.length), accuracy: correct / Math.max(1, samples.length) };
  };

  const t0 = performance.now();
  // the largest training batch's state for the backward pass (evaluation keeps none)
  let peakBytes = 0;
  let peakBatch = 1;
  let trained = 0;
  let lastLoss = NaN;
  let lastAcc = NaN;
  for (let epoch = startEpoch; epoch < epochs; epoch++) {
    const te = performance.now();
    const lr = learningRate(baseLr, train.schedule, epoch, epochs);
    const order = shuffled(split.train.length, seed, epoch);
    const batches = Math.ceil(order.length / B);
    let lossSum = 0;
    let correct = 0;
    for (let k = 0; k < batches; k++) {
      const batch = order.slice(k * B, (k + 1) * B).map((i) => split.train[i]!);
      const f = await engine.forward(batch, T);
      if (engine.storedBytes > peakBytes) [peakBytes, peakBatch] = [engine.storedBytes, batch.length];
      const l = batchLoss(train.loss, f, batch, T, outputs, plan.dt);
      let loss = l.loss;
      const dCounts = new Map<string, Float64Array>();
      for (const r of train.regularizers) {
        const counts = f.counts.get(r.population);
        if (!counts) continue;
        const d = dCounts.get(r.population) ?? new Float64Array(counts.length);
        dCounts.set(r.population, d);
        loss += regularize(r, counts, batch.length, counts.length / batch.length, d);
      }
      const grads = await engine.backward(l.grad, dCounts, l.overTime);
      const W = engine.weights();
      optimizer.step(trainable.map((i) => W[i]!), trainable.map((i) => grads[i]!), lr);
      engine.setWeights(W);
      lossSum += loss * batch.length;
      correct += l.correct;
      trained += batch.length;
      opts.onBatch?.(epoch, k + 1, batches, loss);
    }
    const val = split.validation.length > 0 ? await evaluate(split.validation) : undefined;
    const seconds = (performance.now() - te) / 1000;
    lastLoss = lossSum / Math.max(1, split.train.length);
    lastAcc = correct / Math.max(1, split.train.length);
    const m: EpochMetrics = {
      epoch: epoch + 1,
      lr,
      train_loss: lastLoss,
      train_accuracy: lastAcc,
      validation_loss: val?.loss ?? null,
      validation_accuracy: val?.accuracy ?? null,
      seconds,
      samples_per_s: split.train.length / seconds,
    };
    history.push(m);
    opts.onEpoch?.(m);
    if (metricsFile) appendFileSync(metricsFile, `${JSON.stringify(m)}\n`);
    if (ckptFile) {
      const c: Checkpoint = {
        format: 'snn-checkpoint',
        version: 1,
        epoch: epoch + 1,
        weights: engine.weights().map(b64),
        optimizer: { step: optimizer.state.step, m: optimizer.state.m.map(b64), v: optimizer.state.v.map(b64) },
        history,
      };
      writeAtomically(ckptFile, JSON.stringify(c));
    }
  }
  const test = await evaluate(split.test);
  const seconds = (performance.now() - t0) / 1000;
  const neuronSteps = plan.populations.reduce((a, p) => a + (p.program ? p.size : 0), 0) * T * peakBatch;
  const last = history[history.length - 1];
  return {
    backend: engine.backend,
    device: engine.device,
    epochs,
    train_loss: last?.train_loss ?? lastLoss,
    train_accuracy: last?.train_accuracy ?? lastAcc,
    validation_accuracy: last?.validation_accuracy ?? null,
    test_loss: test.loss,
    test_accuracy: test.accuracy,
    samples_per_s: trained > 0 ? trained / seconds : 0,
    seconds,
    stored_bytes: peakBytes,
    bytes_per_neuron_step: peakBytes / Math.max(1, neuronSteps),
    samples: { train: split.train.length, validation: split.validation.length, test: split.test.length },
    history,
    weights: engine.weights(),
  };
}

/** A permutation of 0..n-1 for one epoch, from the seed (Fisher-Yates on the counter-based stream). */
function shuffled(n: number, seed: number, epoch: number): number[] {
  const rng = new CounterRng(seed);
  const stream = streamId('train:shuffle');
  const out = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform(stream, i, epoch) * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
