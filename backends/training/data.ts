/**
 * The labelled data a `train` block names: the `from …` source of the input population,
 * generated (randman) or read (SHD HDF5, spike files; paths relative to the model file).
 */
import { isAbsolute, resolve } from 'node:path';
import type { IRTrain } from '../../compiler/ir/types.js';
import { DatasetError, type SpikeDataset } from '../../stdlib/data/dataset.js';
import { randman } from '../../stdlib/data/randman.js';
import { readShd } from '../../stdlib/data/shd.js';
import { readSpikeFile } from '../../stdlib/data/spike-file.js';
import type { TrainPlan } from './plan.js';
import { attachTargets } from './targets.js';

/** The data of a training plan: its input population's source, with the loss's targets attached. */
export async function loadTrainingData(plan: TrainPlan, baseDir: string): Promise<SpikeDataset> {
  const ds = await loadDataset(plan.train.input.source, { dt: plan.dt, units: plan.input.size, baseDir });
  await attachTargets(plan.train.loss, ds, { dt: plan.dt, outputs: plan.readout.population.size, baseDir });
  return ds;
}

export async function loadDataset(source: IRTrain['input']['source'], o: { dt: number; units: number; baseDir: string }): Promise<SpikeDataset> {
  const a = source.args;
  const num = (k: string, fallback: number): number => (typeof a[k] === 'number' ? (a[k] as number) : fallback);
  const file = (): string => {
    const f = a.file;
    if (typeof f !== 'string') throw new DatasetError(`the data source ${source.kind} needs file: "PATH"`, 'give the path of the file, relative to the model');
    return isAbsolute(f) ? f : resolve(o.baseDir, f);
  };
  let ds: SpikeDataset;
  switch (source.kind) {
    case 'randman':
      ds = randman({
        classes: num('classes', 2),
        samples: num('samples', 1000),
        seed: num('seed', 0),
        units: o.units,
        dims: num('dims', 1),
        alpha: num('alpha', 2),
        timeSteps: num('time_steps', 100),
        spikesPerUnit: num('spikes_per_unit', 1),
        stepFrac: num('step_frac', 0.5),
      });
      break;
    case 'shd':
      ds = await readShd(file(), { dt: o.dt, maxTime: num('max_time', 1400) });
      break;
    case 'spike_file':
      ds = readSpikeFile(file(), { dt: o.dt, units: o.units });
      break;
    default:
      throw new DatasetError(`unknown data source '${source.kind}'`, 'use randman(…), shd(file: …) or spike_file(file: …)');
  }
  if (ds.units > o.units) {
    throw new DatasetError(`the data has ${ds.units} input channels but the input population has ${o.units} neurons`, `make the input population ${ds.units} neurons`);
  }
  return ds;
}
