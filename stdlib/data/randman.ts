/**
 * Random-manifold spike-timing data ("randman"; Zenke & Vogels 2021, Neural Computation 33(4)),
 * in the spiking "tempo" variant of stork (fmi-basel/stork, stork/datasets.py,
 * make_tempo_randman), with the manifolds of fzenke/randman (randman/torch_randman.py):
 *
 *   f_cutoff = min(ceil(prec^(-1/alpha)), 1000), prec = 1e-3
 *   theta ~ U(0, 1), shape (units, dims, 3, f_cutoff), theta[:, :, 0, 0] = 0 (no bias term)
 *   s_i = 1 / ((i + 1)^alpha + 1)                                    (TorchRandman.init_spect)
 *   f(x) = sum_i theta0_i s_i sin(2 pi (i x theta1_i + theta2_i))    (eval_random_function_1d)
 *   y_j(x) = prod_d f_{j,d}(x_d),  x ~ U(0, 1)^dims                  (eval_manifold)
 *
 * Each class has `spikesPerUnit` manifolds and one set of latent points x. For each manifold,
 * y is min-max standardised per unit over the class's samples, (y - min) / (max - min + 1e-7)
 * (stork's `standardize`), and unit j fires at step
 * floor(timeSteps * (stepFrac * (1 - offsetFrac) * y_j + offsetFrac)), clamped to
 * [0, timeSteps - 1]. Every unit fires exactly `spikesPerUnit` spikes per sample: the class is
 * carried by relative timing only.
 *
 * All randomness comes from CounterRng(seed) (compiler/random/philox.ts), so a seed gives the
 * same dataset on every machine:
 *   theta of manifold m = class * spikesPerUnit + spike, unit j: stream 'randman.theta',
 *     index m, step j, value q of the flattened (dims, 3, f_cutoff) block from word q % 4 of
 *     lane floor(q / 4);
 *   latent x of sample n of class k: stream 'randman.x', index k, step n, coordinate d from
 *     word d % 4 of lane floor(d / 4).
 * Unit j's manifold therefore does not depend on how many units there are, nor on the order of
 * evaluation.
 *
 * Sample order is class-interleaved: samples[n * classes + k] is sample n of class k, so every
 * prefix of the dataset is balanced; splitDataset shuffles.
 *
 * Cost: classes x spikesPerUnit x samples x units x dims x f_cutoff sines. alpha = 2 has 32 terms
 * (2 x 1000 x 100 units: about 0.3 s); alpha <= 1 has 1000 (stork's 10 classes x 1000 x 20 units
 * with alpha = 1: a few seconds).
 */
import { CounterRng, streamId, wordToUniform } from '../../compiler/random/philox.js';
import { makeSample, type SpikeDataset, type SpikeSample } from './dataset.js';

export interface RandmanOptions {
  classes: number;
  /** per class */
  samples: number;
  seed: number;
  /** input neurons = embedding dimension */
  units: number;
  /** manifold dimension, default 1 */
  dims?: number;
  /** spectral decay exponent (smoothness), default 2 */
  alpha?: number;
  /** default 100 */
  timeSteps?: number;
  /** default 1 */
  spikesPerUnit?: number;
  /** fraction of the sample the spikes occupy, default 0.5 */
  stepFrac?: number;
  /** offset of the first possible spike, as a fraction of timeSteps, default 0 */
  offsetFrac?: number;
}

const PREC = 1e-3;
const MAX_F_CUTOFF = 1000;
const STD_EPS = 1e-7;
const THETA_STREAM = streamId('randman.theta');
const X_STREAM = streamId('randman.x');

/** Number of Fourier terms of each 1-D random function: min(ceil(prec^(-1/alpha)), 1000). */
export function randmanCutoff(alpha: number): number {
  return Math.min(Math.ceil(Math.pow(PREC, -1 / alpha)), MAX_F_CUTOFF);
}

/** One random manifold: the parameters of `units` x `dims` random 1-D functions. */
export interface Manifold {
  units: number;
  dims: number;
  alpha: number;
  fCutoff: number;
  /** s_i = 1 / ((i + 1)^alpha + 1) */
  spectrum: Float64Array;
  /** theta, row-major (units, dims, 3, fCutoff) as in fzenke/randman */
  theta: Float64Array;
}

