/**
 * The CPU reference backend against closed-form solutions: the firing rate of a LIF neuron under
 * constant current, and the post-synaptic potentials of exponential and alpha-shaped current
 * synapses. The exact propagator makes these agree to rounding, sample by sample.
 */
import { expect } from 'chai';
import { compileText } from '../../compiler/compile.js';
import type { NetworkIR } from '../../compiler/ir/types.js';
import { simulate } from './simulate.js';

function compiled(src: string): NetworkIR {
  const r = compileText(src, 'test.snn');
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  expect(errors.map((d) => `${d.code} ${d.message} (line ${d.range.start.line})`)).to.deep.equal([]);
  return r.ir!;
}

describe('the CPU backend against closed forms', () => {
  it('fires a LIF neuron under constant current at the closed-form rate (within 0.5 % at dt = 0.01 ms)', () => {
    // IF_curr_exp defaults: tau_m 20 ms, cm 1 nF (R = 20 MOhm), v_rest = v_reset = -65 mV, v_thresh -50 mV.
    const ir = compiled(`
network lif {
  dt = 0.01 ms
  duration = 1000 ms
  cell = Population(1, IF_curr_exp(i_offset: 1 nA, tau_refrac: 2 ms))
  record cell.spikes
}`);
    const res = simulate(ir);
    const times = res.spikes.cell!.times;
    const [tauRef, tauM, RI, gap] = [2, 20, 20, 15];
    // From reset, v(t) = v_rest + RI (1 - e^{-t/tau_m}) reaches threshold after tau_m ln(RI / (RI - gap)).
    const period = tauRef + tauM * Math.log(RI / (RI - gap));
    const isis = times.slice(1).map((t, k) => t - times[k]!);
    const meanIsi = isis.reduce((a, b) => a + b, 0) / isis.length;
    expect(isis.length).to.be.greaterThan(30);
    expect(Math.abs(meanIsi - period) / period).to.be.lessThan(0.005);
    // The first spike comes from rest without a refractory period.
    expect(times[0]!).to.be.closeTo(period - tauRef, 0.011);
  });

  it('gives the exponential-synapse PSP of the closed form at every sample, and its peak and time to peak', () => {
    const ir = compiled(`
network psp {
  dt = 0.1 ms
  duration = 60 ms
  src = Population(1, SpikeSourceArray(spike_times: [10 ms]))
  cell = Population(1, IF_curr_exp(tau_m: 10 ms, tau_syn_E: 2 ms, cm: 0.5 nF))
  Projection(src -> cell, OneToOne, receptor: excitatory, weight: 0.8 nA, delay: 1 ms)
  record cell.v
}`);
    const res = simulate(ir);
    const tr = res.traces[0]!;
    const [w, cm, tm, ts, vRest, arrival] = [0.8, 0.5, 10, 2, -65, 11];
    // cm dv/dt = -cm (v - v_rest) / tm + w e^{-t/ts}  =>  v - v_rest = (w/cm) tm ts / (tm - ts) (e^{-t/tm} - e^{-t/ts})
    const psp = (t: number): number => (t < 0 ? 0 : (w / cm) * ((tm * ts) / (tm - ts)) * (Math.exp(-t / tm) - Math.exp(-t / ts)));
    let worst = 0;
    tr.times.forEach((t, k) => (worst = Math.max(worst, Math.abs(tr.values[k]![0]! - vRest - psp(t - arrival)))));
    expect(worst).to.be.lessThan(1e-9);
    const tPeak = ((tm * ts) / (tm - ts)) * Math.log(tm / ts);
    let best = 0;
    tr.values.forEach((row, k) => {
      if (row[0]! > tr.values[best]![0]!) best = k;
    });
    expect(tr.times[best]! - arrival).to.be.closeTo(tPeak, 0.05 + 1e-9);
    expect(tr.values[best]![0]! - vRest).to.be.closeTo(psp(tPeak), 1e-3);
  });

  it('gives the alpha-synapse PSP of the closed form: the current peaks at w at t = tau_syn', () => {
    const ir = compiled(`
network alpha {
  dt = 0.1 ms
  duration = 40 ms
  src = Population(1, SpikeSourceArray(spike_times: [5 ms]))
  cell = Population(1, IF_curr_alpha(tau_m: 10 ms, tau_syn_E: 1.5 ms, cm: 1 nF))
  Projection(src -> cell, OneToOne, receptor: excitatory, weight: 2 nA, delay: 0.5 ms)
  record cell.v, cell.isyn_exc
}`);
    const res = simulate(ir);
    const [w, cm, tm, ts, vRest, arrival] = [2, 1, 10, 1.5, -65, 5.5];
    // I(t) = w (t/ts) e^{1 - t/ts};  v - v_rest = (w e / (cm ts)) e^{-t/tm} (1 - e^{-a t}(1 + a t)) / a², a = 1/ts - 1/tm
    const a = 1 / ts - 1 / tm;
    const psp = (t: number): number => (t < 0 ? 0 : ((w * Math.E) / (cm * ts)) * Math.exp(-t / tm) * ((1 - Math.exp(-a * t) * (1 + a * t)) / (a * a)));
    const current = (t: number): number => (t < 0 ? 0 : w * (t / ts) * Math.exp(1 - t / ts));
    const [v, i] = res.traces;
    let worstV = 0;
    let worstI = 0;
    v!.times.forEach((t, k) => {
      worstV = Math.max(worstV, Math.abs(v!.values[k]![0]! - vRest - psp(t - arrival)));
      worstI = Math.max(worstI, Math.abs(i!.values[k]![0]! - current(t - arrival)));
    });
    expect(worstV).to.be.lessThan(1e-9);
    expect(worstI).to.be.lessThan(1e-9);
    const k = Math.round((arrival + ts) / 0.1);
    expect(i!.values[k]![0]!).to.be.closeTo(w, 1e-9);
  });

  it('gives the same spikes for the same seed, bit for bit, and others for another seed', () => {
    const src = (seed: number): string => `
network noisy {
  dt = 0.1 ms
  duration = 300 ms
  seed = ${seed}
  drive = Population(200, SpikeSourcePoisson(rate: 20 Hz))
  cells = Population(100, IF_curr_exp, initial: {v: uniform(-65 mV, -55 mV)})
  Projection(drive -> cells, FixedProbability(0.2), receptor: excitatory, weight: normal(0.6 nA, 0.1 nA))
  record cells.spikes
}`;
    const a = simulate(compiled(src(7)));
    const b = simulate(compiled(src(7)));
    const c = simulate(compiled(src(8)));
    expect(a.spikeCounts.cells).to.be.greaterThan(50);
    expect(b.spikes.cells).to.deep.equal(a.spikes.cells);
    expect(c.spikes.cells).to.not.deep.equal(a.spikes.cells);
  });
});

