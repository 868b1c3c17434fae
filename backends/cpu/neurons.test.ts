/**
 * Nonlinear stdlib cells (RK4) against Brian2 running the same equations
 * (backends/cpu/peers/single_neurons_brian2.py), and against the firing patterns their papers
 * describe: Izhikevich (2003) regular spiking, intrinsically bursting, chattering and fast
 * spiking; the AdEx cell's spike-frequency adaptation (Brette & Gerstner 2005).
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { compileText } from '../../compiler/compile.js';
import { simulate } from './simulate.js';

const DT = 0.05;
const IZHIKEVICH: Record<string, string> = {
  RS: 'a: 0.02 ms^-1, b: 0.2 ms^-1, c: -65 mV, d: 8 mV/ms',
  IB: 'a: 0.02 ms^-1, b: 0.2 ms^-1, c: -55 mV, d: 4 mV/ms',
  CH: 'a: 0.02 ms^-1, b: 0.2 ms^-1, c: -50 mV, d: 2 mV/ms',
  FS: 'a: 0.1 ms^-1, b: 0.2 ms^-1, c: -65 mV, d: 2 mV/ms',
};

function spikes(cell: string, duration: number): number[] {
  const r = compileText(`network single {\n  dt = ${DT} ms\n  duration = ${duration} ms\n  cell = Population(1, ${cell})\n  record cell.spikes\n}`, 'single.snn');
  expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).to.deep.equal([]);
  return simulate(r.ir!).spikes.cell!.times;
}

const isis = (ts: number[]): number[] => ts.slice(1).map((t, k) => t - ts[k]!);

describe('nonlinear cells on the CPU backend (RK4)', function () {
  this.timeout(120_000);
  let brian: Record<string, number[]>;
  const ours: Record<string, number[]> = {};
  before(() => {
    const r = spawnSync('/usr/bin/python3', ['backends/cpu/peers/single_neurons_brian2.py'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`the Brian2 peer failed: ${r.stderr.slice(-2000)}`);
    brian = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number[]>;
    for (const [k, p] of Object.entries(IZHIKEVICH)) ours[k] = spikes(`Izhikevich(${p}, i_offset: 0.01 nA), initial: {v: -70 mV, u: -14 mV/ms}`, 300);
    ours.AdEx = spikes('EIF_cond_exp_isfa_ista(i_offset: 1 nA)', 500);
  });

  for (const k of [...Object.keys(IZHIKEVICH), 'AdEx']) {
    it(`${k}: the same spikes as Brian2 (Brian2 stamps the start of the step, snn its end)`, () => {
      expect(ours[k]!.length).to.equal(brian[k]!.length);
      const worst = Math.max(...ours[k]!.map((t, i) => Math.abs(t - DT - brian[k]![i]!)));
      expect(worst).to.be.lessThan(0.06);
    });
  }

  it('regular spiking adapts: the first interval is less than half the steady one, and no bursts', () => {
    const i = isis(ours.RS!);
    expect(i[0]! / i[i.length - 1]!).to.be.lessThan(0.5);
    expect(Math.min(...i)).to.be.greaterThan(10);
  });

  it('intrinsic bursting: an initial burst (intervals < 5 ms), then tonic spiking (> 25 ms)', () => {
    const i = isis(ours.IB!);
    expect(i.slice(0, 2).every((x) => x < 5)).to.equal(true);
    expect(i.slice(3).every((x) => x > 25)).to.equal(true);
  });

  it('chattering: repeated bursts, mostly short intervals separated by long pauses', () => {
    const i = isis(ours.CH!);
    const short = i.filter((x) => x < 8).length;
    const long = i.filter((x) => x > 40).length;
    expect(short / i.length).to.be.greaterThan(0.7);
    expect(long).to.be.at.least(3);
  });

  it('fast spiking: a high rate with little adaptation', () => {
    const i = isis(ours.FS!);
    const steady = i.slice(-10);
    expect(1000 / steady[steady.length - 1]!).to.be.greaterThan(100);
    expect(Math.max(...steady) - Math.min(...steady)).to.be.lessThan(0.2);
    expect(ours.FS!.length).to.be.greaterThan(3 * ours.RS!.length);
  });

  it('AdEx under a current step: spike-frequency adaptation, intervals growing to a steady value', () => {
    const i = isis(ours.AdEx!);
    expect(i.length).to.be.greaterThan(5);
    for (let k = 1; k < i.length; k++) expect(i[k]!).to.be.at.least(i[k - 1]! - 1e-9);
    expect(i[i.length - 1]! / i[0]!).to.be.greaterThan(2);
  });
});
