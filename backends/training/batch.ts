/**
 * What every training engine computes the same way on the host: a batch's input spikes and
 * initial state, the readout from the readout variable over time, and the readout's adjoint
 * over time. Arrays over time are [steps][batch][neurons], row-major.
 */
import type { IRTrain } from '../../compiler/ir/types.js';
import type { SpikeSample } from '../../stdlib/data/dataset.js';
import type { PlanPopulation } from './plan.js';

/** The data population's spike counts per step, [T][B][N]; events outside 0..T-1 are dropped. */
export function inputSpikes<A extends Float64Array | Float32Array>(samples: readonly SpikeSample[], T: number, N: number, out: A): A {
  const B = samples.length;
  out.fill(0, 0, T * B * N);
  samples.forEach((s, b) => {
    for (let e = 0; e < s.steps.length; e++) {
      const k = s.steps[e]!;
      if (k >= 0 && k < T) out[(k * B + b) * N + s.units[e]!]! += 1;
    }
  });
  return out;
}

/** The initial value of state variable `x` of every sample's neurons, [B][N]. */
export function initialState<A extends Float64Array | Float32Array>(pop: PlanPopulation, x: string, B: number, out: A): A {
  const init = pop.initial[x] ?? 0;
  const N = pop.size;
  for (let b = 0; b < B; b++) {
    if (typeof init === 'number') out.fill(init, b * N, (b + 1) * N);
    else out.set(init, b * N);
  }
  return out;
}

export type ReadoutKind = IRTrain['readout']['kind'];

/**
 * The readout per sample and neuron from X, the readout variable at the start of each step
 * [(T+1)][B][N] (row k + 1 is the value after step k's update), and for max_over_time the row
 * of each maximum.
 */
export function readoutOverTime(kind: Exclude<ReadoutKind, 'spike_count'>, X: ArrayLike<number>, T: number, BN: number): { values: Float64Array; argmax: Int32Array } {
  const values = new Float64Array(BN);
  const argmax = new Int32Array(BN);
  if (kind === 'last') for (let n = 0; n < BN; n++) values[n] = X[T * BN + n]!;
  else if (kind === 'mean_over_time') {
    for (let k = 1; k <= T; k++) for (let n = 0; n < BN; n++) values[n]! += X[k * BN + n]!;
    for (let n = 0; n < BN; n++) values[n]! /= T;
  } else {
    values.fill(-Infinity);
    for (let k = 1; k <= T; k++) {
      for (let n = 0; n < BN; n++) {
        if (X[k * BN + n]! > values[n]!) {
          values[n] = X[k * BN + n]!;
          argmax[n] = k;
        }
      }
    }
  }
  return { values, argmax };
}

/** dL/dX over time, [(T+1)][B][N], from dL/d(readout) (the adjoint of readoutOverTime). */
export function readoutAdjoint<A extends Float64Array | Float32Array>(kind: Exclude<ReadoutKind, 'spike_count'>, dReadout: Float64Array, argmax: Int32Array, T: number, BN: number, out: A): A {
  out.fill(0, 0, (T + 1) * BN);
  for (let n = 0; n < BN; n++) {
    if (kind === 'last') out[T * BN + n] = dReadout[n]!;
    else if (kind === 'mean_over_time') for (let k = 1; k <= T; k++) out[k * BN + n] = dReadout[n]! / T;
    else out[argmax[n]! * BN + n] = dReadout[n]!;
  }
  return out;
}
