/**
 * Current sources (PyNN's DCSource, ACSource, StepCurrentSource, NoisyCurrentSource) and spike
 * sources on the CPU backend, against the membrane's closed-form response. The membrane is
 * IF_curr_exp with the threshold out of reach: R = tau_m / cm = 20 MOhm, tau_m = 20 ms.
 */
import { expect } from 'chai';
import { compileText } from '../../compiler/compile.js';
import { simulate, type SimulationResult } from './simulate.js';

const CELL = 'IF_curr_exp(v_thresh: 100 mV, tau_m: 20 ms, cm: 1 nF)';

function run(body: string, duration: number, dt = 0.1): SimulationResult {
  const r = compileText(`network inputs {\n  dt = ${dt} ms\n  duration = ${duration} ms\n${body}\n}`, 'inputs.snn');
  expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.message}`)).to.deep.equal([]);
  return simulate(r.ir!);
}

describe('current and spike sources on the CPU backend', () => {
  it('DCSource: the membrane charges and discharges exactly as v_rest + R I (1 - e^{-t/tau_m})', () => {
    const res = run(`  cell = Population(1, ${CELL})
  inject DCSource(amplitude: 0.5 nA, start: 10 ms, stop: 60 ms) into cell
  record cell.v`, 100);
    const tr = res.traces[0]!;
    const [RI, tau] = [10, 20];
    const vAtStop = -65 + RI * (1 - Math.exp(-50 / tau));
    const expected = (t: number): number => (t <= 10 ? -65 : t <= 60 ? -65 + RI * (1 - Math.exp(-(t - 10) / tau)) : -65 + (vAtStop + 65) * Math.exp(-(t - 60) / tau));
    const worst = Math.max(...tr.times.map((t, k) => Math.abs(tr.values[k]![0]! - expected(t))));
    expect(worst).to.be.lessThan(1e-9);
  });

  it('StepCurrentSource: each step of current drives the membrane towards its own v_rest + R I', () => {
    const res = run(`  cell = Population(1, ${CELL})
  inject StepCurrentSource(times: [10 ms, 40 ms], amplitudes: [0.4 nA, -0.2 nA]) into cell
  record cell.v`, 80);
    const tr = res.traces[0]!;
    const v40 = -65 + 8 * (1 - Math.exp(-30 / 20));
    const expected = (t: number): number => (t <= 10 ? -65 : t <= 40 ? -65 + 8 * (1 - Math.exp(-(t - 10) / 20)) : -69 + (v40 + 69) * Math.exp(-(t - 40) / 20));
    expect(Math.max(...tr.times.map((t, k) => Math.abs(tr.values[k]![0]! - expected(t))))).to.be.lessThan(1e-9);
  });

  it('ACSource: the steady-state amplitude is the low-pass gain R A / sqrt(1 + (2 pi f tau)^2) (within 1 %)', () => {
    const res = run(`  cell = Population(1, ${CELL})
  inject ACSource(amplitude: 0.5 nA, frequency: 10 Hz, offset: 0.1 nA) into cell
  record cell.v`, 400, 0.01);
    const tr = res.traces[0]!;
    const late = tr.values.filter((_, k) => tr.times[k]! >= 200).map((r) => r[0]!);
    const amplitude = (Math.max(...late) - Math.min(...late)) / 2;
    const mean = (Math.max(...late) + Math.min(...late)) / 2;
    const gain = (20 * 0.5) / Math.sqrt(1 + (2 * Math.PI * 0.01 * 20) ** 2);
    expect(Math.abs(amplitude - gain) / gain).to.be.lessThan(0.01);
    expect(mean).to.be.closeTo(-65 + 20 * 0.1, 0.05);
  });

  it('NoisyCurrentSource: independent noise per neuron, with the mean response of the mean current', () => {
    const res = run(`  cells = Population(200, ${CELL})
  inject NoisyCurrentSource(mean: 0.3 nA, stdev: 1 nA, start: 0 ms) into cells
  record cells.v every 1 ms`, 200);
    const tr = res.traces[0]!;
    const last = tr.values[tr.values.length - 1]!;
    const m = last.reduce((a, b) => a + b, 0) / last.length;
    const sd = Math.sqrt(last.reduce((a, b) => a + (b - m) ** 2, 0) / last.length);
    // Each neuron's v is a low-pass of white-ish noise: the population mean is v_rest + R * mean.
    expect(m).to.be.closeTo(-65 + 20 * 0.3, 4 * (sd / Math.sqrt(200)) + 0.05);
    expect(sd).to.be.greaterThan(0.1);
    expect(new Set(last).size).to.equal(200);
  });

  it('SpikeSourcePoisson fires at its rate; SpikeSourceArray at its times, one list per neuron or one for all', () => {
    const res = run(`  noise = Population(500, SpikeSourcePoisson(rate: 40 Hz, start: 100 ms, duration: 500 ms))
  replay = Population(2, SpikeSourceArray(spike_times: [[1 ms, 7.5 ms], [3 ms]]))
  same = Population(3, SpikeSourceArray(spike_times: [2 ms, 4 ms]))
  record noise.spikes, replay.spikes, same.spikes`, 1000);
    const noise = res.spikes.noise!.times;
    expect(Math.min(...noise)).to.be.at.least(100);
    expect(Math.max(...noise)).to.be.at.most(600 + 1e-9);
    const expected = 500 * 40 * 0.5;
    expect(Math.abs(noise.length - expected)).to.be.lessThan(4 * Math.sqrt(expected));
    expect(res.spikes.replay).to.deep.equal({ times: [1, 3, 7.5], senders: [0, 1, 0] });
    expect(res.spikes.same!.times.length).to.equal(6);
  });
});
