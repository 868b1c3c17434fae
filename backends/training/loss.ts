/**
 * Losses on the readout and spike-count regularisers, with their gradients. Batch means as in
 * PyTorch's defaults (SpyTorch uses LogSoftmax + NLLLoss, mean over the batch).
 */
import type { IRTrain } from '../../compiler/ir/types.js';
import type { SpikeSample } from '../../stdlib/data/dataset.js';
import type { OverTimeGradients } from './engine.js';

export interface LossValue {
  loss: number;
  /** dL/d(readout), [batch][outputs]. */
  grad: Float64Array;
  /** Samples whose largest readout is their label's. */
  correct: number;
}

/** Softmax cross-entropy of readout rows against labels, mean over the batch. */
export function crossEntropy(readout: Float64Array, labels: readonly number[], outputs: number): LossValue {
  const B = labels.length;
  const grad = new Float64Array(B * outputs);
  let loss = 0;
  let correct = 0;
  for (let b = 0; b < B; b++) {
    const row = readout.subarray(b * outputs, (b + 1) * outputs);
    let max = -Infinity;
    let arg = 0;
    for (let o = 0; o < outputs; o++) if (row[o]! > max) [max, arg] = [row[o]!, o];
    let z = 0;
    for (let o = 0; o < outputs; o++) z += Math.exp(row[o]! - max);
    const logZ = max + Math.log(z);
    const y = labels[b]!;
    loss += logZ - row[y]!;
    if (arg === y) correct++;
    for (let o = 0; o < outputs; o++) grad[b * outputs + o] = (Math.exp(row[o]! - logZ) - (o === y ? 1 : 0)) / B;
  }
  return { loss: loss / B, grad, correct };
}

/** Mean squared error to one-hot labels, mean over batch and outputs. */
export function meanSquaredError(readout: Float64Array, labels: readonly number[], outputs: number): LossValue {
  const B = labels.length;
  const grad = new Float64Array(B * outputs);
  let loss = 0;
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < outputs; o++) {
      const k = b * outputs + o;
      const y = o === labels[b] ? 1 : 0;
      const d = readout[k]! - y;
      loss += d * d;
      grad[k] = (2 * d) / (B * outputs);
    }
  }
  return { loss: loss / (B * outputs), grad, correct: argmaxCorrect(readout, labels, outputs) };
}

/** Samples whose largest readout is their label's. */
function argmaxCorrect(readout: Float64Array, labels: readonly number[], outputs: number): number {
  let correct = 0;
  labels.forEach((y, b) => {
    let arg = 0;
    for (let o = 1; o < outputs; o++) if (readout[b * outputs + o]! > readout[b * outputs + arg]!) arg = o;
    if (arg === y) correct++;
  });
  return correct;
}

/**
 * The van Rossum distance (van Rossum 2001, Neural Comput. 13:751) between the readout
 * population's spikes and the target spike trains: each train is filtered by the causal kernel
 * exp(-t/tau), y[k] = a y[k-1] + s[k] with a = exp(-dt/tau), and D^2 = (dt/tau) sum_k (y - y*)^2,
 * the Riemann sum of (1/tau) ∫ (f - g)^2 dt. The loss is its mean over samples and neurons.
 * `spikes` is [T][B][N]; returns the loss and dL/d(spike) per step, [T][B][N].
 */
export function vanRossum(spikes: Float64Array, targets: readonly ({ steps: Int32Array; units: Int32Array } | undefined)[], T: number, N: number, tau: number, dt: number): { loss: number; dSpikes: Float64Array } {
  const B = targets.length;
  const BN = B * N;
  const a = Math.exp(-dt / tau);
  const c = dt / tau / BN;
  // the difference of the filtered trains, e[k] = y[k] - y*[k]
  const e = Float64Array.from(spikes.subarray(0, T * BN));
  targets.forEach((t, b) => {
    if (!t) throw new Error('van_rossum: a sample has no target spike train');
    for (let q = 0; q < t.steps.length; q++) if (t.steps[q]! < T) e[t.steps[q]! * BN + b * N + t.units[q]!]! -= 1;
  });
  for (let k = 1; k < T; k++) for (let n = 0; n < BN; n++) e[k * BN + n]! += a * e[(k - 1) * BN + n]!;
  let loss = 0;
  for (let i = 0; i < T * BN; i++) loss += e[i]! * e[i]!;
  // dL/ds[k] = sum_{k' >= k} 2 c e[k'] a^(k' - k), backwards
  const dSpikes = new Float64Array(T * BN);
  for (let k = T - 1; k >= 0; k--) {
    for (let n = 0; n < BN; n++) dSpikes[k * BN + n] = 2 * c * e[k * BN + n]! + (k + 1 < T ? a * dSpikes[(k + 1) * BN + n]! : 0);
  }
  return { loss: c * loss, dSpikes };
}

