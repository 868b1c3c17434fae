/**
 * The WebGPU training backend against the CPU reference (float64): the same forward spikes
 * (apart from float32 threshold flips, whose rate is bounded) and the same gradients within
 * 1e-3 relative, on a feed-forward LIF, a recurrent LIF and an AdEx network; and a small
 * random-manifold task learnt end to end. Fails, rather than skips, without an adapter when
 * SNN_REQUIRE_WEBGPU=1 (CI sets it).
 */
import { expect } from 'chai';
import type { NetworkIR } from '../../compiler/ir/types.js';
import { CpuTrainEngine } from '../cpu/train.js';
import { batchLoss, crossEntropy } from '../training/loss.js';
import { trainNetwork } from '../training/loop.js';
import { planTraining } from '../training/plan.js';
import { compileTrain, cosineSimilarity, smallRandman, spikeSamples, teacherStudentTask } from '../training/testing.js';
import { closeWebGpu, openWebGpu, webGpuRequired, type WebGpu } from './device.js';
import { WebGpuTrainEngine } from './train.js';

const net = (hidden: string, weight: string, extra: string, surrogate = 'fast_sigmoid(beta: 100)'): string => `
network t {
  dt = 1 ms
  input = Population(12, SpikeSourceArray) from randman(classes: 2, samples: 4, seed: 1)
  hidden = Population(16, ${hidden})
  output = Population(3, LI)
  Projection(input -> hidden, AllToAll, weight: normal(0${weight}, 2${weight}), trainable)
  Projection(hidden -> output, AllToAll, weight: normal(0, 1), trainable)
  ${extra}
  train { readout: max_over_time(output.v); surrogate: ${surrogate} }
}`;

const MODELS: [string, string][] = [
  ['feed-forward LIF', net('LIF', '', '')],
  ['recurrent LIF', net('LIF', '', 'Projection(hidden -> hidden, AllToAll, weight: normal(0, 1), trainable)')],
  // AdEx (PyNN's EIF_cond_exp_isfa_ista, RK4 with the exponential term), conductance input in uS;
  // the threshold margin is in mV, so the surrogate's slope is per mV
  ['AdEx', net('EIF_cond_exp_isfa_ista(tau_refrac: 0 ms)', ' uS', 'Projection(hidden -> hidden, AllToAll, weight: uniform(0 uS, 0.02 uS), trainable)', 'fast_sigmoid(beta: 0.5)').replace('normal(0 uS, 2 uS)', 'uniform(0 uS, 0.08 uS)')],
];

/** Per projection: the CPU gradient is nonzero and the largest difference is ≤ 1e-3 of its largest entry. */
function expectGradientsClose(gpu: Float64Array[], cpu: Float64Array[]): void {
  cpu.forEach((g, p) => {
    let num = 0;
    let den = 0;
    g.forEach((x, q) => {
      num = Math.max(num, Math.abs(x - gpu[p]![q]!));
      den = Math.max(den, Math.abs(x));
    });
    expect(den, `projection ${p} has a gradient`).to.be.greaterThan(0);
    expect(num / den, `projection ${p}`).to.be.at.most(1e-3);
  });
}

