/**
 * The WebGPU training backend against the CPU reference (float64): the same forward spikes
 * (apart from float32 threshold flips, whose rate is bounded) and the same gradients within
 * 1e-3 relative, on a feed-forward LIF, a recurrent LIF and an AdEx network, with a compact
 * surrogate (the spike adjoint gated where σ' = 0) and with input counts above 1 per bin; a
 * small random-manifold task learnt end to end; and the memory the backward pass holds: at most
 * 5 bytes per neuron-step on the bench networks' shapes, counting every buffer the batch
 * allocates. Fails, rather than skips, without an adapter when SNN_REQUIRE_WEBGPU=1 (CI sets it).
 */
import { expect } from 'chai';
import type { NetworkIR } from '../../compiler/ir/types.js';
import { CpuTrainEngine } from '../cpu/train.js';
import { batchLoss, crossEntropy, regularize } from '../training/loss.js';
import { trainNetwork } from '../training/loop.js';
import { planTraining } from '../training/plan.js';
import { compileTrain, cosineSimilarity, smallRandman, spikeSamples, teacherStudentTask } from '../training/testing.js';
import type { SpikeSample } from '../../stdlib/data/dataset.js';
import { closeWebGpu, openWebGpu, webGpuRequired, type WebGpu } from './device.js';
import { countWidth, packCounts, packing, unpackCounts, WebGpuTrainEngine } from './train.js';

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
  // a compact surrogate: the backward pass computes the spike's adjoint only where σ'(m) ≠ 0
  ['recurrent LIF, triangle surrogate', net('LIF', '', 'Projection(hidden -> hidden, AllToAll, weight: normal(0, 1), trainable)', 'triangle(width: 0.5)')],
];