/**
 * Mean squared error between the readout variable over time and target traces, mean over
 * samples, steps and neurons. `trace` is [(T+1)][B][N] (row k + 1 after step k); targets are
 * [T][N] per sample. Returns the loss and dL/d(trace), [(T+1)][B][N].
 */
export function traceMse(trace: Float64Array, targets: readonly (Float64Array | undefined)[], T: number, N: number): { loss: number; dTrace: Float64Array } {
  const B = targets.length;
  const BN = B * N;
  const dTrace = new Float64Array((T + 1) * BN);
  const m = T * BN;
  let loss = 0;
  targets.forEach((t, b) => {
    if (!t) throw new Error('mse: a sample has no target trace');
    for (let k = 0; k < T; k++) {
      for (let q = 0; q < N; q++) {
        const at = (k + 1) * BN + b * N + q;
        const d = trace[at]! - t[k * N + q]!;
        loss += d * d;
        dTrace[at] = (2 * d) / m;
      }
    }
  });
  return { loss: loss / m, dTrace };
}

/** What the engine's forward pass gives the loss. */
export interface ForwardForLoss {
  readout: Float64Array;
  /** The readout population's spikes, [T][B][N], for the van Rossum loss. */
  spikes?: Float64Array;
  /** The readout variable, [(T+1)][B][N], for MSE to traces. */
  trace?: Float64Array;
}

export interface BatchLoss extends LossValue {
  /** The gradients of a loss over time, for TrainEngine.backward. */
  overTime: OverTimeGradients;
}

/** The train block's loss on a batch, with its gradient with respect to what it reads. */
export function batchLoss(kind: IRTrain['loss'], f: ForwardForLoss, batch: readonly SpikeSample[], T: number, outputs: number, dt: number): BatchLoss {
  const labels = batch.map((s) => s.label);
  if (kind.kind === 'cross_entropy') return { ...crossEntropy(f.readout, labels, outputs), overTime: {} };
  if (kind.kind === 'mse' && !kind.targets) return { ...meanSquaredError(f.readout, labels, outputs), overTime: {} };
  const correct = argmaxCorrect(f.readout, labels, outputs);
  const grad = new Float64Array(f.readout.length);
  if (kind.kind === 'van_rossum') {
    if (!f.spikes) throw new Error('van_rossum: the engine did not return the readout population’s spikes');
    const v = vanRossum(f.spikes, batch.map((s) => s.target), T, outputs, kind.tau, dt);
    return { loss: v.loss, grad, correct, overTime: { dSpikes: v.dSpikes } };
  }
  if (!f.trace) throw new Error('mse: the engine did not return the readout variable over time');
  const m = traceMse(f.trace, batch.map((s) => s.trace), T, outputs);
  return { loss: m.loss, grad, correct, overTime: { dTrace: m.dTrace } };
}

/** What of the readout population over time a loss reads: its spikes, its variable, or neither. */
export function lossReadsOverTime(kind: IRTrain['loss']): 'spikes' | 'trace' | undefined {
  if (kind.kind === 'van_rossum') return 'spikes';
  return kind.kind === 'mse' && kind.targets ? 'trace' : undefined;
}

/**
 * Spike-count regulariser (Zenke & Vogels 2021; SpyTorch tutorial 3): weight * mean of
 * max(0, lower - c)^p and max(0, c - upper)^p, over the counts c per sample and neuron (`per:
 * neuron`) or per sample of the population mean (`per: population`); without bounds, weight *
 * mean(c^p). Returns the term and adds its gradient to `dCounts`.
 */
export function regularize(r: IRTrain['regularizers'][number], counts: Float64Array, B: number, N: number, dCounts: Float64Array): number {
  const pen = (c: number): [number, number] => {
    const p = r.power;
    if (r.lower === undefined && r.upper === undefined) return [Math.abs(c) ** p, p * Math.sign(c) * Math.abs(c) ** (p - 1)];
    let v = 0;
    let d = 0;
    if (r.lower !== undefined && c < r.lower) {
      v += (r.lower - c) ** p;
      d -= p * (r.lower - c) ** (p - 1);
    }
    if (r.upper !== undefined && c > r.upper) {
      v += (c - r.upper) ** p;
      d += p * (c - r.upper) ** (p - 1);
    }
    return [v, d];
  };
  let total = 0;
  if (r.per === 'neuron') {
    for (let k = 0; k < B * N; k++) {
      const [v, d] = pen(counts[k]!);
      total += v;
      dCounts[k]! += (r.weight * d) / (B * N);
    }
    return (r.weight * total) / (B * N);
  }
  for (let b = 0; b < B; b++) {
    let mean = 0;
    for (let n = 0; n < N; n++) mean += counts[b * N + n]!;
    mean /= N;
    const [v, d] = pen(mean);
    total += v;
    for (let n = 0; n < N; n++) dCounts[b * N + n]! += (r.weight * d) / (B * N);
  }
  return (r.weight * total) / B;
}
