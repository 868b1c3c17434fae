/**
 * Every stdlib cell type and plasticity rule not covered elsewhere, on the CPU backend, against
 * closed forms where there is one (LI, LIF, ResonateAndFire: exact propagators; the STDP weight
 * dependences: their windows), and otherwise against the behaviour that defines the model and
 * against itself at a ten times finer step (RK4's fourth-order convergence).
 */
import { expect } from 'chai';
import { compileText } from '../../compiler/compile.js';
import type { NetworkIR } from '../../compiler/ir/types.js';
import { simulate, type SimulationResult } from './simulate.js';

function run(body: string, duration: number, dt = 0.1, models = ''): SimulationResult {
  const r = compileText(`${models}\nnetwork lib {\n  dt = ${dt} ms\n  duration = ${duration} ms\n${body}\n}`, 'lib.snn');
  expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.message} (line ${d.range.start.line})`)).to.deep.equal([]);
  return simulate(r.ir!);
}

function ir(body: string): NetworkIR {
  return compileText(`network lib {\n  duration = 10 ms\n${body}\n}`, 'lib.snn').ir!;
}

const column = (res: SimulationResult, k = 0, j = 0): number[] => res.traces[k]!.values.map((r) => r[j]!);

describe('stdlib cell types on the CPU backend', () => {
  it('LI and LIF (surrogate-gradient cells) follow the closed-form response to one input exactly', () => {
    const res = run(`  src = Population(1, SpikeSourceArray(spike_times: [5 ms]))
  li = Population(1, LI(tau_mem: 10 ms, tau_syn: 5 ms))
  lif = Population(1, LIF(tau_mem: 10 ms, tau_syn: 5 ms, v_th: 100))
  Projection(src -> li, OneToOne, weight: 2, delay: 1 ms)
  Projection(src -> lif, OneToOne, weight: 2, delay: 1 ms)
  record li.v, lif.v`, 50);
    const [tm, ts, w, arrival] = [10, 5, 2, 6];
    const expected = (t: number): number => (t < arrival ? 0 : ((w * ts) / (ts - tm)) * (Math.exp(-(t - arrival) / ts) - Math.exp(-(t - arrival) / tm)));
    for (const k of [0, 1]) {
      const tr = res.traces[k]!;
      expect(Math.max(...tr.times.map((t, i) => Math.abs(tr.values[i]![0]! - expected(t))))).to.be.lessThan(1e-12);
    }
  });

  it('ResonateAndFire: a kick rotates and decays exactly, and pulses one period apart fire where half a period apart do not', () => {
    const res = run(`  src = Population(1, SpikeSourceArray(spike_times: [2 ms]))
  cell = Population(1, ResonateAndFire(threshold: 100))
  Projection(src -> cell, OneToOne, weight: 0.5, delay: 1 ms)
  record cell.y`, 30, 0.05);
    const [b, omega, w, arrival] = [-0.1, 0.6283185307179586, 0.5, 3];
    const tr = res.traces[0]!;
    const worst = Math.max(...tr.times.map((t, i) => Math.abs(tr.values[i]![0]! - (t < arrival ? 0 : w * Math.exp(b * (t - arrival)) * Math.sin(omega * (t - arrival))))));
    expect(worst).to.be.lessThan(1e-12);
    // Period 10 ms. One kick of 1 peaks at e^{-0.25} = 0.78 < 1; a second one a period later
    // adds to what is left (e^{-1}) and peaks at 1.07; half a period later it cancels instead.
    const pulses = (gap: number): number =>
      run(`  src = Population(1, SpikeSourceArray(spike_times: [2 ms, ${2 + gap} ms]))
  cell = Population(1, ResonateAndFire)
  Projection(src -> cell, OneToOne, weight: 1, delay: 1 ms)
  record cell.spikes`, 40, 0.05).spikeCounts.cell!;
    expect(pulses(10)).to.equal(1);
    expect(pulses(5)).to.equal(0);
  });

  it('conductance-based cells: excitation depolarises towards e_rev_E, inhibition hyperpolarises; RK4 converges at fourth order', () => {
    const body = (cell: string): string => `  src = Population(1, SpikeSourceArray(spike_times: [5 ms]))
  cell = Population(2, ${cell})
  Projection(src -> cell[0:1], AllToAll, receptor: excitatory, weight: 0.02 uS, delay: 1 ms)
  Projection(src -> cell[1:2], AllToAll, receptor: inhibitory, weight: 0.02 uS, delay: 1 ms)
  record cell.v`;
    for (const cell of ['IF_cond_exp(v_rest: -65 mV)', 'IF_cond_alpha(v_rest: -65 mV)']) {
      const coarse = run(body(cell), 60, 0.1);
      const mid = run(body(cell), 60, 0.05);
      const fine = run(body(cell), 60, 0.005);
      const exc = column(coarse, 0, 0);
      const inh = column(coarse, 0, 1);
      expect(Math.max(...exc), cell).to.be.greaterThan(-64.5);
      expect(Math.min(...inh), cell).to.be.lessThan(-65.1);
      // Errors at the same instants against dt = 0.005 ms: halving dt divides RK4's by about 16.
      const f = column(fine, 0, 0).filter((_, i) => i % 20 === 0);
      const m = column(mid, 0, 0).filter((_, i) => i % 2 === 0);
      const errCoarse = Math.max(...exc.map((v, i) => Math.abs(v - f[i]!)));
      const errMid = Math.max(...m.map((v, i) => Math.abs(v - f[i]!)));
      expect(errCoarse, cell).to.be.lessThan(1e-3);
      expect(errCoarse / errMid, cell).to.be.greaterThan(8);
    }
  });

  it('the AdEx cell with alpha synapses adapts under a current step, like its exponential twin', () => {
    const res = run(`  cell = Population(1, EIF_cond_alpha_isfa_ista(i_offset: 1 nA))
  record cell.spikes`, 500, 0.05);
    const t = res.spikes.cell!.times;
    const isi = t.slice(1).map((x, k) => x - t[k]!);
    expect(isi.length).to.be.greaterThan(5);
    for (let k = 1; k < isi.length; k++) expect(isi[k]!).to.be.at.least(isi[k - 1]! - 1e-9);
  });

  it('HH_cond_exp fires full action potentials under a current step, and none without', () => {
    const res = run(`  cell = Population(2, HH_cond_exp)
  inject DCSource(amplitude: 1 nA, start: 20 ms) into cell[0:1]
  record cell.spikes, cell.v`, 200, 0.01);
    expect(res.spikes.cell!.senders.filter((s) => s === 0).length).to.be.greaterThan(3);
    expect(res.spikes.cell!.senders.filter((s) => s === 1).length).to.equal(0);
    expect(Math.max(...column(res, 0, 0))).to.be.greaterThan(20);
    expect(Math.max(...column(res, 0, 1))).to.be.lessThan(-50);
  });

  it('records which integrator each stdlib cell type gets', () => {
    const got = ir(`  a = Population(1, IF_curr_exp)
  b = Population(1, LIF)
  c = Population(1, ResonateAndFire)
  d = Population(1, HH_cond_exp)`).models;
    expect([got.IF_curr_exp!, got.LIF!, got.ResonateAndFire!, got.HH_cond_exp!].map((m) => m.integrator.method)).to.deep.equal(['exact', 'exact', 'exact', 'rk4']);
  });
});

/** One pre-post pair per rule on forced spikes (see synapses.test.ts): the weight after it. */
function pairWeight(rule: string, pre: number, post: number, w0 = 0.5): number {
  const r = compileText(`network pair {
  dt = 0.1 ms
  duration = 200 ms
  pre = Population(1, SpikeSourceArray(spike_times: [${pre} ms]))
  driver = Population(1, SpikeSourceArray(spike_times: [${(post - 1.1).toFixed(1)} ms]))
  post = Population(1, IF_curr_delta)
  Projection(driver -> post, OneToOne, receptor: excitatory, weight: 50 mV, delay: 1 ms)
  plastic = Projection(pre -> post, OneToOne, receptor: excitatory, weight: ${w0} mV, delay: 1 ms, plasticity: ${rule})
}`, 'pair.snn');
  expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).to.deep.equal([]);
  return simulate(r.ir!).weights.plastic!.weight[0]!;
}

describe('the other STDP weight dependences and Vogels 2011', () => {
  const e = (d: number, tau = 20): number => Math.exp(-Math.abs(d) / tau);
  it('additive potentiation, multiplicative depression', () => {
    const rule = 'STDPAdditivePotentiationMultiplicativeDepression(A_plus: 0.1, A_minus: 0.1, w_max: 1 mV)';
    expect(pairWeight(rule, 100, 110)).to.be.closeTo(0.5 + 0.1 * 1 * e(10), 1e-12);
    expect(pairWeight(rule, 110, 100)).to.be.closeTo(0.5 - 0.1 * 0.5 * e(10), 1e-12);
  });

  it('Gutig: the change scales with a power of the distance to the bounds', () => {
    const rule = 'STDPGutig(A_plus: 0.1, A_minus: 0.1, w_max: 1 mV, mu_plus: 0.5, mu_minus: 0.5)';
    expect(pairWeight(rule, 100, 110, 0.36)).to.be.closeTo(0.36 + 0.1 * Math.sqrt(0.64) * e(10), 1e-12);
    expect(pairWeight(rule, 110, 100, 0.36)).to.be.closeTo(0.36 - 0.1 * Math.sqrt(0.36) * e(10), 1e-12);
  });

  it('Vogels 2011: a lone pre spike depresses by eta alpha; a pair potentiates by eta e^{-|dt|/tau}', () => {
    const rule = 'Vogels2011(eta: 0.01 mV, rho: 5 Hz, tau: 20 ms)';
    const alpha = 2 * 5e-3 * 20; // 2 rho tau, rho in 1/ms
    // pre at 100, post at 110: the pre spike depresses by eta alpha (no post trace yet), the post potentiates by eta e^{-10/20}.
    expect(pairWeight(rule, 100, 110)).to.be.closeTo(0.5 - 0.01 * alpha + 0.01 * e(10), 1e-12);
    // post at 100, pre at 110: the pre spike potentiates by eta (post trace - alpha).
    expect(pairWeight(rule, 110, 100)).to.be.closeTo(0.5 + 0.01 * (e(10) - alpha), 1e-12);
  });
});
