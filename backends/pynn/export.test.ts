/**
 * PyNN export: the exported scripts run under PyNN 0.10 (Debian's python3-pynn, which .ci/run
 * installs) with the Brian2 backend, and the CUBA network's mean rate agrees with snn's CPU
 * backend within 10 %. pyNN.brian2 connects one neuron at a time, so CUBA takes minutes: it
 * starts when this file loads and runs beside the rest of the suite.
 */
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileFile, compileText } from '../../compiler/compile.js';
import { simulate } from '../cpu/simulate.js';
import { exportPynn } from './export.js';

const PYTHON = '/usr/bin/python3';
const dir = mkdtempSync(join(tmpdir(), 'snn-pynn-'));
// Brian2's numpy target: no C++ compilation, which would dominate these short runs.
writeFileSync(join(dir, 'brian_preferences'), "codegen.target = 'numpy'\n");

interface Summary {
  simulator: string;
  duration_ms: number;
  populations: Record<string, { size: number; spikes: number; rate_hz: number }>;
}

function script(file: string): string {
  const r = compileFile(file);
  const e = exportPynn(r.ir!, { sourceName: file });
  if (!e.script) throw new Error(JSON.stringify(e.findings));
  const path = join(dir, file.replace(/[/\\]/g, '_').replace(/\.snn$/, '.py'));
  writeFileSync(path, e.script);
  return path;
}

/** Runs a script; resolves with its JSON summary (the last line of stdout). */
function run(path: string, args: string[]): Promise<Summary> {
  return new Promise((resolve, reject) => {
    const p = spawn(PYTHON, [path, ...args], { cwd: dir });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) reject(new Error(`${path} exited with ${code}: ${err.slice(-3000)}`));
      else resolve(JSON.parse(out.trim().split('\n').pop()!) as Summary);
    });
  });
}

// Started at load: see the file comment. A failure is reported by the test that awaits it.
const cuba = run(script('examples/cuba.snn'), ['--simulator', 'brian2']);
cuba.catch(() => undefined);

describe('PyNN export', function () {
  it('runs examples/cuba.snn under pyNN.brian2 with a mean rate within 10 % of the CPU backend\'s', async function () {
    this.timeout(20 * 60_000);
    const res = simulate(compileFile('examples/cuba.snn').ir!);
    const snnRate = res.spikeCounts.neurons! / 4000 / (res.duration / 1000);
    const pynn = await cuba;
    const rate = pynn.populations.neurons!.rate_hz;
    expect(pynn.duration_ms).to.equal(1000);
    expect(rate).to.be.greaterThan(1);
    expect(Math.abs(rate - snnRate) / snnRate, `pyNN.brian2 ${rate.toFixed(2)} Hz vs snn ${snnRate.toFixed(2)} Hz`).to.be.lessThan(0.1);
  });

  it('runs the plastic examples/stdp_pairing.snn (STDPMechanism, conductance cell, Poisson sources) under pyNN.brian2', async function () {
    this.timeout(10 * 60_000);
    const s = await run(script('examples/stdp_pairing.snn'), ['--simulator', 'brian2', '--duration', '1000']);
    expect(s.populations.cell!.size).to.equal(1);
    expect(s.populations.cell!.rate_hz).to.be.greaterThan(0);
  });

  it('maps connectors, views, current sources and synapse types to PyNN calls that pyNN.mock accepts', async function () {
    this.timeout(120_000);
    const r = compileText(
      `network features {
        dt = 0.1 ms
        duration = 50 ms
        a = Population(20, IF_cond_exp(tau_m: 15 ms), structure: Line(dx: 10 um))
        b = Population(10, IF_curr_alpha)
        src = Population(5, SpikeSourceArray(spike_times: [1 ms, 2 ms]))
        Projection(src -> a, FixedNumberPre(2), receptor: excitatory, weight: uniform(0.001 uS, 0.002 uS), delay: 1 ms)
        Projection(a -> a, DistanceDependentProbability(exp(-d / 50 um)), receptor: inhibitory, weight: 0.001 uS)
        Projection(src -> b, FromList([[0, 1, 0.5 nA, 1 ms], [2, 3, 0.25 nA, 2 ms]]), receptor: excitatory)
        Projection(a[0:10] -> b, OneToOne, receptor: excitatory, weight: 0.2 nA, synapse: TsodyksMarkram(U: 0.3, tau_rec: 200 ms))
        Projection(src -> a[10:20:2], AllToAll, receptor: excitatory, weight: 0.001 uS)
        inject DCSource(amplitude: 0.5 nA, start: 5 ms, stop: 40 ms) into a
        inject ACSource(amplitude: 0.1 nA, frequency: 10 Hz) into b[0:5]
        record a.spikes, b[0:5].v every 1 ms
      }`,
      'features.snn',
    );
    expect(r.diagnostics.filter((d) => d.severity === 'error'), JSON.stringify(r.diagnostics)).to.deep.equal([]);
    const e = exportPynn(r.ir!);
    expect(e.script, JSON.stringify(e.findings)).to.be.a('string');
    expect(e.findings.map((f) => f.name)).to.include('RandomnessRedrawn');
    const path = join(dir, 'features.py');
    writeFileSync(path, e.script!);
    const s = await run(path, ['--simulator', 'mock']);
    expect(s.populations).to.have.property('a');
  });

  it('refuses, with SNN5001, a model PyNN has no cell type for, and a plasticity rule it has no mechanism for', () => {
    const izh = compileText(
      `neuron Quadratic {
        parameters { tau = 10 ms }
        state { v = 0 }
        equations { v' = v * v / tau }
        on input(w) { v += w }
        spike when v > 1 reset { v = 0 }
      }
      network n {
        duration = 10 ms
        s = Population(1, SpikeSourcePoisson(rate: 5 Hz))
        c = Population(1, Quadratic)
        Projection(s -> c, AllToAll, weight: 0.5)
      }`,
      'q.snn',
    ).ir!;
    const e = exportPynn(izh);
    expect(e.script).to.equal(undefined);
    expect(String(e.findings.find((f) => f.name === 'CannotExport')!.args[1])).to.match(/neither a PyNN standard cell type nor .*nonlinear/);
    const triplet = compileText(
      `network n {
        duration = 10 ms
        s = Population(1, SpikeSourcePoisson(rate: 5 Hz))
        c = Population(1, IF_curr_exp)
        Projection(s -> c, AllToAll, receptor: excitatory, weight: 0.5 nA, plasticity: TripletSTDP)
      }`,
      't.snn',
    ).ir!;
    const t = exportPynn(triplet);
    expect(t.findings.find((f) => f.name === 'CannotExport')?.at).to.equal('projection:projection0');
  });

  it('writes a script Python compiles for every example that PyNN can express', () => {
    for (const f of ['examples/cuba.snn', 'examples/stdp_pairing.snn']) {
      const r = spawnSync(PYTHON, ['-m', 'py_compile', script(f)], { encoding: 'utf8' });
      expect(r.status, r.stderr).to.equal(0);
    }
  });
});
