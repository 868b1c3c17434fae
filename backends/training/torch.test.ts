/**
 * The CPU training engine (float64) against an independent PyTorch implementation of the same
 * semantics, bench/peers/torch_snn.py (its `grad` mode: loss, gradients and spike counts of one
 * batch in float64, autograd through a SpyTorch-style custom spike function). Both sides get the
 * same network (weights taken from the engine's plan), the same hand-made input spikes and the
 * same labels; the loss, every weight gradient and the hidden spike counts must agree.
 *
 * Needs /usr/bin/python3 with torch (Debian: python3-torch); the test fails, not skips, without it.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileText } from '../../compiler/compile.js';
import { makeSample, type SpikeSample } from '../../stdlib/data/dataset.js';
import { CpuTrainEngine } from '../cpu/train.js';
import { crossEntropy, regularize } from './loss.js';
import { planTraining, type TrainPlan } from './plan.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const PEER = path.join(REPO, 'bench', 'peers', 'torch_snn.py');
const PYTHON = '/usr/bin/python3';

const N_IN = 12;
const N_HIDDEN = 10;
const N_OUT = 3;
const T = 40;
const LABELS = [0, 1, 2, 1];

interface Case {
  name: string;
  recurrent: boolean;
  /** As written in the train block, and as torch_snn.py takes it. */
  surrogate: { snn: string; torch: Record<string, unknown> };
  readout: 'max_over_time' | 'mean_over_time';
  resetGradient: boolean;
  vReset: number;
  /** Weight of activity(hidden, per: "neuron", power: 2) with no bounds; 0: none. */
  reg: number;
}

const SPYTORCH = { snn: 'fast_sigmoid(beta: 100)', torch: { name: 'fast_sigmoid', beta: 100 } };
const base: Case = { name: '', recurrent: true, surrogate: SPYTORCH, readout: 'max_over_time', resetGradient: false, vReset: 0, reg: 0 };
const CASES: Case[] = [
  { ...base, name: 'recurrent, fast_sigmoid(beta: 100), detached reset, max_over_time, cross entropy' },
  { ...base, name: 'feed-forward, fast_sigmoid(beta: 100), detached reset, max_over_time, cross entropy', recurrent: false },
  { ...base, name: 'recurrent, reset_gradient: true (v_reset -0.2)', resetGradient: true, vReset: -0.2 },
  { ...base, name: 'recurrent, mean_over_time', readout: 'mean_over_time' },
  { ...base, name: 'recurrent, sigmoid(beta: 10)', surrogate: { snn: 'sigmoid(beta: 10)', torch: { name: 'sigmoid', beta: 10 } } },
  // compact support: the CPU engine skips the spike's adjoint where σ' = 0
  { ...base, name: 'recurrent, triangle(width: 0.3)', surrogate: { snn: 'triangle(width: 0.3)', torch: { name: 'triangle', width: 0.3 } } },
  { ...base, name: 'feed-forward, arctan(alpha: 3)', recurrent: false, surrogate: { snn: 'arctan(alpha: 3)', torch: { name: 'arctan', alpha: 3 } } },
  { ...base, name: 'recurrent, activity(hidden, weight: 2e-3, per: "neuron", power: 2) regulariser', reg: 2e-3 },
];

function network(c: Case): string {
  return `
network torch_peer {
  dt = 1 ms
  seed = 7
  input = Population(${N_IN}, SpikeSourceArray) from randman(classes: ${N_OUT}, samples: 8, seed: 1)
  hidden = Population(${N_HIDDEN}, LIF(v_reset: ${c.vReset}))
  output = Population(${N_OUT}, LI)
  Projection(input -> hidden, AllToAll, weight: normal(0, 3), trainable)
  ${c.recurrent ? 'Projection(hidden -> hidden, AllToAll, weight: normal(0, 1), trainable)' : ''}
  Projection(hidden -> output, AllToAll, weight: normal(0, 3), trainable)
  train {
    readout: ${c.readout}(output.v)
    loss: cross_entropy
    surrogate: ${c.surrogate.snn}
    reset_gradient: ${c.resetGradient}
    ${c.reg ? `regularizers: [activity(hidden, weight: ${c.reg}, per: "neuron", power: 2)]` : ''}
  }
}
`;
}

/**
 * Hand-made input: every unit fires a few times per sample at steps that depend on the unit and
 * the sample, one event is repeated (two spikes in one bin) and one falls on the last step.
 */
function inputs(): SpikeSample[] {
  return LABELS.map((label, b) => {
    const steps: number[] = [];
    const units: number[] = [];
    for (let u = 0; u < N_IN; u++) {
      for (let j = 0; j < 4; j++) {
        steps.push((2 + 3 * u + 5 * b + 9 * j + ((u * j + b) % 4)) % T);
        units.push(u);
      }
    }
    steps.push(steps[0]!, T - 1); // a repeated event, and one at the last step
    units.push(units[0]!, (5 + b) % N_IN);
    return makeSample(label, steps, units, N_IN);
  });
}

interface Side {
  loss: number;
  W1: Float64Array | number[];
  V: Float64Array | number[] | null;
  W2: Float64Array | number[];
  /** Hidden spikes per sample. */
  spikes: number[];
}

function projectionIndex(plan: TrainPlan, pre: string, post: string): number {
  return plan.projections.findIndex((p) => plan.populations[p.pre]!.name === pre && plan.populations[p.post]!.name === post);
}