interface Resolved {
  classes: number;
  samples: number;
  seed: number;
  units: number;
  dims: number;
  alpha: number;
  timeSteps: number;
  spikesPerUnit: number;
  stepFrac: number;
  offsetFrac: number;
}

function resolve(o: RandmanOptions): Resolved {
  const r: Resolved = {
    classes: o.classes,
    samples: o.samples,
    seed: o.seed,
    units: o.units,
    dims: o.dims ?? 1,
    alpha: o.alpha ?? 2,
    timeSteps: o.timeSteps ?? 100,
    spikesPerUnit: o.spikesPerUnit ?? 1,
    stepFrac: o.stepFrac ?? 0.5,
    offsetFrac: o.offsetFrac ?? 0,
  };
  for (const k of ['classes', 'samples', 'units', 'dims', 'timeSteps', 'spikesPerUnit'] as const) {
    if (!Number.isInteger(r[k]) || r[k] < 1) throw new RangeError(`randman: ${k} must be a whole number >= 1, got ${r[k]}`);
  }
  if (!Number.isSafeInteger(r.seed) || r.seed < 0) throw new RangeError(`randman: seed must be a whole number >= 0, got ${r.seed}`);
  if (!(r.alpha > 0) || !Number.isFinite(r.alpha)) throw new RangeError(`randman: alpha must be a number > 0, got ${r.alpha}`);
  if (!(r.stepFrac > 0 && r.stepFrac <= 1)) throw new RangeError(`randman: stepFrac must be in (0, 1], got ${r.stepFrac}`);
  if (!(r.offsetFrac >= 0 && r.offsetFrac < 1)) throw new RangeError(`randman: offsetFrac must be in [0, 1), got ${r.offsetFrac}`);
  return r;
}

/** The manifold of spike `spike` of class `cls` (fzenke/randman Randman.init_random, init_spect). */
export function randmanManifold(o: RandmanOptions, cls: number, spike = 0): Manifold {
  const r = resolve(o);
  if (!Number.isInteger(cls) || cls < 0 || cls >= r.classes) throw new RangeError(`randman: class ${cls} outside 0..${r.classes - 1}`);
  if (!Number.isInteger(spike) || spike < 0 || spike >= r.spikesPerUnit) throw new RangeError(`randman: spike ${spike} outside 0..${r.spikesPerUnit - 1}`);
  const rng = new CounterRng(r.seed);
  const fc = randmanCutoff(r.alpha);
  const spectrum = new Float64Array(fc);
  for (let i = 0; i < fc; i++) spectrum[i] = 1 / (Math.pow(i + 1, r.alpha) + 1);
  const m = cls * r.spikesPerUnit + spike;
  const block = r.dims * 3 * fc;
  const theta = new Float64Array(r.units * block);
  for (let j = 0; j < r.units; j++) {
    const base = j * block;
    for (let lane = 0; lane * 4 < block; lane++) {
      const w = rng.words(THETA_STREAM, m, j, lane);
      for (let q = lane * 4; q < Math.min(block, lane * 4 + 4); q++) theta[base + q] = wordToUniform(w[q & 3]!);
    }
    for (let d = 0; d < r.dims; d++) theta[base + d * 3 * fc] = 0; // theta[j, d, 0, 0] = 0: no bias
  }
  return { units: r.units, dims: r.dims, alpha: r.alpha, fCutoff: fc, spectrum, theta };
}

/** The latent point x in (0, 1)^dims of sample `n` of class `cls`. */
export function randmanLatent(o: RandmanOptions, cls: number, n: number): Float64Array {
  const r = resolve(o);
  return latent(new CounterRng(r.seed), r.dims, cls, n, new Float64Array(r.dims));
}

