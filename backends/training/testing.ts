/** Helpers shared by the training tests (CPU, WebGPU, PyTorch comparison). */
import { compileText } from '../../compiler/compile.js';
import type { NetworkIR } from '../../compiler/ir/types.js';
import type { SpikeDataset, SpikeSample } from '../../stdlib/data/dataset.js';
import { loadTrainingData } from './data.js';
import { planTraining, type TrainPlan } from './plan.js';
import { CpuTrainEngine } from '../cpu/train.js';
import { batchLoss, regularize } from './loss.js';

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
  const data = await loadTrainingData(plan, '.');
  return { plan, data };
}

/**
 * The worst relative error, over trainable projections, between the CPU engine's BPTT weight
 * gradients and central finite differences of the train block's loss, with the spike replaced by
 * a logistic of slope `beta` (so that the loss is differentiable) on `samples` over `steps`
 * steps; `regularizer` adds a spike-count penalty on population 'hidden'.
 */
export async function finiteDifferenceError(plan: TrainPlan, beta: number, samples: SpikeSample[], steps: number, regularizer = false): Promise<number> {
  const engine = new CpuTrainEngine(plan, { smoothSpikes: beta });
  const outputs = plan.readout.population.size;
  const loss = async (): Promise<{ loss: number; l: ReturnType<typeof batchLoss>; dCounts: Map<string, Float64Array> }> => {
    const f = await engine.forward(samples, steps);
    const l = batchLoss(plan.train.loss, f, samples, steps, outputs, plan.dt);
    const dCounts = new Map<string, Float64Array>();
    let total = l.loss;
    if (regularizer) {
      const c = f.counts.get('hidden')!;
      const d = new Float64Array(c.length);
      total += regularize({ population: 'hidden', weight: 0.01, per: 'neuron', power: 2 }, c, samples.length, c.length / samples.length, d);
      dCounts.set('hidden', d);
    }
    return { loss: total, l, dCounts };
  };
  const l0 = await loss();
  const grads = await engine.backward(l0.l.grad, l0.dCounts, l0.l.overTime);
  let worst = 0;
  for (const [p, W] of engine.weights().entries()) {
    if (!plan.projections[p]!.trainable) continue;
    let num = 0;
    let den = 0;
    for (let q = 0; q < W.length; q++) {
      const h = 1e-6;
      const w0 = W[q]!;
      W[q] = w0 + h;
      const lp = (await loss()).loss;
      W[q] = w0 - h;
      const lm = (await loss()).loss;
      W[q] = w0;
      const fd = (lp - lm) / (2 * h);
      num = Math.max(num, Math.abs(fd - grads[p]![q]!));
      den = Math.max(den, Math.abs(fd));
    }
    if (!(den > 1e-6)) throw new Error(`projection ${p} has no gradient to compare`);
    worst = Math.max(worst, num / den);
  }
  return worst;
}

/**
 * The teacher-student paradigm (Biehl & Schwarze 1995; seed 001): a one-layer LIF network with
 * known weights (the teacher) produces output spike trains from random input; a student of the
 * same architecture, started from other weights, learns from those spike trains alone (van
 * Rossum loss). Returns the student's plan, the data with the teacher's spikes as targets, and
 * the teacher's weights.
 */
export async function teacherStudentTask(o: { inputs?: number; outputs?: number; steps?: number; samples?: number; epochs?: number } = {}): Promise<{ plan: TrainPlan; data: SpikeDataset; teacher: Float64Array }> {
  const NIN = o.inputs ?? 20;
  const NOUT = o.outputs ?? 4;
  const T = o.steps ?? 150;
  const NS = o.samples ?? 64;
  const net = (seed: number, weight: string): string => `
network teacher_student {
  dt = 1 ms
  seed = ${seed}
  input = Population(${NIN}, SpikeSourceArray) from spike_file(file: "inputs.csv")
  output = Population(${NOUT}, LIF)
  Projection(input -> output, AllToAll, weight: ${weight}, trainable)
  train { readout: spike_count(output); loss: van_rossum(tau: 10 ms, targets: "teacher.csv"); optimizer: adam(lr: 5e-2); epochs: ${o.epochs ?? 100}; batch: 16; split: [0.75, 0, 0.25] }
}`;
  /** The (step, unit) events, in step then unit order, where `on` holds. */
  const events = (N: number, on: (k: number, n: number) => boolean): { steps: Int32Array; units: Int32Array } => {
    const st: number[] = [];
    const un: number[] = [];
    for (let k = 0; k < T; k++) {
      for (let n = 0; n < N; n++) {
        if (!on(k, n)) continue;
        st.push(k);
        un.push(n);
      }
    }
    return { steps: Int32Array.from(st), units: Int32Array.from(un) };
  };
  // Bernoulli input, 3 % per unit and step (30 Hz at dt = 1 ms), from a fixed linear congruential stream
  let x = 12345;
  const rand = (): number => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const samples: SpikeSample[] = Array.from({ length: NS }, () => ({ label: 0, ...events(NIN, () => rand() < 0.03) }));
  const teacher = new CpuTrainEngine(planTraining(compileTrain(net(1, 'normal(0.5, 1)'))));
  const S = (await teacher.forward(samples, T)).spikes!;
  samples.forEach((s, b) => (s.target = events(NOUT, (k, n) => S[(k * NS + b) * NOUT + n] !== 0)));
  return { plan: planTraining(compileTrain(net(2, 'normal(0, 0.5)'))), data: { name: 'teacher_student', units: NIN, classes: 1, steps: T, samples }, teacher: Float64Array.from(teacher.weights()[0]!) };
}

/** The cosine similarity of two weight vectors. */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb);
}
