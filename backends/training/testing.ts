/** Helpers shared by the training tests (CPU, WebGPU, PyTorch comparison). */
import { compileText } from '../../compiler/compile.js';
import type { NetworkIR } from '../../compiler/ir/types.js';
import type { SpikeDataset, SpikeSample } from '../../stdlib/data/dataset.js';
import { loadDataset } from './data.js';
import { planTraining, type TrainPlan } from './plan.js';

export function compileTrain(src: string): NetworkIR {
  const r = compileText(src, 'test.snn', { keepDataSources: true, defaultDuration: 100 });
  if (!r.ir) throw new Error(r.diagnostics.map((d) => `${d.code} ${d.message}`).join('\n'));
  return r.ir;
}

/** A few input spikes per sample, different for each sample. */
export function spikeSamples(batch: number, units: number, steps: number, seed = 0): SpikeSample[] {
  return Array.from({ length: batch }, (_, b) => {
    const ev: [number, number][] = [];
    for (let u = 0; u < units; u++) for (let k = 0; k < 3; k++) ev.push([(7 * u + 13 * k + 5 * b + seed) % (steps - 2), u]);
    ev.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    return { label: b % 2, steps: Int32Array.from(ev.map((e) => e[0])), units: Int32Array.from(ev.map((e) => e[1])) };
  });
}

/** A CI-sized random-manifold classifier that a working trainer learns in a few seconds. */
export const SMALL_RANDMAN = `# a CI-sized random-manifold classifier
network small {
  dt = 1 ms
  seed = 3
  input = Population(30, SpikeSourceArray) from randman(classes: 2, samples: 200, seed: 7, time_steps: 50)
  hidden = Population(60, LIF)
  output = Population(2, LI)
  Projection(input -> hidden, AllToAll, weight: normal(0, 3 / sqrt(30)), trainable)
  Projection(hidden -> hidden, AllToAll, weight: normal(0, 3 / sqrt(60)), trainable)
  Projection(hidden -> output, AllToAll, weight: normal(0, 3 / sqrt(60)), trainable)
  train { readout: max_over_time(output.v); optimizer: adam(lr: 5e-3); epochs: 8; batch: 16 }
}
`;

/** SMALL_RANDMAN's plan and the data its input population names. */
export async function smallRandman(): Promise<{ plan: TrainPlan; data: SpikeDataset }> {
  const plan = planTraining(compileTrain(SMALL_RANDMAN));
  const data = await loadDataset(plan.train.input.source, { dt: plan.dt, units: plan.input.size, baseDir: '.' });
  return { plan, data };
}
