/**
 * Per-sample targets of the losses over time, read from the file the loss names and attached to
 * the dataset's samples (so that they follow their sample through the split and the shuffles):
 *
 * - `van_rossum(tau, targets: FILE)`: target spike trains of the readout population, one sample
 *   per data sample, in the same order: a spike file (CSV, stdlib/data/spike-file.ts) or an HDF5
 *   file in the SHD layout; units are the readout population's neurons.
 * - `mse(targets: FILE)`: target traces of the readout variable: an HDF5 file with a dataset
 *   `traces` of shape [samples][steps][outputs] (any float or integer type); steps beyond the
 *   data's are ignored, fewer are an error.
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { IRTrain } from '../../compiler/ir/types.js';
import { DatasetError, type SpikeDataset } from '../../stdlib/data/dataset.js';
import { readShd } from '../../stdlib/data/shd.js';
import { readSpikeFile } from '../../stdlib/data/spike-file.js';
import { h5wasm, isHdf5 } from '../files.js';

const TRACES_HINT = 'write the target traces as an HDF5 file with a dataset `traces` of shape [samples][steps][outputs], e.g. with h5py: f.create_dataset("traces", data=array)';

/** The file a loss reads its targets from, if any. */
export function targetsFile(loss: IRTrain['loss']): string | undefined {
  return loss.kind === 'cross_entropy' ? undefined : loss.targets;
}

/** Reads the loss's targets and attaches one to each sample of `ds` (in place). */
export async function attachTargets(loss: IRTrain['loss'], ds: SpikeDataset, o: { dt: number; outputs: number; baseDir: string }): Promise<void> {
  const name = targetsFile(loss);
  if (name === undefined) return;
  const file = isAbsolute(name) ? name : resolve(o.baseDir, name);
  if (!existsSync(file) || !statSync(file).isFile()) throw new DatasetError(`${file}: no such file (the targets of the ${loss.kind} loss)`, 'the path is relative to the model file');
  const n = ds.samples.length;
  if (loss.kind === 'van_rossum') {
    const t = isHdf5(file) ? await readShd(file, { dt: o.dt, maxTime: ds.steps * o.dt }) : readSpikeFile(file, { dt: o.dt, units: o.outputs, steps: ds.steps });
    if (t.samples.length !== n) throw new DatasetError(`${file}: ${t.samples.length} target samples for ${n} data samples`, 'give one target sample per data sample, in the same order');
    if (t.units > o.outputs) throw new DatasetError(`${file}: target unit ${t.units - 1} but the readout population has ${o.outputs} neurons`, 'target units are the readout population’s neurons, 0-based');
    ds.samples.forEach((s, i) => (s.target = { steps: t.samples[i]!.steps, units: t.samples[i]!.units }));
    return;
  }
  if (!isHdf5(file)) throw new DatasetError(`${file}: not an HDF5 file`, TRACES_HINT);
  const h5 = await h5wasm();
  const f = new h5.File(file, 'r');
  try {
    const d = f.get('traces');
    if (!(d instanceof h5.Dataset)) throw new DatasetError(`${file}: no dataset 'traces'`, TRACES_HINT);
    const shape = d.shape ?? [];
    if (shape.length !== 3 || shape[0] !== n || shape[2] !== o.outputs || shape[1]! < ds.steps) {
      throw new DatasetError(`${file}: 'traces' has shape [${shape.join(', ')}], expected [${n}, ≥ ${ds.steps}, ${o.outputs}] (samples, steps, outputs)`, TRACES_HINT);
    }
    const all = d.value as ArrayLike<number | bigint>;
    const S = shape[1]!;
    const N = o.outputs;
    ds.samples.forEach((s, i) => {
      const tr = new Float64Array(ds.steps * N);
      for (let k = 0; k < ds.steps; k++) for (let q = 0; q < N; q++) tr[k * N + q] = Number(all[(i * S + k) * N + q]!);
      s.trace = tr;
    });
  } finally {
    f.close();
  }
}
