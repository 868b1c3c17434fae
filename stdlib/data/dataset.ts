/**
 * Spike datasets for training: the in-memory form shared by the generators and readers in this
 * folder (randman, SHD, plain spike files), a seeded train/validation/test split and a dense
 * view of a batch.
 *
 * Spikes are already binned to time steps of the network dt: a sample is a list of
 * (step, unit) events, sorted by step and then by unit. Several events may share one
 * (step, unit) bin; they count as that many spikes.
 */
import { CounterRng, streamId } from '../../compiler/random/philox.js';

/** One labelled sample of spike input, binned to time steps of the network dt. */
export interface SpikeSample {
  label: number;
  /** sorted by step, then unit */
  steps: Int32Array;
  units: Int32Array;
  /** Target spike trains of the readout population (the van Rossum loss), binned like the input. */
  target?: { steps: Int32Array; units: Int32Array };
  /** Target trace of the readout variable (MSE to traces), [steps][outputs] row-major. */
  trace?: Float64Array;
}

export interface SpikeDataset {
  name: string;
  /** input channels */
  units: number;
  classes: number;
  /** time steps per sample */
  steps: number;
  samples: SpikeSample[];
}

export interface Split {
  train: SpikeSample[];
  validation: SpikeSample[];
  test: SpikeSample[];
}

/** A dataset that cannot be read: names the file (and line or HDF5 dataset) and says what to do. */
export class DatasetError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'DatasetError';
  }
}

/**
 * The step of a time `t` (ms) for a step of `dt` ms: floor(t / dt). A time within 1e-9 of a step
 * of a bin edge counts as on the edge, so that times written as k * dt (which may come back as
 * k * dt minus an ulp after the division) land in bin k.
 */
export function binStep(t: number, dt: number): number {
  return Math.floor(t / dt + 1e-9);
}

/**
 * A sample from unsorted events: sorts them by step, then unit (the order SpikeSample promises).
 * Keys step * units + unit need steps * units < 2^53, always true for real data.
 */
export function makeSample(label: number, steps: ArrayLike<number>, units: ArrayLike<number>, nUnits: number): SpikeSample {
  const n = steps.length;
  const keys = new Float64Array(n);
  let sorted = true;
  for (let k = 0; k < n; k++) {
    keys[k] = steps[k]! * nUnits + units[k]!;
    if (k > 0 && keys[k]! < keys[k - 1]!) sorted = false;
  }
  if (!sorted) keys.sort();
  const s = new Int32Array(n);
  const u = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const key = keys[k]!;
    const step = Math.floor(key / nUnits);
    s[k] = step;
    u[k] = key - step * nUnits;
  }
  return { label, steps: s, units: u };
}

const SPLIT_STREAM = streamId('data.split');

/**
 * Deterministic shuffle, then split by fractions: [train, test] or [train, validation, test],
 * each >= 0 and together 1 (within 1e-9). The shuffle is Fisher-Yates with draws from
 * CounterRng(seed) (stream 'data.split', index i), so a seed gives the same split on every
 * machine. Sizes are cumulative roundings: train = round(f0 N), train + validation =
 * round((f0 + f1) N), the test set takes the rest.
 */
export function splitDataset(ds: SpikeDataset, fractions: number[], seed: number): Split {
  if (fractions.length !== 2 && fractions.length !== 3) {
    throw new RangeError(`splitDataset: give 2 fractions [train, test] or 3 [train, validation, test], got ${fractions.length}`);
  }
  for (const f of fractions) {
    if (!Number.isFinite(f) || f < 0) throw new RangeError(`splitDataset: fractions must be finite numbers >= 0, got [${fractions.join(', ')}]`);
  }
  const sum = fractions.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > 1e-9) throw new RangeError(`splitDataset: fractions must add up to 1, got [${fractions.join(', ')}] (sum ${sum})`);
  const [fTrain, fVal] = fractions.length === 3 ? [fractions[0]!, fractions[1]!] : [fractions[0]!, 0];

  const rng = new CounterRng(seed);
  const order = ds.samples.slice();
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform(SPLIT_STREAM, i, 0) * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  const n = order.length;
  const b1 = Math.min(n, Math.round(fTrain * n));
  const b2 = Math.min(n, Math.max(b1, Math.round((fTrain + fVal) * n)));
  return { train: order.slice(0, b1), validation: order.slice(b1, b2), test: order.slice(b2) };
}

/**
 * Dense input of a batch: Float64Array [batch][steps][units] flattened, holding the number of
 * spikes in each bin (0 or 1 unless several spikes share a bin). Throws RangeError for a spike
 * outside [0, steps) x [0, units).
 */
export function denseBatch(samples: SpikeSample[], steps: number, units: number): Float64Array {
  const out = new Float64Array(samples.length * steps * units);
  samples.forEach((s, b) => {
    for (let k = 0; k < s.steps.length; k++) {
      const t = s.steps[k]!;
      const u = s.units[k]!;
      if (t < 0 || t >= steps || u < 0 || u >= units) {
        throw new RangeError(`denseBatch: sample ${b} has a spike at step ${t}, unit ${u}, outside ${steps} steps x ${units} units`);
      }
      out[(b * steps + t) * units + u]! += 1;
    }
  });
  return out;
}
