/**
 * Online training (eligibility traces) against BPTT, the independent reverse-mode computation of
 * the same network's gradient (backends/cpu/train.ts): where the approximation is exact (one
 * feed-forward layer, the loss on its own variable) the two agree to 1e-9 in float64; with a
 * hidden recurrent layer, whose learning signal comes through feedback weights, the online
 * gradient points the same way as BPTT's.
 */
import { expect } from 'chai';
import type { SpikeSample } from '../../stdlib/data/dataset.js';
import { batchLoss } from '../training/loss.js';
import { planTraining, TrainPlanError } from '../training/plan.js';
import { compileTrain, cosineSimilarity, spikeSamples } from '../training/testing.js';
import { CpuOnlineEngine } from './online.js';
import { CpuTrainEngine } from './train.js';

const T = 40;

/** Samples with target traces for the readout (a smooth random curve per sample and output). */
function withTargets(samples: SpikeSample[], outputs: number, scale: number): SpikeSample[] {
  return samples.map((s, b) => {
    const trace = new Float64Array(T * outputs);
    for (let k = 0; k < T; k++) for (let o = 0; o < outputs; o++) trace[k * outputs + o] = scale * Math.sin(0.15 * k + 1.3 * o + 0.7 * b);
    return { ...s, trace };
  });
}

async function gradients(src: string, samples: SpikeSample[], outputs: number, feedback: 'symmetric' | 'random' = 'symmetric'): Promise<{ bptt: Float64Array[]; online: Float64Array[] }> {
  const plan = planTraining(compileTrain(src));
  const engine = new CpuTrainEngine(plan);
  const f = await engine.forward(samples, T);
  const l = batchLoss(plan.train.loss, f, samples, T, outputs, plan.dt);
  const bptt = await engine.backward(l.grad, new Map(), l.overTime);
  const online = new CpuOnlineEngine(plan, { feedback });
  await online.forward(samples, T);
  return { bptt, online: await online.backward() };
}

describe('online training (eligibility traces from the compiler’s Jacobians)', () => {
  it('one feed-forward LIF layer, MSE on its membrane: the online gradient is BPTT’s to 1e-9 (exact RTRL)', async () => {
    const src = `network t {
      dt = 1 ms
      input = Population(6, SpikeSourceArray) from randman(classes: 2, samples: 4, seed: 1)
      hidden = Population(4, LIF)
      Projection(input -> hidden, AllToAll, weight: normal(0, 2), trainable)
      train { readout: mean_over_time(hidden.v); loss: mse(targets: "targets.h5"); surrogate: fast_sigmoid(beta: 10) }
    }`;
    const samples = withTargets(spikeSamples(3, 6, T), 4, 0.5);
    const { bptt, online } = await gradients(src, samples, 4);
    const g = bptt[0]!;
    expect(g.some((x) => x !== 0)).to.equal(true);
    const scale = Math.max(...g.map(Math.abs));
    online[0]!.forEach((x, q) => expect(x, `weight ${q}`).to.be.closeTo(g[q]!, 1e-9 * scale));
  });

  it('the same with a nonlinear model written in .snn (QIF, RK4) and a leaky-integrator layer', async () => {
    const QIF = `neuron QIF {
      parameters { tau = 8 ms; tau_s = 4 ms; v_th = 1 }
      state { v = 0; i = 0 }
      equations {
        v' = (v * v / 2 - v + i) / tau
        i' = -i / tau_s
      }
      on input(w) { i += w }
      spike when v > v_th reset { v = 0 }
    }`;
    for (const model of ['QIF', 'LI']) {
      const src = `${QIF}
      network t {
        dt = 1 ms
        input = Population(6, SpikeSourceArray) from randman(classes: 2, samples: 4, seed: 1)
        out = Population(3, ${model})
        Projection(input -> out, AllToAll, weight: normal(0, 1), trainable)
        train { readout: last(out.v); loss: mse(targets: "targets.h5") }
      }`;
      const { bptt, online } = await gradients(src, withTargets(spikeSamples(2, 6, T), 3, 0.3), 3);
      const scale = Math.max(...bptt[0]!.map(Math.abs));
      expect(scale, model).to.be.above(0);
      online[0]!.forEach((x, q) => expect(x, `${model} weight ${q}`).to.be.closeTo(bptt[0]![q]!, 1e-9 * scale));
    }
  });

  it('a recurrent LIF layer under an LI readout: online gradients point as BPTT’s (cosine ≥ 0.8), symmetric and random feedback', async () => {
    const src = `network t {
      dt = 1 ms
      input = Population(12, SpikeSourceArray) from randman(classes: 2, samples: 4, seed: 1)
      hidden = Population(16, LIF)
      output = Population(2, LI)
      Projection(input -> hidden, AllToAll, weight: normal(0, 1.5), trainable)
      Projection(hidden -> hidden, AllToAll, weight: normal(0, 0.3), trainable)
      Projection(hidden -> output, AllToAll, weight: normal(0, 1), trainable)
      train { readout: max_over_time(output.v); loss: mse(targets: "targets.h5"); surrogate: fast_sigmoid(beta: 10) }
    }`;
    const samples = withTargets(spikeSamples(8, 12, T), 2, 0.4);
    const { bptt, online } = await gradients(src, samples, 2);
    const flat = (g: Float64Array[]): Float64Array => Float64Array.from(g.flatMap((x) => [...x]));
    const cos = cosineSimilarity(flat(online), flat(bptt));
    expect(cos, 'all weights').to.be.at.least(0.8);
    // the readout's own weights are exact, the input weights approximate
    expect(cosineSimilarity(online[2]!, bptt[2]!)).to.be.above(1 - 1e-9);
    expect(cosineSimilarity(online[0]!, bptt[0]!), 'input -> hidden').to.be.at.least(0.8);
    const random = await gradients(src, samples, 2, 'random');
    expect(cosineSimilarity(random.online[2]!, bptt[2]!)).to.be.above(1 - 1e-9);
  });

  it('holds the same memory for 50 steps as for 500 (nothing over time)', async () => {
    const src = `network t {
      dt = 1 ms
      input = Population(6, SpikeSourceArray) from randman(classes: 2, samples: 4, seed: 1)
      hidden = Population(8, LIF)
      output = Population(2, LI)
      Projection(input -> hidden, AllToAll, weight: normal(0, 2), trainable)
      Projection(hidden -> hidden, AllToAll, weight: normal(0, 0.3), trainable)
      Projection(hidden -> output, AllToAll, weight: normal(0, 1), trainable)
      train { method: online; readout: max_over_time(output.v) }
    }`;
    const engine = new CpuOnlineEngine(planTraining(compileTrain(src)));
    await engine.forward(spikeSamples(2, 6, 50), 50);
    const short = engine.storedBytes;
    await engine.forward(spikeSamples(2, 6, 500), 500);
    expect(short).to.be.above(0);
    expect(engine.storedBytes).to.equal(short);
  });

  it('refuses a loss it cannot take step by step, naming the readout', () => {
    const src = `network t {
      dt = 1 ms
      input = Population(6, SpikeSourceArray) from randman(classes: 2, samples: 4, seed: 1)
      hidden = Population(4, LIF)
      Projection(input -> hidden, AllToAll, weight: 1, trainable)
      train { readout: spike_count(hidden) }
    }`;
    expect(() => new CpuOnlineEngine(planTraining(compileTrain(src)))).to.throw(TrainPlanError, /every step/);
  });
});
