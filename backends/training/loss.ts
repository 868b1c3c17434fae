/**
 * Losses on the readout and spike-count regularisers, with their gradients. Batch means as in
 * PyTorch's defaults (SpyTorch uses LogSoftmax + NLLLoss, mean over the batch).
 */
import type { IRTrain } from '../../compiler/ir/types.js';

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

/** Mean squared error to one-hot labels (or given target rows), mean over batch and outputs. */
export function meanSquaredError(readout: Float64Array, labels: readonly number[], outputs: number, targets?: Float64Array): LossValue {
  const B = labels.length;
  const grad = new Float64Array(B * outputs);
  let loss = 0;
  let correct = 0;
  for (let b = 0; b < B; b++) {
    let arg = 0;
    for (let o = 0; o < outputs; o++) {
      const k = b * outputs + o;
      const y = targets ? targets[k]! : o === labels[b] ? 1 : 0;
      const d = readout[k]! - y;
      loss += d * d;
      grad[k] = (2 * d) / (B * outputs);
      if (readout[k]! > readout[b * outputs + arg]!) arg = o;
    }
    if (arg === labels[b]) correct++;
  }
  return { loss: loss / (B * outputs), grad, correct };
}

export function readoutLoss(kind: IRTrain['loss'], readout: Float64Array, labels: readonly number[], outputs: number): LossValue {
  if (kind.kind === 'cross_entropy') return crossEntropy(readout, labels, outputs);
  if (kind.kind === 'mse' && !kind.targets) return meanSquaredError(readout, labels, outputs);
  throw new Error(`the loss ${kind.kind}${kind.kind === 'mse' ? ' with a targets file' : ''} is not supported by training yet`);
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
