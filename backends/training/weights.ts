/**
 * Trained weights as HDF5 (h5wasm), readable with h5py and loadable by `snn run --weights`:
 *
 *   /            attrs format = "snn-weights", version = 1, network
 *   /projections/NAME/weight   float64 [rows][cols]: pre list × post list, 0 where unconnected
 *   /projections/NAME/mask     uint8   [rows][cols]: 1 where a synapse exists
 *                 attrs pre, post (population names), trainable (0/1)
 */
import { renameSync, rmSync } from 'node:fs';
import type { TrainPlan } from './plan.js';

export async function writeWeightsHdf5(path: string, plan: TrainPlan, weights: readonly Float64Array[]): Promise<void> {
  const { default: h5wasm } = await import('h5wasm/node');
  await h5wasm.ready;
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    const f = new h5wasm.File(tmp, 'w');
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
    f.close();
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export class WeightsFileError extends Error {}

/** Dense weights by projection name, from a file writeWeightsHdf5 wrote. */
export async function readWeightsHdf5(path: string): Promise<Map<string, { rows: number; cols: number; weight: Float64Array }>> {
  const { default: h5wasm } = await import('h5wasm/node');
  await h5wasm.ready;
  let f;
  try {
    f = new h5wasm.File(path, 'r');
  } catch {
    throw new WeightsFileError(`${path} is not an HDF5 file`);
  }
  try {
    if (f.attrs.format?.value !== 'snn-weights') throw new WeightsFileError(`${path} is not an snn weights file (snn train writes one: weights.h5)`);
    const out = new Map<string, { rows: number; cols: number; weight: Float64Array }>();
    const g = f.get('projections');
    if (!g || !('keys' in g)) throw new WeightsFileError(`${path} has no projections group`);
    for (const name of g.keys()) {
      const d = f.get(`projections/${name}/weight`);
      if (!d || !('shape' in d) || !d.shape || d.shape.length !== 2) throw new WeightsFileError(`${path}: projections/${name}/weight is not a matrix`);
      out.set(name, { rows: d.shape[0]!, cols: d.shape[1]!, weight: Float64Array.from(d.value as Float64Array) });
    }
    return out;
  } catch (e) {
    if (e instanceof WeightsFileError) throw e;
    throw new WeightsFileError(`${path} is not an snn weights file (snn train writes one: weights.h5): ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    try {
      f.close();
    } catch {
      // a file h5wasm could not open fully has nothing to close
    }
  }
}
