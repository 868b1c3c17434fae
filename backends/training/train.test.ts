/**
 * Training on the CPU reference, against independent expectations: central finite differences
 * (with a smooth spike, the backward pass is the exact gradient), the simulation backend (the
 * training forward pass is the simulation), PyTorch's optimizer formulas written out, and a
 * small random-manifold task that a working trainer learns.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { compileText } from '../../compiler/compile.js';
import type { NetworkIR } from '../../compiler/ir/types.js';
import { simulate } from '../cpu/simulate.js';
import { CpuTrainEngine } from '../cpu/train.js';
import { loadTrainingData } from './data.js';
import { crossEntropy } from './loss.js';
import { trainNetwork } from './loop.js';
import { Optimizer } from './optimizer.js';
import { planTraining, TrainPlanError } from './plan.js';
import { compileTrain, cosineSimilarity, finiteDifferenceError, smallRandman, spikeSamples, teacherStudentTask } from './testing.js';

const NET = (hidden: string, extra = '', train = 'readout: max_over_time(output.v)'): string => `
neuron QIF {
  # a quadratic integrate-and-fire neuron: a user's nonlinear model, trained as written
  parameters { tau = 8 ms; tau_s = 4 ms; v_th = 1 }
  state { v = 0; i = 0 }
  equations {
    v' = (v * v / 2 - v + i) / tau
    i' = -i / tau_s
  }
  on input(w) { i += w }
  spike when v > v_th reset { v = 0 }
}
network t {
  dt = 1 ms
  input = Population(6, SpikeSourceArray) from randman(classes: 2, samples: 4, seed: 1)
  hidden = Population(5, ${hidden})
  output = Population(2, LI)
  Projection(input -> hidden, AllToAll, weight: normal(0, 2), trainable)
  Projection(hidden -> output, AllToAll, weight: normal(0, 1), trainable)
  ${extra}
  train { ${train} }
}`;

async function checkFiniteDifferences(ir: NetworkIR, beta: number, regularizer = false): Promise<number> {
  return finiteDifferenceError(planTraining(ir), beta, spikeSamples(3, 6, 30), 30, regularizer);
}

describe('training on the CPU (float64 BPTT)', () => {
  it('gives the gradient of central finite differences with a smooth spike: LIF, recurrent, regularised', async () => {
    const rel = await checkFiniteDifferences(compileTrain(NET('LIF', 'Projection(hidden -> hidden, AllToAll, weight: normal(0, 1), trainable)', 'readout: max_over_time(output.v); surrogate: sigmoid(beta: 5); reset_gradient: true')), 5, true);
    expect(rel).to.be.below(1e-4);
  });

  it('gives the gradient of central finite differences for a nonlinear model written in .snn (RK4 update map)', async () => {
    const ir = compileTrain(NET('QIF', '', 'readout: mean_over_time(output.v); surrogate: sigmoid(beta: 4); reset_gradient: true'));
    expect(ir.models.QIF!.integrator.method).to.equal('rk4');
    expect(await checkFiniteDifferences(ir, 4)).to.be.below(1e-4);
  });

  it('with a compact surrogate (triangle), skipping the spike adjoint where σ\' = 0 changes no gradient', async () => {
    const plan = planTraining(compileTrain(NET('LIF', 'Projection(hidden -> hidden, AllToAll, weight: normal(0, 1), trainable)', 'readout: max_over_time(output.v); surrogate: triangle(width: 0.3)')));
    const samples = spikeSamples(4, 6, 40);
    const grads = async (skip: boolean): Promise<{ g: Float64Array[]; skipped: number }> => {
      const e = new CpuTrainEngine(plan, { skipZeroSurrogate: skip });
      const f = await e.forward(samples, 40);
      const g = await e.backward(crossEntropy(f.readout, samples.map((s) => s.label), 2).grad, new Map());
      return { g, skipped: 1 - e.spikeAdjointFraction };
    };
    const all = await grads(false);
    const sparse = await grads(true);
    expect(all.skipped).to.equal(0);
    expect(sparse.skipped, 'most neuron-steps are outside the surrogate').to.be.above(0.5);
    all.g.forEach((g, p) => {
      expect(g.some((x) => x !== 0), `projection ${p} has a gradient`).to.equal(true);
      g.forEach((x, q) => expect(sparse.g[p]![q]).to.be.closeTo(x, 1e-12 * Math.max(1, Math.abs(x))));
    });
  });

  it('checkpoints: the gradients are the same bits for any number of steps between checkpoints', async () => {
    const plan = planTraining(compileTrain(NET('LIF', 'Projection(hidden -> hidden, AllToAll, weight: normal(0, 1), trainable)', 'readout: mean_over_time(output.v); surrogate: triangle(width: 0.5)')));
    const samples = spikeSamples(3, 6, 40);
    const grads = async (segment: number): Promise<Float64Array[]> => {
      const e = new CpuTrainEngine(plan, { segment });
      const f = await e.forward(samples, 40);
      return e.backward(crossEntropy(f.readout, samples.map((s) => s.label), 2).grad, new Map());
    };
    const whole = await grads(40);
    expect(whole.some((g) => g.some((x) => x !== 0))).to.equal(true);
    for (const segment of [1, 3, 7]) expect(await grads(segment), `segments of ${segment} steps`).to.deep.equal(whole);
  });

  it('holds a batch of the randman network (100 -> 200 recurrent -> 2, T = 200) in at most 5 bytes per neuron-step', async () => {
    const src = readFileSync('examples/randman.snn', 'utf8').replace('samples: 1000', 'samples: 8');
    const plan = planTraining(compileTrain(src));
    const data = await loadTrainingData(plan, '.');
    const engine = new CpuTrainEngine(plan);
    const T = 200;
    await engine.forward(data.samples, T);
    const neuronSteps = (200 + 2) * T * data.samples.length;
    // a dense BPTT engine holds the two state variables, arrivals, spikes and their adjoint: 40 bytes
    expect(engine.storedBytes / neuronSteps).to.be.at.most(5);
  });

  it('runs the forward pass of the simulation: the same spikes as snn run for the same input', async () => {
    const src = NET('LIF', 'Projection(hidden -> hidden, AllToAll, weight: normal(0, 1), trainable)');
    const ir = compileTrain(src);
    const plan = planTraining(ir);
    const engine = new CpuTrainEngine(plan);
    const [sample] = spikeSamples(1, 6, 40);
    await engine.forward([sample!], 40);
    // the same network with the sample's spikes as a SpikeSourceArray: spike at step k is time (k + 1) dt
    const times = Array.from({ length: 6 }, (_, u) => [...sample!.steps].filter((_, e) => sample!.units[e] === u).map((k) => `${k + 1} ms`));
    const simSrc = src.replace(/Population\(6, SpikeSourceArray\) from randman\([^)]*\)/, `Population(6, SpikeSourceArray(spike_times: [${times.map((t) => `[${t.join(', ')}]`).join(', ')}]))`).replace(/train \{[^}]*\}/, 'record hidden.spikes');
    const sim = compileText(simSrc, 'sim.snn', { duration: 40 });
    expect(sim.ir, JSON.stringify(sim.diagnostics)).to.not.equal(undefined);
    const res = simulate(sim.ir!);
    const expected = res.spikes.hidden!.times.map((t, i) => `${Math.round(t) - 1}:${res.spikes.hidden!.senders[i]}`).sort();
    const S = engine.spikeTrains(1);
    const got: string[] = [];
    for (let k = 0; k < 40; k++) for (let n = 0; n < 5; n++) if (S[k * 5 + n]) got.push(`${k}:${n}`);
    expect(expected.length).to.be.greaterThan(3);
    expect(got.sort()).to.deep.equal(expected);
  });

  it('refuses what it cannot train, naming the projection (SNN5301 in the CLI)', () => {
    const ir = compileTrain(NET('LIF', 'Projection(hidden -> hidden, AllToAll, weight: 0.1, plasticity: STDP, trainable)'));
    expect(() => planTraining(ir)).to.throw(TrainPlanError, /plasticity rule STDP/).with.property('element', 'projection:projection2');
    const refr = compileTrain(NET('IF_curr_exp(tau_refrac: 2 ms)').replace('weight: normal(0, 2)', 'weight: normal(0 nA, 2 nA)'));
    expect(() => planTraining(refr)).to.throw(TrainPlanError, /refractory/);
  });

  it('steps Adam and Adamax as PyTorch does (the update formulas written out)', () => {
    const g = [0.3, -0.2, 0.05];
    const adam = new Optimizer({ kind: 'adam', params: { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0 } }, [3]);
    const x = [Float64Array.from([1, 2, 3])];
    adam.step(x, [Float64Array.from(g)], 0.1);
    adam.step(x, [Float64Array.from(g)], 0.1);
    // two steps with the same gradient: m̂ = g, v̂ = g², so each step moves lr · g / (|g| + eps)
    x[0]!.forEach((v, i) => expect(v).to.be.closeTo([1, 2, 3][i]! - 2 * 0.1 * Math.sign(g[i]!) * (Math.abs(g[i]!) / (Math.abs(g[i]!) + 1e-8)), 1e-12));
    const adamax = new Optimizer({ kind: 'adamax', params: { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8 } }, [3]);
    const y = [Float64Array.from([0, 0, 0])];
    adamax.step(y, [Float64Array.from(g)], 0.1);
    y[0]!.forEach((v, i) => expect(v).to.be.closeTo((-0.1 * (0.1 * g[i]!)) / 0.1 / (Math.abs(g[i]!) + 1e-8), 1e-12));
  });

  it('learns a small random-manifold task (train and test accuracy well above chance)', async function () {
    this.timeout(120000);
    const { plan, data } = await smallRandman();
    const res = await trainNetwork(new CpuTrainEngine(plan), data, {});
    expect(res.history[res.history.length - 1]!.train_loss).to.be.below(res.history[0]!.train_loss);
    expect(res.test_accuracy).to.be.at.least(0.9);
  });

  it('teacher-student: a student recovers the teacher’s weights from its output spikes (cosine ≥ 0.95)', async function () {
    this.timeout(60000);
    const { plan, data, teacher } = await teacherStudentTask();
    const student = new CpuTrainEngine(plan);
    const before = cosineSimilarity(student.weights()[0]!, teacher);
    const res = await trainNetwork(student, data, {});
    expect(before, 'the student starts elsewhere').to.be.below(0.5);
    expect(res.test_loss, 'held-out van Rossum distance').to.be.below(res.history[0]!.train_loss / 5);
    expect(cosineSimilarity(student.weights()[0]!, teacher)).to.be.at.least(0.95);
  });
});
