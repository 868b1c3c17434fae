/**
 * The fused time loop (fused.ts: the whole step in one WebAssembly function, with the SIMD pair
 * loop of neuron-simd.ts) against the step-per-population loop and the JavaScript interpreter:
 * the same spikes, spike counts and traces, bit for bit, on CUBA and on networks with several
 * populations and cell types, delays of several steps (uniform and per synapse), weights per
 * synapse, projections onto assemblies of populations and onto different receptors, odd
 * population sizes, maps with calls and logic, spike sources, current sources, partial
 * recordings and runs that need several calls into the module.
 */
import { expect } from 'chai';
import { compileFile, compileText } from '../../compiler/compile.js';
import type { NetworkIR } from '../../compiler/ir/types.js';
import { simulate, type SimulateOptions, type SimulationResult } from './simulate.js';

function compiled(src: string): NetworkIR {
  const r = compileText(src, 'test.snn');
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  expect(errors.map((d) => `${d.code} ${d.message} (line ${d.range.start.line})`)).to.deep.equal([]);
  return r.ir!;
}

/** What must be identical between loops: spikes, counts, traces (as plain arrays). */
function observed(r: SimulationResult): unknown {
  return { counts: r.spikeCounts, spikes: r.spikes, traces: r.traces.map((t) => ({ times: t.times, values: t.values.map((v) => Array.from(v)) })) };
}

/** Runs `ir` on every loop and checks that they agree; returns the fused run. */
function agree(ir: NetworkIR, minSpikes: Record<string, number>): SimulationResult {
  const runs: [string, SimulateOptions][] = [
    ['fused, SIMD', {}],
    ['fused, scalar', { simd: false }],
    ['WebAssembly steps', { fused: false }],
    ['JavaScript', { wasm: false, threads: 1 }],
  ];
  const [fused, ...others] = runs.map(([, opts]) => simulate(ir, opts));
  expect(fused!.loop).to.equal('fused');
  expect(others[1]!.loop).to.equal('steps');
  for (const [pop, n] of Object.entries(minSpikes)) expect(fused!.spikeCounts[pop], pop).to.be.greaterThan(n);
  const want = observed(fused!);
  others.forEach((r, k) => expect(observed(r), runs[k + 1]![0]).to.deep.equal(want));
  return fused!;
}

const QUIRKY = `
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
# An input handler that is not a plain sum: it runs only in the steps with input.
neuron Halving {
  parameters { tau = 5 ms }
  state { v = 0; u = 0 }
  equations {
    v' = (u - v) / tau
    u' = -u / tau
  }
  on input(w) { u = u / 2 + w }
  spike when v > 0.5 reset { v = 0 }
}`;

