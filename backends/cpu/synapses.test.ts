/**
 * Event-driven synapses and plasticity on the CPU backend against closed forms: Tsodyks-Markram
 * amplitudes of a regular train (the recursion and its steady state), the pair-STDP window,
 * and the triplet rule's frequency dependence (Pfister & Gerstner 2006, the Sjöström protocol).
 */
import { expect } from 'chai';
import { compileText } from '../../compiler/compile.js';
import type { NetworkIR } from '../../compiler/ir/types.js';
import { simulate } from './simulate.js';

/** A cell that only sums what arrives: acc jumps by each delivered value. */
const PROBE = `neuron Probe {
  state { acc = 0 nA }
  on input(w) { acc += w }
}`;

function compiled(src: string): NetworkIR {
  const r = compileText(src, 'syn.snn');
  expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.message} (line ${d.range.start.line})`)).to.deep.equal([]);
  return r.ir!;
}

/** The values delivered by a train, read off the probe's running sum. */
function delivered(synapse: string, times: number[]): number[] {
  const ir = compiled(`${PROBE}
network tm {
  dt = 0.1 ms
  duration = ${Math.max(...times) + 5} ms
  src = Population(1, SpikeSourceArray(spike_times: [${times.map((t) => `${t} ms`).join(', ')}]))
  probe = Population(1, Probe)
  Projection(src -> probe, OneToOne, synapse: ${synapse}, weight: 1 nA)
  record probe.acc
}`);
  const tr = simulate(ir).traces[0]!;
  const acc = tr.values.map((r) => r[0]!);
  const jumps: number[] = [];
  for (let k = 1; k < acc.length; k++) if (acc[k]! !== acc[k - 1]!) jumps.push(acc[k]! - acc[k - 1]!);
  return jumps;
}

/** Tsodyks & Markram's recursion for the amplitudes of a train with intervals `isi`. */
function tmRecursion(U: number, tauRec: number, tauFacil: number, isi: number[], n: number): number[] {
  let u = 0;
  let x = 1;
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    if (k > 0) {
      const d = isi[k - 1]!;
      u = tauFacil === 0 ? 0 : u * Math.exp(-d / tauFacil);
      x = 1 + (x - 1) * Math.exp(-d / tauRec);
    }
    u += U * (1 - u);
    out.push(u * x);
    x -= u * x;
  }
  return out;
}

describe('Tsodyks-Markram synapses on the CPU backend', () => {
  it('a depressing synapse (tau_facil = 0) gives the recursion\'s amplitudes and its steady state', () => {
    const times = Array.from({ length: 15 }, (_, k) => 10 + 25 * k);
    const got = delivered('TsodyksMarkram(U: 0.5, tau_rec: 200 ms)', times);
    const want = tmRecursion(0.5, 200, 0, new Array(14).fill(25), 15);
    expect(got.length).to.equal(15);
    got.forEach((g, k) => expect(g).to.be.closeTo(want[k]!, 1e-12));
    // Steady state of the depressing synapse: U x*, x* = (1 - e^{-T/tau}) / (1 - (1 - U) e^{-T/tau}).
    const e = Math.exp(-25 / 200);
    expect(got[14]!).to.be.closeTo((0.5 * (1 - e)) / (1 - 0.5 * e), 2e-3);
    expect(got[1]!).to.be.lessThan(got[0]!);
  });

  it('a facilitating synapse grows with the train, as the recursion says', () => {
    const times = [10, 30, 50, 70, 90, 110, 300];
    const got = delivered('TsodyksMarkram(U: 0.1, tau_rec: 50 ms, tau_facil: 500 ms)', times);
    const want = tmRecursion(0.1, 50, 500, [20, 20, 20, 20, 20, 190], 7);
    got.forEach((g, k) => expect(g).to.be.closeTo(want[k]!, 1e-12));
    expect(got[4]!).to.be.greaterThan(got[0]!);
  });
});

/**
 * A pre spike source and a post neuron forced to spike: a driver source jumps the post cell
 * (IF_curr_delta) over threshold, so it spikes in the step its input arrives. Driver at s gives a
 * post spike at s + delay + dt.
 */
function stdpNetwork(rule: string, pairs: { pre: number[]; post: number[] }[], duration: number): NetworkIR {
  const lists = (key: 'pre' | 'post', shift: number): string =>
    `[${pairs.map((p) => `[${p[key].map((t) => `${(t + shift).toFixed(1)} ms`).join(', ')}]`).join(', ')}]`;
  return compiled(`network stdp {
  dt = 0.1 ms
  duration = ${duration} ms
  pre = Population(${pairs.length}, SpikeSourceArray(spike_times: ${lists('pre', 0)}))
  driver = Population(${pairs.length}, SpikeSourceArray(spike_times: ${lists('post', -1.1)}))
  post = Population(${pairs.length}, IF_curr_delta(tau_refrac: 0.1 ms))
  Projection(driver -> post, OneToOne, receptor: excitatory, weight: 50 mV, delay: 1 ms)
  plastic = Projection(pre -> post, OneToOne, receptor: excitatory, weight: 0.5 mV, delay: 1 ms, plasticity: ${rule})
  record post.spikes
}`);
}

describe('STDP on the CPU backend', () => {
  it('pair STDP changes a weight by the analytic window A w_max e^{-|dt|/tau}', () => {
    const dts = [-40, -20, -10, -5, 5, 10, 20, 40];
    const pairs = dts.map((d) => ({ pre: [100], post: [100 + d] }));
    const ir = stdpNetwork('STDP(tau_plus: 20 ms, tau_minus: 30 ms, A_plus: 0.01, A_minus: 0.012, w_max: 1 mV)', pairs, 300);
    const res = simulate(ir);
    // The post neurons spike when the protocol says.
    const post = res.spikes.post!;
    dts.forEach((d, k) => expect(post.times[post.senders.indexOf(k)]!).to.be.closeTo(100 + d, 1e-9));
    const w = res.weights.plastic!;
    dts.forEach((d, k) => {
      const want = d > 0 ? 0.5 + 0.01 * Math.exp(-d / 20) : 0.5 - 0.012 * Math.exp(d / 30);
      expect(w.weight[w.pre.indexOf(k)]!, `dt = ${d} ms`).to.be.closeTo(want, 1e-12);
    });
  });

  it('multiplicative STDP scales the change by the distance to the bounds', () => {
    const ir = stdpNetwork('STDPMultiplicative(A_plus: 0.1, A_minus: 0.1, w_max: 1 mV)', [{ pre: [100], post: [110] }, { pre: [110], post: [100] }], 200);
    const w = simulate(ir).weights.plastic!;
    expect(w.weight[w.pre.indexOf(0)]!).to.be.closeTo(0.5 + 0.1 * (1 - 0.5) * Math.exp(-10 / 20), 1e-12);
    expect(w.weight[w.pre.indexOf(1)]!).to.be.closeTo(0.5 - 0.1 * 0.5 * Math.exp(-10 / 20), 1e-12);
  });

  it('triplet STDP: post-pre pairing depresses at low frequency and potentiates at high (Sjöström 2001)', () => {
    const freqs = [1, 10, 20, 40, 50];
    const pairs: { pre: number[]; post: number[] }[] = [];
    for (const dt of [10, -10]) {
      for (const f of freqs) {
        const pre = Array.from({ length: 10 }, (_, k) => 50 + (k * 1000) / f);
        pairs.push({ pre: pre.map((t) => Math.round(t * 10) / 10), post: pre.map((t) => Math.round((t + dt) * 10) / 10) });
      }
    }
    const ir = stdpNetwork('TripletSTDP', pairs, 10_200);
    const w = simulate(ir).weights.plastic!;
    const change = (k: number): number => w.weight[w.pre.indexOf(k)]! - 0.5;
    const ltp = freqs.map((_, k) => change(k));
    const postPre = freqs.map((_, k) => change(freqs.length + k));
    // Away from the bounds (10 pairings), so the changes are the rule's own.
    for (const c of [...ltp, ...postPre]) expect(Math.abs(c)).to.be.lessThan(0.45);
    // Pre-post (dt = +10 ms): potentiation, growing with frequency.
    for (let k = 1; k < freqs.length; k++) expect(ltp[k]!).to.be.greaterThan(ltp[k - 1]!);
    expect(ltp[0]!).to.be.greaterThan(0);
    // Post-pre (dt = -10 ms): depression at 1 Hz, potentiation at 50 Hz.
    expect(postPre[0]!).to.be.lessThan(0);
    expect(postPre[freqs.length - 1]!).to.be.greaterThan(0);
  });
});

describe('StaticSynapse on the CPU backend', () => {
  it('delivers its weight after its delay, the same as weight: and delay: on the projection', () => {
    const run = (proj: string): number[] => {
      const ir = compiled(`${PROBE}
network st {
  dt = 0.1 ms
  duration = 20 ms
  src = Population(1, SpikeSourceArray(spike_times: [2 ms, 5 ms]))
  probe = Population(1, Probe)
  ${proj}
  record probe.acc
}`);
      return simulate(ir).traces[0]!.values.map((r) => r[0]!);
    };
    const viaSynapse = run('Projection(src -> probe, OneToOne, synapse: StaticSynapse(weight: 0.2 nA, delay: 1.5 ms))');
    const viaProjection = run('Projection(src -> probe, OneToOne, weight: 0.2 nA, delay: 1.5 ms)');
    expect(viaSynapse).to.deep.equal(viaProjection);
    // 0.2 nA arrives at 3.5 ms and again at 6.5 ms; a sample at t is taken before that step's
    // deliveries, so it shows the first at 3.6 ms (sample 36) and both from 6.6 ms.
    expect(viaSynapse[35]).to.equal(0);
    expect(viaSynapse[36]).to.be.closeTo(0.2, 1e-12);
    expect(viaSynapse[65]).to.be.closeTo(0.2, 1e-12);
    expect(viaSynapse[66]).to.be.closeTo(0.4, 1e-12);
  });
});
