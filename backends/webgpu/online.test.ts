/**
 * Online training on WebGPU (float32) against the CPU online engine (float64,
 * backends/cpu/online.ts): the same forward spikes and the same summed gradients within 1e-3
 * relative, on one feed-forward LIF layer with mse(targets) and on a recurrent LIF hidden layer
 * under an LI readout with cross_entropy, with symmetric and random feedback; and memory that does
 * not grow with the number of steps. Fails, rather than skips, without an adapter when
 * SNN_REQUIRE_WEBGPU=1 (CI sets it).
 */
import { expect } from 'chai';
import type { SpikeSample } from '../../stdlib/data/dataset.js';
import { CpuOnlineEngine } from '../cpu/online.js';
import { planTraining } from '../training/plan.js';
import { compileTrain, spikeSamples } from '../training/testing.js';
import { closeWebGpu, openWebGpu, webGpuRequired, type WebGpu } from './device.js';
import { CHUNK, WebGpuOnlineEngine } from './online.js';

const T = 40;

/** Samples with target traces for the readout (a smooth random curve per sample and output), as backends/cpu/online.test.ts. */
function withTargets(samples: SpikeSample[], outputs: number, scale: number): SpikeSample[] {
  return samples.map((s, b) => {
    const trace = new Float64Array(T * outputs);
    for (let k = 0; k < T; k++) for (let o = 0; o < outputs; o++) trace[k * outputs + o] = scale * Math.sin(0.15 * k + 1.3 * o + 0.7 * b);
    return { ...s, trace };
  });
}

/** Per trainable projection: the CPU gradient is nonzero and the largest difference is ≤ 1e-3 of its largest entry (backends/webgpu/train.test.ts). */
function expectGradientsClose(gpu: Float64Array[], cpu: Float64Array[], what: string): void {
  cpu.forEach((g, p) => {
    let num = 0;
    let den = 0;
    g.forEach((x, q) => {
      num = Math.max(num, Math.abs(x - gpu[p]![q]!));
      den = Math.max(den, Math.abs(x));
    });
    expect(den, `${what}: projection ${p} has a gradient`).to.be.greaterThan(0);
    expect(num / den, `${what}: projection ${p}`).to.be.at.most(1e-3);
  });
}

const RECURRENT = `network t {
  dt = 1 ms
  input = Population(12, SpikeSourceArray) from randman(classes: 2, samples: 4, seed: 1)
  hidden = Population(16, LIF)
  output = Population(2, LI)
  Projection(input -> hidden, AllToAll, weight: normal(0, 1.5), trainable)
  Projection(hidden -> hidden, AllToAll, weight: normal(0, 0.3), trainable)
  Projection(hidden -> output, AllToAll, weight: normal(0, 1), trainable)
  train { method: online; readout: max_over_time(output.v); loss: cross_entropy; surrogate: fast_sigmoid(beta: 10) }
}`;

describe('WebGPU online training against the CPU online engine', function () {
  this.timeout(300000);
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

  /** Forward (readout, spikes) and gradients of both engines on `src`; the gradients are compared only without threshold flips, which the test asks for. */
  async function compare(src: string, samples: SpikeSample[], feedback: 'symmetric' | 'random', spiking?: string): Promise<void> {
    const plan = planTraining(compileTrain(src));
    const cpu = new CpuOnlineEngine(plan, { feedback });
    const engine = await WebGpuOnlineEngine.create(plan, gpu!, { feedback });
    try {
      const fc = await cpu.forward(samples, T);
      const fg = await engine.forward(samples, T);
      fc.readout.forEach((v, i) => expect(fg.readout[i]!, `readout ${i}`).to.be.closeTo(v, 1e-3 * Math.max(1, Math.abs(v))));
      if (fc.trace) fc.trace.forEach((v, i) => expect(fg.trace![i]!, `trace ${i}`).to.be.closeTo(v, 1e-3 * Math.max(1, Math.abs(v))));
      if (spiking) {
        const cc = fc.counts.get(spiking)!;
        const cg = fg.counts.get(spiking)!;
        expect(cc.reduce((a, b) => a + b, 0), `'${spiking}' spikes`).to.be.greaterThan(20);
        // float32 against float64 could move a spike across the threshold: none on these inputs, so the gradients compare
        expect([...cg], 'the same spike counts').to.deep.equal([...cc]);
      }
      expectGradientsClose(await engine.backward(), await cpu.backward(), feedback);
    } finally {
      engine.dispose();
    }
  }

  it('one feed-forward LIF layer, mse(targets) on its membrane: the same gradients within 1e-3', () =>
    compare(
      `network t {
        dt = 1 ms
        input = Population(6, SpikeSourceArray) from randman(classes: 2, samples: 4, seed: 1)
        hidden = Population(4, LIF)
        Projection(input -> hidden, AllToAll, weight: normal(0, 2), trainable)
        train { method: online; readout: mean_over_time(hidden.v); loss: mse(targets: "targets.h5"); surrogate: fast_sigmoid(beta: 10) }
      }`,
      withTargets(spikeSamples(3, 6, T), 4, 0.5),
      'symmetric',
      'hidden',
    ));

  for (const feedback of ['symmetric', 'random'] as const) {
    it(`a recurrent LIF layer under an LI readout, cross_entropy, feedback: ${feedback}: the same spikes and gradients within 1e-3`, () =>
      compare(RECURRENT, spikeSamples(8, 12, T), feedback, 'hidden'));
  }

  it('a delay and the last readout: the same gradients within 1e-3 over several chunks of steps', async () => {
    const src = RECURRENT.replace('weight: normal(0, 0.3), trainable)', 'weight: normal(0, 0.3), trainable, delay: 3 ms)').replace('max_over_time(output.v)', 'last(output.v)');
    expect(T).to.be.above(2 * CHUNK);
    await compare(src, spikeSamples(4, 12, T, 1), 'symmetric', 'hidden');
  });

  it('holds the same memory for 50 steps as for 500 (nothing over time), counting every buffer of the batch', async () => {
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
    try {
      const plan = planTraining(compileTrain(RECURRENT));
      const engine = await WebGpuOnlineEngine.create(plan, gpu!);
      live.clear(); // the weights and their gradients do not count
      try {
        await engine.forward(spikeSamples(2, 12, 50), 50);
        const short = engine.storedBytes;
        expect(short, 'storedBytes counts every buffer the batch holds').to.equal([...live.values()].reduce((a, x) => a + x, 0));
        await engine.forward(spikeSamples(2, 12, 500), 500);
        expect(engine.storedBytes).to.equal(short);
        // at least the traces: e (2 floats, LIF) and f (2, the LI readout's) per sample and synapse into the hidden layer
        expect(short).to.be.at.least(2 * (12 * 16 + 16 * 16) * 4 * 4);
      } finally {
        engine.dispose();
      }
      expect(live.size, 'dispose frees the batch buffers').to.equal(0);
    } finally {
      device.createBuffer = create;
    }
  });
});