describe('WebGPU training against the CPU reference', function () {
  this.timeout(120000);
  let gpu: WebGpu | null = null;

  before(async function () {
    const o = await openWebGpu();
    if (!o.gpu) {
      if (webGpuRequired()) throw new Error(`SNN_REQUIRE_WEBGPU=1 but no WebGPU adapter: ${o.reason}`);
      console.log(`      (no WebGPU adapter: ${o.reason})`);
      this.skip();
    }
    gpu = o.gpu;
  });

  after(() => closeWebGpu());

  for (const [name, src] of MODELS) {
    it(`${name}: the same spikes and gradients within 1e-3`, async () => {
      const ir: NetworkIR = compileTrain(src);
      const plan = planTraining(ir);
      const cpu = new CpuTrainEngine(plan);
      const gpuEngine = await WebGpuTrainEngine.create(plan, gpu!);
      try {
        const T = 60;
        const samples = spikeSamples(4, 12, T);
        const fc = await cpu.forward(samples, T);
        const fg = await gpuEngine.forward(samples, T);
        const cc = fc.counts.get('hidden')!;
        const cg = fg.counts.get('hidden')!;
        const total = cc.reduce((a, b) => a + b, 0);
        let flips = 0;
        cc.forEach((c, i) => (flips += Math.abs(c - cg[i]!)));
        expect(total, 'the hidden layer spikes').to.be.greaterThan(20);
        // float32 against float64: a spike may move across the threshold; allow 1 in 200
        expect(flips / (16 * 4 * T)).to.be.at.most(0.005);
        fc.readout.forEach((v, i) => expect(fg.readout[i]!).to.be.closeTo(v, 1e-3 * Math.max(1, Math.abs(v))));
        const l = crossEntropy(fc.readout, samples.map((s) => s.label), 3);
        const gc = await cpu.backward(l.grad, new Map());
        const gg = await gpuEngine.backward(l.grad, new Map());
        if (flips === 0) {
          expectGradientsClose(gg, gc);
        }
        expect(flips, 'no flips on these inputs, so the gradients were compared').to.equal(0);
      } finally {
        gpuEngine.dispose();
      }
    });
  }

  it('learns a small random-manifold task on the GPU', async () => {
    const { plan, data } = await smallRandman();
    const engine = await WebGpuTrainEngine.create(plan, gpu!);
    try {
      const res = await trainNetwork(engine, data, {});
      expect(res.backend).to.equal('webgpu');
      expect(res.test_accuracy).to.be.at.least(0.9);
    } finally {
      engine.dispose();
    }
  });

  it('van Rossum loss over time: the same gradients as the CPU within 1e-3 (recurrent LIF, spiking output)', async () => {
    const src = net('LIF', '', 'Projection(hidden -> hidden, AllToAll, weight: normal(0, 1), trainable)')
      .replace('output = Population(3, LI)', 'output = Population(3, LIF)')
      .replace('weight: normal(0, 1), trainable)\n', 'weight: normal(0, 3), trainable)\n')
      .replace('readout: max_over_time(output.v)', 'readout: spike_count(output); loss: van_rossum(tau: 5 ms, targets: "t.csv")');
    const plan = planTraining(compileTrain(src));
    const cpu = new CpuTrainEngine(plan);
    const gpuEngine = await WebGpuTrainEngine.create(plan, gpu!);
    try {
      const T = 60;
      const samples = spikeSamples(4, 12, T);
      samples.forEach((s, b) => (s.target = { steps: Int32Array.from([5 + b, 20, 41]), units: Int32Array.from([0, 1, 2]) }));
      const fc = await cpu.forward(samples, T);
      const fg = await gpuEngine.forward(samples, T);
      expect([...fg.spikes!]).to.deep.equal([...fc.spikes!]);
      const l = batchLoss(plan.train.loss, fc, samples, T, 3, plan.dt);
      const gc = await cpu.backward(l.grad, new Map(), l.overTime);
      const gg = await gpuEngine.backward(l.grad, new Map(), l.overTime);
      expectGradientsClose(gg, gc);
    } finally {
      gpuEngine.dispose();
    }
  });

  it('teacher-student on the GPU: the student recovers the teacher’s weights (cosine ≥ 0.95)', async () => {
    const { plan, data, teacher } = await teacherStudentTask({ epochs: 60 });
    const engine = await WebGpuTrainEngine.create(plan, gpu!);
    try {
      await trainNetwork(engine, data, {});
      expect(cosineSimilarity(engine.weights()[0]!, teacher)).to.be.at.least(0.95);
    } finally {
      engine.dispose();
    }
  });
});