/** `samples` with some events repeated, so that input bins count up to 5 spikes. */
function repeatedEvents(samples: SpikeSample[]): SpikeSample[] {
  return samples.map((s) => {
    const ev: [number, number][] = [];
    s.steps.forEach((k, e) => {
      const u = s.units[e]!;
      const times = u % 4 === 0 ? 5 : u % 4 === 1 ? 2 : 1;
      for (let r = 0; r < times; r++) ev.push([k, u]);
    });
    return { ...s, steps: Int32Array.from(ev.map((x) => x[0])), units: Int32Array.from(ev.map((x) => x[1])) };
  });
}

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

  /** Forward spikes and readout, then gradients, of the WebGPU engine against the CPU's on `src`. */
  async function compare(src: string, T: number, samples: SpikeSample[]): Promise<void> {
    const ir: NetworkIR = compileTrain(src);
    const plan = planTraining(ir);
    const cpu = new CpuTrainEngine(plan);
    const gpuEngine = await WebGpuTrainEngine.create(plan, gpu!);
    try {
      const fc = await cpu.forward(samples, T);
      const fg = await gpuEngine.forward(samples, T);
      const cc = fc.counts.get('hidden')!;
      const cg = fg.counts.get('hidden')!;
      const total = cc.reduce((a, b) => a + b, 0);
      let flips = 0;
      cc.forEach((c, i) => (flips += Math.abs(c - cg[i]!)));
      expect(total, 'the hidden layer spikes').to.be.greaterThan(20);
      // float32 against float64: a spike may move across the threshold; allow 1 in 200
      expect(flips / (16 * samples.length * T)).to.be.at.most(0.005);
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
  }

  for (const [name, src] of MODELS) {
    it(`${name}: the same spikes and gradients within 1e-3`, () => compare(src, 60, spikeSamples(4, 12, 60)));
  }

  it('input bins with several spikes (counts up to 5, packed 4 bits a unit): the same spikes and gradients within 1e-3', () =>
    compare(net('LIF', '', 'Projection(hidden -> hidden, AllToAll, weight: normal(0, 1), trainable)').replace('normal(0, 2)', 'normal(0, 1)'), 60, repeatedEvents(spikeSamples(4, 12, 60))));

  it('other readouts, losses and delays: last with a spike-count regulariser, mse to traces, spike_count with a compact surrogate; the same gradients within 1e-3', async () => {
    const src = (train: string, out: string): string => `
network t {
  dt = 1 ms
  input = Population(12, SpikeSourceArray) from randman(classes: 2, samples: 4, seed: 1)
  hidden = Population(16, LIF)
  output = Population(3, ${out})
  Projection(input -> hidden, AllToAll, weight: normal(0, 2), trainable)
  Projection(hidden -> hidden, AllToAll, weight: normal(0, 1), trainable, delay: 3 ms)
  Projection(hidden -> output, AllToAll, weight: normal(0, 3), trainable, delay: 2 ms)
  train { ${train} }
}`;
    const T = 60;
    const samples = spikeSamples(4, 12, T);
    samples.forEach((s, b) => (s.trace = Float64Array.from({ length: T * 3 }, (_, i) => Math.sin(i * 0.1 + b))));
    const reg = 'regularizers: [activity(hidden, weight: 0.01, per: "neuron", power: 2)]';
    for (const [train, out] of [
      [`readout: last(output.v); ${reg}`, 'LI'],
      ['readout: last(output.v); loss: mse(targets: "t.h5")', 'LI'],
      [`readout: spike_count(output); surrogate: triangle(width: 0.4); ${reg}`, 'LIF'],
    ] as const) {
      const plan = planTraining(compileTrain(src(train, out)));
      const gpuEngine = await WebGpuTrainEngine.create(plan, gpu!);
      try {
        const grads: Float64Array[][] = [];
        for (const e of [new CpuTrainEngine(plan), gpuEngine]) {
          const f = await e.forward(samples, T);
          const l = batchLoss(plan.train.loss, f, samples, T, 3, plan.dt);
          const dCounts = new Map<string, Float64Array>();
          for (const r of plan.train.regularizers) {
            const counts = f.counts.get(r.population)!;
            dCounts.set(r.population, new Float64Array(counts.length));
            regularize(r, counts, samples.length, counts.length / samples.length, dCounts.get(r.population)!);
          }
          grads.push(await e.backward(l.grad, dCounts, l.overTime));
        }
        expectGradientsClose(grads[1]!, grads[0]!);
      } finally {
        gpuEngine.dispose();
      }
    }
  });

  it('holds at most 5 bytes per neuron-step on the bench networks’ shapes, counting every buffer of the batch', async () => {
    const STORAGE = 0x0080;
    const device = gpu!.device;
    const create = device.createBuffer.bind(device);
    /** The storage buffers made since the engine was created and not destroyed since, with their sizes. */
    const live = new Map<GPUBuffer, number>();
    device.createBuffer = (desc: GPUBufferDescriptor): GPUBuffer => {
      const b = create(desc);
      if (desc.usage & STORAGE) {
        live.set(b, b.size);
        const destroy = b.destroy.bind(b);
        b.destroy = () => {
          live.delete(b);
          destroy();
        };
      }
      return b;
    };
    const shapes = [
      // randman: 100 -> 200 -> 2, T 200 (feed-forward and recurrent); SHD-size: 700 -> 200 recurrent -> 20, T 100
      // (two batch sizes on the first: the second batch's buffers replace the first's)
      { nIn: 100, nHidden: 200, nOut: 2, T: 200, recurrent: false, batches: [4, 3] },
      { nIn: 100, nHidden: 200, nOut: 2, T: 200, recurrent: true, batches: [2] },
      { nIn: 700, nHidden: 200, nOut: 20, T: 100, recurrent: true, batches: [2] },
    ];
    try {
      for (const n of shapes) {
        const src = `
network mem {
  dt = 1 ms
  input = Population(${n.nIn}, SpikeSourceArray) from randman(classes: ${n.nOut}, samples: 4, seed: 1)
  hidden = Population(${n.nHidden}, LIF)
  output = Population(${n.nOut}, LI)
  Projection(input -> hidden, AllToAll, weight: normal(0, 0.5), trainable)
  ${n.recurrent ? 'Projection(hidden -> hidden, AllToAll, weight: normal(0, 0.3), trainable)' : ''}
  Projection(hidden -> output, AllToAll, weight: normal(0, 0.3), trainable)
  train { readout: max_over_time(output.v); surrogate: triangle(width: 0.3) }
}`;
        const plan = planTraining(compileTrain(src));
        const engine = await WebGpuTrainEngine.create(plan, gpu!);
        live.clear(); // the weights and their gradients do not count
        try {
          for (const B of n.batches) {
            const samples = spikeSamples(B, n.nIn, n.T);
            const f = await engine.forward(samples, n.T);
            const l = crossEntropy(f.readout, samples.map((s) => s.label % n.nOut), n.nOut);
            await engine.backward(l.grad, new Map());
            const held = [...live.values()].reduce((a, x) => a + x, 0);
            const neuronSteps = (n.nHidden + n.nOut) * n.T * B;
            const what = `${n.nIn} -> ${n.nHidden}${n.recurrent ? ' (recurrent)' : ''} -> ${n.nOut}, B ${B}`;
            expect(engine.storedBytes, `${what}: storedBytes counts every buffer the batch holds`).to.equal(held);
            expect(engine.storedBytes / neuronSteps, `${what}: bytes per neuron-step`).to.be.at.most(5);
            // at least the hidden spikes, one bit per neuron-step
            expect(engine.storedBytes).to.be.at.least((n.nHidden * n.T * B) / 8);
          }
        } finally {
          engine.dispose();
        }
        expect(live.size, 'dispose frees the batch buffers').to.equal(0);
      }
    } finally {
      device.createBuffer = create;
    }
  });

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

describe('WebGPU training: packed spike counts', () => {
  it('pack and unpack counts at every width, the width from the largest count', () => {
    expect([0, 1, 2, 3, 4, 15, 16, 255, 256, 65535, 65536].map(countWidth)).to.deep.equal([1, 1, 2, 2, 4, 4, 8, 8, 16, 16, 32]);
    for (const width of [1, 2, 4, 8, 16, 32]) {
      const N = 37;
      const rows = 5;
      const max = width === 32 ? 2 ** 32 - 1 : 2 ** width - 1;
      const counts = Float64Array.from({ length: rows * N }, (_, i) => (i % 3 === 0 ? 0 : i % 7 === 0 ? max : 1 + (i % Math.min(max, 5))));
      const p = packing(N, width);
      expect(p.words).to.equal(Math.ceil((N * width) / 32));
      expect([...unpackCounts(packCounts(counts, rows, N, p), rows, N, p)]).to.deep.equal([...counts]);
    }
  });
});