describe('the fused WebAssembly time loop', function () {
  this.timeout(120_000);

  it('gives CUBA the spikes and traces of the other loops, bit for bit', () => {
    agree(compileFile('examples/cuba.snn').ir!, { neurons: 20000 });
  });

  it('agrees on a network of several populations, cell types, receptors, delays and spike sources', () => {
    const ir = compiled(`${QUIRKY}
network mixed {
  dt = 0.1 ms
  duration = 300 ms
  seed = 5
  drive = Population(301, SpikeSourcePoisson(rate: 30 Hz))
  pulses = Population(3, SpikeSourceArray(spike_times: [[5 ms, 20 ms], [7 ms], [50 ms, 50.1 ms, 51 ms]]))
  cells = Population(201, Quirky(tau: uniform(8 ms, 12 ms)), initial: {v: uniform(0, 0.9)})
  cuba = Population(99, IF_curr_exp(i_offset: 0.3 nA, tau_refrac: uniform(0.5 ms, 3 ms)), initial: {v: normal(-60 mV, 3 mV)})
  alpha = Population(51, IF_curr_alpha(tau_refrac: 1 ms), initial: {v: normal(-62 mV, 2 mV)})
  halving = Population(33, Halving)
  Projection(drive -> cells, FixedProbability(0.1), weight: normal(0.3, 0.2), delay: uniform(0.1 ms, 3 ms))
  Projection(drive -> Assembly(cuba, alpha), FixedProbability(0.1), receptor: excitatory, weight: 0.5 nA, delay: 1.5 ms)
  Projection(pulses -> alpha, AllToAll, receptor: excitatory, weight: 3 nA)
  Projection(cells -> cuba, FixedProbability(0.1), receptor: inhibitory, weight: -0.4 nA, delay: 2 ms)
  Projection(cuba[0:50] -> cells, FixedProbability(0.2), weight: 0.2)
  Projection(cuba -> Assembly(cuba[::2], alpha[1:]), FixedProbability(0.1), receptor: excitatory, weight: uniform(0.1 nA, 0.3 nA), delay: uniform(0.1 ms, 4 ms))
  Projection(alpha -> cells, FixedProbability(0.3), weight: -0.3, delay: 0.7 ms)
  Projection(drive -> halving, FixedProbability(0.05), weight: 1)
  Projection(drive -> cells, FixedProbability(0.2), weight: uniform(0.01, 0.1), delay: 1 ms)
  Projection(drive -> cells, FixedProbability(0.2), weight: uniform(-0.1, -0.01), delay: 1 ms)
  record cells.spikes, cuba[10:60].spikes, alpha.spikes, drive[0:100].spikes, halving.spikes
  record cells.s, cuba[0:5].v, alpha[48:].v, halving[0:4].u every 0.3 ms
}`);
    const res = agree(ir, { cells: 100, cuba: 100, alpha: 20, halving: 20 });
    expect(res.spikes.cuba!.senders.every((i) => i >= 10 && i < 60)).to.equal(true);
  });

  it('agrees on maps with sqrt, abs, floor, ceil, min, not and or, and a threshold that is not a comparison', () => {
    const ir = compiled(`
neuron Odd {
  parameters { tau = 7 ms; k = 0.3 }
  state { v = 0; s = 0 }
  equations {
    v' = (-v + s + k * sqrt(abs(s))) / tau
    s' = -s / tau
  }
  on input(w) { s += w }
  spike when floor(v * 3) >= 2 or not (ceil(s) < 6) reset { v = min(0, v - 1) }
  refractory 1 ms
}
network odd {
  dt = 0.1 ms
  duration = 300 ms
  seed = 3
  drive = Population(100, SpikeSourcePoisson(rate: 40 Hz))
  cells = Population(37, Odd(k: uniform(0.1, 0.5)))
  Projection(drive -> cells, FixedProbability(0.2), weight: uniform(0.1, 0.6), delay: uniform(0.1 ms, 2 ms))
  record cells.spikes, cells.v, cells.s
}`);
    agree(ir, { cells: 1000 });
  });

  it('agrees with current sources (one step per call) and with no spikes recorded', () => {
    const ir = compiled(`${QUIRKY}
network driven {
  dt = 0.1 ms
  duration = 200 ms
  seed = 9
  cuba = Population(101, IF_curr_exp, initial: {v: normal(-60 mV, 3 mV)})
  cells = Population(64, Quirky)
  Projection(cuba -> cuba, FixedProbability(0.1), receptor: inhibitory, weight: -0.2 nA, delay: uniform(0.1 ms, 2 ms))
  Projection(cuba -> cells, FixedProbability(0.3), weight: 1.5, delay: 3 ms)
  inject DCSource(amplitude: 0.4 nA, start: 20 ms, stop: 150 ms) into cuba
  inject NoisyCurrentSource(mean: 0.3 nA, stdev: 1 nA, start: 0 ms) into cuba[0:50]
  record cuba[0:3].v, cells[0:3].v every 1 ms
}`);
    const res = agree(ir, { cuba: 20, cells: 10 });
    expect(res.spikes).to.deep.equal({});
  });

  it('agrees when the sources and the spike record fill their space in the module and need several calls', () => {
    // 20,000 array neurons spiking together every step and 70,000 recorded cells: a call holds a
    // few steps' worth.
    const times = Array.from({ length: 40 }, (_, k) => `${(k * 0.1 + 0.1).toFixed(1)} ms`).join(', ');
    const ir = compiled(`
network crowded {
  dt = 0.1 ms
  duration = 6 ms
  seed = 2
  burst = Population(20000, SpikeSourceArray(spike_times: [${times}]))
  cells = Population(70001, IF_curr_exp(tau_refrac: 0.5 ms), initial: {v: uniform(-56 mV, -49 mV)})
  Projection(burst -> cells, FixedTotalNumber(200000), receptor: excitatory, weight: 0.3 nA, delay: uniform(0.1 ms, 1 ms))
  record cells.spikes, burst[0:10].spikes
}`);
    agree(ir, { cells: 10000, burst: 100 });
  });
});