describe('the WebAssembly step loops', () => {
  it('give the same spikes and traces as the JavaScript loops, bit for bit', () => {
    const src = `
neuron Quirky {
  parameters { tau = 10 ms; tau_s = 3 ms; v_th = 1; lo = -0.5 }
  state { v = 0; s = 0 }
  equations {
    v' = (-v + s) / tau
    s' = -s / tau_s
  }
  on input(w) { s += w * 2 - w / 4 }
  spike when v > v_th and abs(s) >= min(0, s) reset { v = max(lo, -v / 4) }
  refractory 2 ms
}
network wasm {
  dt = 0.1 ms
  duration = 400 ms
  drive = Population(300, SpikeSourcePoisson(rate: 30 Hz))
  cells = Population(200, Quirky(tau: uniform(8 ms, 12 ms)), initial: {v: uniform(0, 0.9)})
  cuba = Population(100, IF_curr_exp(i_offset: 0.3 nA), initial: {v: normal(-60 mV, 3 mV)})
  Projection(drive -> cells, FixedProbability(0.1), weight: normal(0.3, 0.2))
  Projection(drive -> cuba, FixedProbability(0.1), receptor: excitatory, weight: 0.5 nA)
  Projection(cells -> cuba, FixedProbability(0.1), receptor: inhibitory, weight: -0.4 nA, delay: 2 ms)
  record cells.spikes, cuba.spikes, cells[0:5].v, cuba[0:5].v
}`;
    const ir = compiled(src);
    const js = simulate(ir, { wasm: false, threads: 1 });
    const wasm = simulate(ir);
    expect(js.spikeCounts.cells).to.be.greaterThan(100);
    expect(js.spikeCounts.cuba).to.be.greaterThan(100);
    expect(wasm.spikes).to.deep.equal(js.spikes);
    expect(wasm.traces.map((t) => t.values.map((r) => Array.from(r)))).to.deep.equal(js.traces.map((t) => t.values.map((r) => Array.from(r))));
  });
});
