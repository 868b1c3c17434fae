/**
 * The losses over time against analytic values (the van Rossum distance of single spikes,
 * van Rossum 2001) and their gradients against finite differences: of the loss alone, and
 * through the network by BPTT on the CPU reference with a smooth spike.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SpikeDataset } from '../../stdlib/data/dataset.js';
import { writeHdf5Atomically } from '../files.js';
import { traceMse, vanRossum } from './loss.js';
import { planTraining, TrainPlanError } from './plan.js';
import { attachTargets } from './targets.js';
import { compileTrain, finiteDifferenceError, spikeSamples } from './testing.js';

const train = (steps: number[], units: number[]): { steps: Int32Array; units: Int32Array } => ({ steps: Int32Array.from(steps), units: Int32Array.from(units) });

describe('losses over time', () => {
  it('van Rossum: one spike against none is 1/2, two spikes Δ apart 1 - exp(-Δ/τ) (continuous limit)', () => {
    const T = 40000;
    const dt = 0.01;
    const tau = 10;
    const one = new Float64Array(T);
    one[100] = 1;
    expect(vanRossum(one, [train([], [])], T, 1, tau, dt).loss).to.be.closeTo(0.5, 1e-3);
    for (const delta of [1, 5, 20]) {
      const d = vanRossum(one, [train([100 + delta / dt], [0])], T, 1, tau, dt).loss;
      expect(d).to.be.closeTo(1 - Math.exp(-delta / tau), 2e-3);
    }
    expect(vanRossum(one, [train([100], [0])], T, 1, tau, dt).loss).to.equal(0);
  });

  it('van Rossum and trace MSE: gradients equal central differences of the loss', () => {
    const T = 30;
    const B = 2;
    const N = 3;
    const spikes = Float64Array.from({ length: T * B * N }, (_, i) => ((i * 7) % 11 === 0 ? 1 : (i % 5) / 10));
    const targets = [train([2, 5, 9], [0, 2, 1]), train([4, 20], [1, 1])];
    const v = vanRossum(spikes, targets, T, N, 4, 1);
    const trace = Float64Array.from({ length: (T + 1) * B * N }, (_, i) => Math.sin(i));
    const tt = [Float64Array.from({ length: T * N }, (_, i) => Math.cos(i)), Float64Array.from({ length: T * N }, (_, i) => i / 50)];
    const m = traceMse(trace, tt, T, N);
    const h = 1e-5;
    for (const i of [0, 7, 40, T * B * N - 1]) {
      const p = Float64Array.from(spikes);
      p[i]! += h;
      const q = Float64Array.from(spikes);
      q[i]! -= h;
      expect(v.dSpikes[i]).to.be.closeTo((vanRossum(p, targets, T, N, 4, 1).loss - vanRossum(q, targets, T, N, 4, 1).loss) / (2 * h), 1e-8);
    }
    for (const i of [B * N, 50, (T + 1) * B * N - 1]) {
      const p = Float64Array.from(trace);
      p[i]! += h;
      const q = Float64Array.from(trace);
      q[i]! -= h;
      expect(m.dTrace[i]).to.be.closeTo((traceMse(p, tt, T, N).loss - traceMse(q, tt, T, N).loss) / (2 * h), 1e-8);
    }
    // row 0 is the initial state, which no target constrains
    expect(m.dTrace.subarray(0, B * N).every((x) => x === 0)).to.equal(true);
  });

  const NET = (train: string, output = 'LIF'): string => `
network t {
  dt = 1 ms
  input = Population(6, SpikeSourceArray) from randman(classes: 2, samples: 4, seed: 1)
  hidden = Population(5, LIF)
  output = Population(2, ${output})
  Projection(input -> hidden, AllToAll, weight: normal(0, 2), trainable)
  Projection(hidden -> hidden, AllToAll, weight: normal(0, 1), trainable)
  Projection(hidden -> output, AllToAll, weight: normal(0, 2), trainable)
  train { ${train}; surrogate: sigmoid(beta: 5); reset_gradient: true }
}`;

  it('BPTT through the van Rossum loss equals central finite differences (smooth spike)', async () => {
    const plan = planTraining(compileTrain(NET('readout: spike_count(output); loss: van_rossum(tau: 5 ms, targets: "t.csv")')));
    const samples = spikeSamples(3, 6, 30);
    samples.forEach((s, b) => (s.target = train([3 + b, 10, 17 + 2 * b], [0, 1, 0])));
    expect(await finiteDifferenceError(plan, 5, samples, 30)).to.be.below(1e-4);
  });

  it('BPTT through MSE to target traces equals central finite differences (smooth spike)', async () => {
    const plan = planTraining(compileTrain(NET('readout: last(output.v); loss: mse(targets: "t.h5")', 'LI')));
    const samples = spikeSamples(3, 6, 30);
    samples.forEach((s, b) => (s.trace = Float64Array.from({ length: 30 * 2 }, (_, i) => Math.sin(i / 5 + b))));
    expect(await finiteDifferenceError(plan, 5, samples, 30)).to.be.below(1e-4);
  });

  it('refuses van Rossum on a population that never spikes, and trace MSE on a spike count', () => {
    expect(() => planTraining(compileTrain(NET('readout: last(output.v); loss: van_rossum(targets: "t.csv")', 'LI')))).to.throw(TrainPlanError, /never spikes/);
    expect(() => planTraining(compileTrain(NET('readout: spike_count(output); loss: mse(targets: "t.h5")')))).to.throw(TrainPlanError, /counts spikes/);
  });

  describe('target files', () => {
    let dir = '';
    before(() => (dir = mkdtempSync(join(tmpdir(), 'snn-targets-'))));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const data = (): SpikeDataset => ({ name: 'd', units: 2, classes: 1, steps: 10, samples: spikeSamples(2, 2, 10) });

    it('reads target spike trains from a spike file, one sample per data sample', async () => {
      writeFileSync(join(dir, 'ok.csv'), 'sample,unit,time\n0,1,2.5\n0,0,7\n1,,\n');
      const ds = data();
      await attachTargets({ kind: 'van_rossum', tau: 5, targets: 'ok.csv' }, ds, { dt: 1, outputs: 2, baseDir: dir });
      expect([...ds.samples[0]!.target!.steps]).to.deep.equal([2, 7]);
      expect([...ds.samples[0]!.target!.units]).to.deep.equal([1, 0]);
      expect(ds.samples[1]!.target!.steps.length).to.equal(0);
    });

    it('says what is wrong with a target file', async () => {
      writeFileSync(join(dir, 'three.csv'), 'sample,unit,time\n0,1,2\n1,0,1\n2,0,1\n');
      writeFileSync(join(dir, 'wide.csv'), 'sample,unit,time\n0,5,2\n1,0,1\n');
      const vr = (f: string) => attachTargets({ kind: 'van_rossum', tau: 5, targets: f }, data(), { dt: 1, outputs: 2, baseDir: dir });
      await expectReject(vr('three.csv'), /3 target samples for 2 data samples/);
      await expectReject(vr('wide.csv'), /wide.csv:2: unit 5 is outside the 2 units/);
      await expectReject(vr('missing.csv'), /no such file/);
      await expectReject(attachTargets({ kind: 'mse', targets: 'three.csv' }, data(), { dt: 1, outputs: 2, baseDir: dir }), /not an HDF5 file/);
    });

    it('reads target traces from HDF5 [samples][steps][outputs] and checks the shape', async () => {
      const values = Float32Array.from({ length: 2 * 12 * 2 }, (_, i) => i / 4);
      await writeHdf5Atomically(join(dir, 'tr.h5'), (f) => f.create_dataset({ name: 'traces', data: values, shape: [2, 12, 2] }));
      await writeHdf5Atomically(join(dir, 'bad.h5'), (f) => f.create_dataset({ name: 'traces', data: values, shape: [2, 2, 12] }));
      const ds = data();
      await attachTargets({ kind: 'mse', targets: 'tr.h5' }, ds, { dt: 1, outputs: 2, baseDir: dir });
      expect(ds.samples[1]!.trace!.length).to.equal(10 * 2);
      expect(ds.samples[1]!.trace![3]).to.equal(values[12 * 2 + 3]);
      await expectReject(attachTargets({ kind: 'mse', targets: 'bad.h5' }, data(), { dt: 1, outputs: 2, baseDir: dir }), /shape \[2, 2, 12\]/);
    });
  });
});

async function expectReject(p: Promise<unknown>, re: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    expect((e as Error).message).to.match(re);
    return;
  }
  expect.fail(`expected a rejection matching ${re}`);
}
