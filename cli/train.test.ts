/** `snn train` end to end, as a user runs it (the built CLI in dist/). */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileText } from '../compiler/compile.js';
import { CpuTrainEngine } from '../backends/cpu/train.js';
import { planTraining } from '../backends/training/plan.js';
import { cosineSimilarity, SMALL_RANDMAN, teacherStudentTask } from '../backends/training/testing.js';
import { writeSpikeFile } from '../stdlib/data/spike-file.js';
import { readWeightsHdf5 } from '../backends/training/weights.js';
import { webGpuRequired } from '../backends/webgpu/device.js';

const CLI = join(process.cwd(), 'dist', 'cli', 'snn.js');

function snn(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const dir = (): string => mkdtempSync(join(tmpdir(), 'snn-train-'));



describe('snn train', function () {
  this.timeout(120_000);
  before(function () {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm ci does it) before the tests`);
  });

  it('--json ends with one JSON object; metrics, checkpoint and weights are written; --resume continues', () => {
    const d = dir();
    const file = join(d, 'small.snn');
    writeFileSync(file, SMALL_RANDMAN);
    const out = join(d, 'out');
    const r = snn('train', file, '--backend', 'cpu', '--json', '-o', out, '--epochs', '1');
    expect(r.code, r.stderr).to.equal(0);
    const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    for (const k of ['test_accuracy', 'train_loss', 'epochs', 'backend', 'samples_per_s']) expect(j, k).to.have.property(k);
    expect(j.backend).to.equal('cpu');
    expect(j.epochs).to.equal(1);
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n')).to.have.length(1);
    expect(existsSync(join(out, 'weights.h5'))).to.equal(true);
    const resumed = snn('train', file, '--backend', 'cpu', '--json', '-o', out, '--epochs', '2', '--resume');
    expect(resumed.code, resumed.stderr).to.equal(0);
    const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { epoch: number });
    expect(lines.map((l) => l.epoch)).to.deep.equal([1, 2]);
    // h5py reads the weights: one matrix per projection, pre × post
    const py = spawnSync('/usr/bin/python3', ['-c', `import h5py; f = h5py.File('${join(out, 'weights.h5')}', 'r'); print(f.attrs['format'], *(f[f'projections/projection{k}/weight'].shape for k in range(3)))`], { encoding: 'utf8' });
    expect(py.stdout.trim(), py.stderr).to.equal('snn-weights (30, 60) (60, 60) (60, 2)');
  });

  it('refuses a network it cannot train with SNN5301 at the line at fault, and writes nothing', () => {
    const d = dir();
    const file = join(d, 'plastic.snn');
    writeFileSync(file, SMALL_RANDMAN.replace('  Projection(hidden -> output', '  Projection(hidden -> hidden, AllToAll, weight: 0.1, plasticity: STDP)\n  Projection(hidden -> output'));
    const out = join(d, 'out');
    const r = snn('train', file, '--backend', 'cpu', '-o', out);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/plastic\.snn:10:3: error SNN5301: cannot train: 'projection2' has the plasticity rule STDP/);
    expect(existsSync(out)).to.equal(false);
  });

  it('examples/online_randman.snn trains online (eligibility traces) to within 5 points of BPTT on the same network', function () {
    this.timeout(300_000);
    const d = dir();
    const run = (...extra: string[]): Record<string, number | string> => {
      const r = snn('train', 'examples/online_randman.snn', '--backend', 'cpu', '--json', '--quiet', '-o', join(d, extra.join('') || 'online'), ...extra);
      expect(r.code, r.stderr).to.equal(0);
      return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number | string>;
    };
    const online = run();
    const bptt = run('--method', 'bptt');
    expect(online.device).to.match(/online/);
    expect(online.test_accuracy as number).to.be.at.least(0.9);
    expect(Math.abs((online.test_accuracy as number) - (bptt.test_accuracy as number))).to.be.at.most(0.05);
  });

  it('refuses online training it cannot do with SNN5301 at the train entry at fault; --backend webgpu trains online', function () {
    this.timeout(300_000);
    const d = dir();
    const file = join(d, 'count.snn');
    writeFileSync(file, SMALL_RANDMAN.replace('train { readout: max_over_time(output.v);', 'train { readout: spike_count(hidden);'));
    const r = snn('train', file, '--backend', 'cpu', '--method', 'online', '-o', join(d, 'out'));
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/count\.snn:\d+:\d+: error SNN5301: cannot train: online training takes its error from the readout variable at every step/);
    expect(existsSync(join(d, 'out'))).to.equal(false);
    // the WebGPU online engine (backends/webgpu/online.ts); one epoch, since lavapipe is slow
    const gpu = snn('train', 'examples/online_randman.snn', '--backend', 'webgpu', '--method', 'online', '--epochs', '1', '--json', '--quiet', '-o', join(d, 'gpu'));
    if (gpu.code !== 0 && /SNN5303/.test(gpu.stderr) && !webGpuRequired()) {
      console.log('      (no WebGPU adapter: the online training on it is not run)');
      return;
    }
    expect(gpu.code, gpu.stderr).to.equal(0);
    const j = JSON.parse(gpu.stdout.trim().split('\n').pop()!) as Record<string, number | string>;
    expect(j.backend).to.equal('webgpu');
    expect(j.device).to.match(/online/);
    expect(j.epochs).to.equal(1);
    expect(j.test_accuracy as number).to.be.at.least(0.5);
  });

  it('reports unreadable data with SNN5302 and usage errors with exit code 2', () => {
    const d = dir();
    const file = join(d, 'shd.snn');
    writeFileSync(file, SMALL_RANDMAN.replace(/Population\(30, SpikeSourceArray\) from randman\([^)]*\)/, 'Population(700, SpikeSourceArray) from shd(file: "missing.h5")').replace(/sqrt\(30\)/, 'sqrt(700)'));
    const r = snn('train', file, '--backend', 'cpu', '-o', join(d, 'out'));
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/shd\.snn:5:\d+: error SNN5302: cannot read the training data: .*missing\.h5/);
    expect(r.stderr).to.not.match(/at .*\.js:\d+/);
    expect(snn('train', file, '--epochs', 'many').code).to.equal(2);
  });

  it('trains to target spike trains read from a file (van_rossum), and a missing targets file is SNN5302 at the loss', async () => {
    const d = dir();
    const { data, teacher } = await teacherStudentTask();
    writeSpikeFile(join(d, 'inputs.csv'), data, 1);
    writeSpikeFile(join(d, 'teacher.csv'), { ...data, units: 4, samples: data.samples.map((s) => ({ label: 0, ...s.target! })) }, 1);
    const src = `network student {
  dt = 1 ms
  seed = 2
  input = Population(20, SpikeSourceArray) from spike_file(file: "inputs.csv")
  output = Population(4, LIF)
  Projection(input -> output, AllToAll, weight: normal(0, 0.5), trainable)
  train {
    readout: spike_count(output)
    loss: van_rossum(tau: 10 ms, targets: "teacher.csv")
    optimizer: adam(lr: 5e-2); epochs: 100; batch: 16; split: [0.75, 0, 0.25]
  }
}
`;
    writeFileSync(join(d, 'student.snn'), src);
    const r = snn('train', join(d, 'student.snn'), '--backend', 'cpu', '--json', '-o', join(d, 'out'));
    expect(r.code, r.stderr).to.equal(0);
    const w = await readWeightsHdf5(join(d, 'out', 'weights.h5'));
    expect(cosineSimilarity(w.get('projection0')!.weight, teacher)).to.be.at.least(0.95);
    writeFileSync(join(d, 'missing.snn'), src.replace('teacher.csv', 'nowhere.csv'));
    const m = snn('train', join(d, 'missing.snn'), '--backend', 'cpu', '-o', join(d, 'out2'));
    expect(m.code).to.equal(1);
    expect(m.stderr).to.match(/missing\.snn:9:11: error SNN5302: cannot read the training data: .*nowhere\.csv: no such file/);
    expect(existsSync(join(d, 'out2'))).to.equal(false);
  });

  it('snn run --weights simulates the trained network: the spikes of the training forward pass with those weights', async () => {
    const d = dir();
    const file = join(d, 'small.snn');
    writeFileSync(file, SMALL_RANDMAN);
    const out = join(d, 'out');
    expect(snn('train', file, '--backend', 'cpu', '--quiet', '-o', out, '--epochs', '2', '--lr', '0.05').code).to.equal(0);
    const trained = await readWeightsHdf5(join(out, 'weights.h5'));
    // the training forward pass on one input pattern, with the trained weights
    const plan = planTraining(compileText(SMALL_RANDMAN, 'small.snn', { keepDataSources: true, defaultDuration: 50 }).ir!);
    const engine = new CpuTrainEngine(plan);
    engine.setWeights(plan.projections.map((p) => trained.get(p.name)!.weight));
    const steps = Array.from({ length: 30 }, (_, u) => (u * 7) % 25);
    const sample = { label: 0, steps: Int32Array.from([...steps].sort((a, b) => a - b)), units: Int32Array.from(steps.map((_, u) => u).sort((a, b) => steps[a]! - steps[b]! || a - b)) };
    const f = await engine.forward([sample], 50);
    const expected = f.counts.get('hidden')!.reduce((a, b) => a + b, 0);
    // the same pattern as a spike array in a model snn run can simulate
    const times = steps.map((k) => `[${k + 1} ms]`).join(', ');
    const runModel = join(d, 'run.snn');
    writeFileSync(runModel, SMALL_RANDMAN.replace(/Population\(30, SpikeSourceArray\) from randman\([^)]*\)/, `Population(30, SpikeSourceArray(spike_times: [${times}]))`).replace(/train \{[^}]*\}/, 'duration = 50 ms\n  record hidden.spikes'));
    const r = snn('run', runModel, '--weights', join(out, 'weights.h5'), '--json', '-o', join(d, 'run'));
    expect(r.code, r.stderr).to.equal(0);
    const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { populations: Record<string, { spikes: number }> };
    expect(expected).to.be.greaterThan(0);
    expect(j.populations.hidden!.spikes).to.equal(expected);
    const untrained = snn('run', runModel, '--json', '-o', join(d, 'run0'));
    expect((JSON.parse(untrained.stdout.trim().split('\n').pop()!) as typeof j).populations.hidden!.spikes, 'the weights changed something').to.not.equal(expected);
    expect(snn('run', runModel, '--weights', file).code, 'a file that is not a weights file').to.equal(2);
  });
});