function latent(rng: CounterRng, dims: number, cls: number, n: number, out: Float64Array): Float64Array {
  for (let lane = 0; lane * 4 < dims; lane++) {
    const w = rng.words(X_STREAM, cls, n, lane);
    for (let d = lane * 4; d < Math.min(dims, lane * 4 + 4); d++) out[d] = wordToUniform(w[d & 3]!);
  }
  return out;
}

/**
 * f(x) = sum_i theta0_i s_i sin(2 pi (i x theta1_i + theta2_i)) for the 1-D function whose
 * theta0 starts at `off` (theta1 at off + fc, theta2 at off + 2 fc); the operations in the order
 * of fzenke/randman's eval_random_function_1d.
 */
function randomFunction1d(theta: Float64Array, off: number, fc: number, spectrum: Float64Array, x: number): number {
  let acc = 0;
  for (let i = 0; i < fc; i++) {
    acc += theta[off + i]! * spectrum[i]! * Math.sin(2 * Math.PI * (i * x * theta[off + fc + i]! + theta[off + 2 * fc + i]!));
  }
  return acc;
}

/** y_j(x) = prod_d f_{j,d}(x_d) for every unit j (fzenke/randman eval_manifold, one point). */
export function evalManifold(m: Manifold, x: ArrayLike<number>, out = new Float64Array(m.units)): Float64Array {
  if (x.length !== m.dims) throw new RangeError(`evalManifold: x has ${x.length} coordinates, the manifold ${m.dims}`);
  const fc = m.fCutoff;
  for (let j = 0; j < m.units; j++) {
    let y = 1;
    for (let d = 0; d < m.dims; d++) y *= randomFunction1d(m.theta, (j * m.dims + d) * 3 * fc, fc, m.spectrum, x[d]!);
    out[j] = y;
  }
  return out;
}

/** The randman spike-timing dataset (stork make_tempo_randman); see the header for the layout. */
export function randman(o: RandmanOptions): SpikeDataset {
  const r = resolve(o);
  const { classes, samples: ns, units, dims, timeSteps: T, spikesPerUnit: S } = r;
  const rng = new CounterRng(r.seed);
  const xs = new Float64Array(ns * dims);
  const y = new Float64Array(ns * units);
  const lo = new Float64Array(units);
  const hi = new Float64Array(units);
  const frac = r.stepFrac * (1 - r.offsetFrac);
  const offset = r.offsetFrac;
  const out: SpikeSample[] = new Array<SpikeSample>(classes * ns);
  const evSteps = new Int32Array(S * units);
  const evUnits = new Int32Array(S * units);
  for (let j = 0; j < units; j++) for (let s = 0; s < S; s++) evUnits[s * units + j] = j;

  for (let k = 0; k < classes; k++) {
    for (let n = 0; n < ns; n++) latent(rng, dims, k, n, xs.subarray(n * dims, (n + 1) * dims));
    // steps[n][s][j]: the spike of unit j from manifold s in sample n
    const steps = new Int32Array(ns * S * units);
    for (let s = 0; s < S; s++) {
      const m = randmanManifold(r, k, s);
      for (let n = 0; n < ns; n++) evalManifold(m, xs.subarray(n * dims, (n + 1) * dims), y.subarray(n * units, (n + 1) * units));
      lo.fill(Infinity);
      hi.fill(-Infinity);
      for (let n = 0; n < ns; n++) {
        for (let j = 0; j < units; j++) {
          const v = y[n * units + j]!;
          if (v < lo[j]!) lo[j] = v;
          if (v > hi[j]!) hi[j] = v;
        }
      }
      for (let n = 0; n < ns; n++) {
        for (let j = 0; j < units; j++) {
          const z = (y[n * units + j]! - lo[j]!) / (hi[j]! - lo[j]! + STD_EPS);
          const t = Math.floor(T * (frac * z + offset));
          steps[(n * S + s) * units + j] = Math.min(T - 1, Math.max(0, t));
        }
      }
    }
    for (let n = 0; n < ns; n++) {
      evSteps.set(steps.subarray(n * S * units, (n + 1) * S * units));
      out[n * classes + k] = makeSample(k, evSteps, evUnits, units);
    }
  }
  return { name: 'randman', units, classes, steps: T, samples: out };
}
