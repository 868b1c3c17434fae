/**
 * Trained weights as HDF5 (h5wasm), readable with h5py and loadable by `snn run --weights`:
 *
 *   /            attrs format = "snn-weights", version = 1, network
 *   /projections/NAME/weight   float64 [rows][cols]: pre list × post list, 0 where unconnected
 *   /projections/NAME/mask     uint8   [rows][cols]: 1 where a synapse exists
 *                 attrs pre, post (population names), trainable (0/1)
 */
import { existsSync } from 'node:fs';
import { h5wasm, isHdf5, writeHdf5Atomically } from '../files.js';
import { expandSlices } from '../../compiler/connect.js';
import type { NetworkIR } from '../../compiler/ir/types.js';
import type { TrainPlan } from './plan.js';

export type DenseWeights = ReadonlyMap<string, { rows: number; cols: number; weight: Float64Array }>;

export async function writeWeightsHdf5(path: string, plan: TrainPlan, weights: readonly Float64Array[]): Promise<void> {
  await writeHdf5Atomically(path, (f) => {
    f.create_attribute('format', 'snn-weights');
    f.create_attribute('version', 1);
    f.create_attribute('network', plan.ir.name);
    const g = f.create_group('projections');
    plan.projections.forEach((p, i) => {
      const pg = g.create_group(p.name);
      pg.create_attribute('pre', plan.populations[p.pre]!.name);
      pg.create_attribute('post', plan.populations[p.post]!.name);
      pg.create_attribute('trainable', p.trainable ? 1 : 0);
      pg.create_dataset({ name: 'weight', data: weights[i]!, shape: [p.rows, p.cols] });
      pg.create_dataset({ name: 'mask', data: p.mask, shape: [p.rows, p.cols], dtype: '<B' });
    });
  });
}

export class WeightsFileError extends Error {}

const NOT_WEIGHTS = 'is not an snn weights file (snn train writes one: weights.h5)';

/** Dense weights by projection name, from a file writeWeightsHdf5 wrote. */
export async function readWeightsHdf5(path: string): Promise<Map<string, { rows: number; cols: number; weight: Float64Array }>> {
  if (!existsSync(path)) throw new WeightsFileError(`${path}: no such file`);
  if (!isHdf5(path)) throw new WeightsFileError(`${path} ${NOT_WEIGHTS}`);
  const m = await h5wasm();
  const f = new m.File(path, 'r');
  try {
    if (f.attrs.format?.value !== 'snn-weights') throw new WeightsFileError(`${path} ${NOT_WEIGHTS}`);
    const out = new Map<string, { rows: number; cols: number; weight: Float64Array }>();
    const g = f.get('projections');
    if (!(g instanceof m.Group)) throw new WeightsFileError(`${path} has no projections group`);
    for (const name of g.keys()) {
      const d = f.get(`projections/${name}/weight`);
      if (!(d instanceof m.Dataset) || d.shape?.length !== 2) throw new WeightsFileError(`${path}: projections/${name}/weight is not a matrix`);
      out.set(name, { rows: d.shape[0]!, cols: d.shape[1]!, weight: Float64Array.from(d.value as Float64Array) });
    }
    return out;
  } finally {
    f.close();
  }
}

/** Why `weights` do not fit the network's projections (a name it lacks, a shape), or undefined. */
export function weightsMismatch(ir: NetworkIR, weights: DenseWeights): string | undefined {
  for (const [name, w] of weights) {
    const p = ir.projections.find((x) => x.name === name);
    if (!p) return `it has weights for '${name}', and this network has no projection of that name`;
    const [rows, cols] = [expandSlices(p.pre).length, expandSlices(p.post).length];
    if (w.rows !== rows || w.cols !== cols) return `the weights of '${name}' are ${w.rows} × ${w.cols}, but it connects ${rows} × ${cols} neurons`;
  }
  return undefined;
}