async function snnSide(c: Case, samples: SpikeSample[]): Promise<{ side: Side; weights: (Float64Array | null)[]; hiddenRate: number }> {
  const r = compileText(network(c), 'torch_peer.snn', { keepDataSources: true, defaultDuration: 100 });
  if (!r.ir) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  const plan = planTraining(r.ir);
  const engine = new CpuTrainEngine(plan);
  const idx = [projectionIndex(plan, 'input', 'hidden'), projectionIndex(plan, 'hidden', 'hidden'), projectionIndex(plan, 'hidden', 'output')];
  expect(idx[0]).to.be.at.least(0);
  expect(idx[2]).to.be.at.least(0);
  expect(idx[1] >= 0).to.equal(c.recurrent);
  for (const i of idx) if (i >= 0) expect(plan.projections[i]!.mask.every((m) => m === 1), 'AllToAll connects every pair').to.equal(true);
  const f = await engine.forward(samples, T);
  const labels = samples.map((s) => s.label);
  const ce = crossEntropy(f.readout, labels, N_OUT);
  let loss = ce.loss;
  const dCounts = new Map<string, Float64Array>();
  const counts = f.counts.get('hidden')!;
  expect(plan.train.regularizers.length).to.equal(c.reg ? 1 : 0);
  for (const reg of plan.train.regularizers) {
    expect(reg).to.deep.equal({ population: 'hidden', weight: c.reg, per: 'neuron', power: 2 });
    const d = new Float64Array(counts.length);
    loss += regularize(reg, counts, samples.length, N_HIDDEN, d);
    dCounts.set('hidden', d);
  }
  const grads = await engine.backward(ce.grad, dCounts);
  const spikes = samples.map((_, b) => counts.subarray(b * N_HIDDEN, (b + 1) * N_HIDDEN).reduce((a, x) => a + x, 0));
  const W = engine.weights();
  return {
    side: { loss, W1: grads[idx[0]]!, V: idx[1] >= 0 ? grads[idx[1]]! : null, W2: grads[idx[2]]!, spikes },
    weights: idx.map((i) => (i >= 0 ? W[i]! : null)),
    hiddenRate: spikes.reduce((a, x) => a + x, 0) / (samples.length * N_HIDDEN * T),
  };
}

function torchSide(c: Case, samples: SpikeSample[], weights: (Float64Array | null)[]): Side {
  // stdlib/training.snn's LIF and LI: tau_mem 10 ms, tau_syn 5 ms, v_th 1
  const spec = {
    dt: 1.0, tau_mem: 10.0, tau_syn: 5.0, v_th: 1.0, v_reset: c.vReset, T,
    n_in: N_IN, n_hidden: N_HIDDEN, n_out: N_OUT, recurrent: c.recurrent,
    surrogate: c.surrogate.torch, readout: c.readout, reset_gradient: c.resetGradient, reg_weight: c.reg,
    W1: Array.from(weights[0]!), V: weights[1] ? Array.from(weights[1]) : null, W2: Array.from(weights[2]!),
    labels: samples.map((s) => s.label),
    inputs: samples.map((s) => Array.from(s.steps, (k, e) => [k, s.units[e]!])),
  };
  // JSON.stringify writes float64 numbers in their shortest round-trip form: Python reads the same bits.
  const out = execFileSync(PYTHON, [PEER, 'grad', '-'], { cwd: REPO, input: JSON.stringify(spec), encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  const r = JSON.parse(out.trim().split('\n').pop()!) as { loss: number; grads: { W1: number[]; V: number[] | null; W2: number[] }; spike_counts: number[] };
  return { loss: r.loss, W1: r.grads.W1, V: r.grads.V, W2: r.grads.W2, spikes: r.spike_counts };
}

/** max |a - b| / max |b| over a tensor. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).to.equal(b.length);
  let num = 0;
  let den = 0;
  for (let k = 0; k < b.length; k++) {
    num = Math.max(num, Math.abs(a[k]! - b[k]!));
    den = Math.max(den, Math.abs(b[k]!));
  }
  expect(den, 'the reference gradient is not all zero').to.be.greaterThan(0);
  return num / den;
}

describe('training gradients against PyTorch (bench/peers/torch_snn.py grad)', function () {
  this.timeout(60_000);
  const samples = inputs();

  before(function () {
    // fails (not skips) without python3-torch
    const v = execFileSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).trim();
    expect(v, 'torch version').to.match(/^\d+\./);
  });

  describe('(e) with the spytorch update order and surrogate, the gradients equal an independent PyTorch implementation of the same network on the same inputs within 1e-4', function () {
    for (const c of CASES) {
      it(c.name, async function () {
        const snn = await snnSide(c, samples);
        // the hidden layer is active but not saturated, so the gradients go through real spikes
        expect(snn.hiddenRate, 'hidden spikes per neuron and step').to.be.within(0.01, 0.5);
        const torch = torchSide(c, samples, snn.weights);
        expect(snn.side.spikes, 'hidden spikes per sample').to.deep.equal(torch.spikes);
        expect(Math.abs(snn.side.loss - torch.loss) / Math.abs(torch.loss), `loss ${snn.side.loss} vs ${torch.loss}`).to.be.at.most(1e-10);
        const errs: Record<string, number> = { W1: relErr(snn.side.W1, torch.W1), W2: relErr(snn.side.W2, torch.W2) };
        if (c.recurrent) {
          expect(torch.V).to.not.equal(null);
          errs.V = relErr(snn.side.V!, torch.V!);
        } else expect(torch.V).to.equal(null);
        if (process.env.SNN_TORCH_VERBOSE) console.log(`      rate ${snn.hiddenRate.toFixed(3)}, loss ${snn.side.loss} vs ${torch.loss}, rel err ${JSON.stringify(errs)}`);
        for (const [k, e] of Object.entries(errs)) expect(e, `${k}: max|snn - torch| / max|torch| (all: ${JSON.stringify(errs)})`).to.be.at.most(1e-4);
      });
    }
  });
});
