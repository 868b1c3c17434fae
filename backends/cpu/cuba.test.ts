/**
 * examples/cuba.snn against Brian2 (Debian's python3-brian, which .ci/run installs) running the
 * same network as Brian2's own example (backends/cpu/peers/cuba_brian2.py): the mean rate and the
 * mean CV of inter-spike intervals agree within 10 %. Also: the same seed gives the same run, and
 * the HDF5 results read back with h5py (an independent reader) hold what the run produced.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileFile } from '../../compiler/compile.js';
import type { NetworkIR } from '../../compiler/ir/types.js';
import { writeResultsHdf5 } from './results.js';
import { simulate, type SimulationResult } from './simulate.js';

const PYTHON = '/usr/bin/python3';

function meanCv(res: SimulationResult, pop: string, size: number): number {
  const byNeuron: number[][] = Array.from({ length: size }, () => []);
  const s = res.spikes[pop]!;
  s.senders.forEach((i, k) => byNeuron[i]!.push(s.times[k]!));
  const cvs: number[] = [];
  for (const ts of byNeuron) {
    if (ts.length < 3) continue;
    const isi = ts.slice(1).map((t, k) => t - ts[k]!);
    const m = isi.reduce((a, b) => a + b, 0) / isi.length;
    const sd = Math.sqrt(isi.reduce((a, b) => a + (b - m) ** 2, 0) / isi.length);
    cvs.push(sd / m);
  }
  return cvs.reduce((a, b) => a + b, 0) / cvs.length;
}

function python(args: string[]): string {
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error || r.status !== 0) throw new Error(`${PYTHON} ${args[0]} failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

describe('examples/cuba.snn on the CPU backend', function () {
  this.timeout(180_000);
  let ir: NetworkIR;
  let res: SimulationResult;
  before(() => {
    ir = compileFile('examples/cuba.snn').ir!;
    res = simulate(ir);
  });

  it('agrees with Brian2 on the mean rate and the mean CV of inter-spike intervals (within 10 %)', () => {
    const brian = JSON.parse(python(['backends/cpu/peers/cuba_brian2.py', '--target', 'numpy']).trim().split('\n').pop()!) as { rate_hz: number; mean_cv: number };
    const rate = res.spikeCounts.neurons! / 4000 / (res.duration / 1000);
    const cv = meanCv(res, 'neurons', 4000);
    expect(brian.rate_hz).to.be.greaterThan(1);
    expect(Math.abs(rate - brian.rate_hz) / brian.rate_hz, `snn ${rate.toFixed(2)} Hz vs Brian2 ${brian.rate_hz.toFixed(2)} Hz`).to.be.lessThan(0.1);
    expect(Math.abs(cv - brian.mean_cv) / brian.mean_cv, `snn CV ${cv.toFixed(3)} vs Brian2 ${brian.mean_cv.toFixed(3)}`).to.be.lessThan(0.1);
  });

  it('gives identical spikes on a second run with the same seed, with WebAssembly or JavaScript loops on two threads', () => {
    const again = simulate(compileFile('examples/cuba.snn').ir!, { wasm: false, threads: 2 });
    expect(again.threads).to.equal(2);
    expect(again.spikeCounts).to.deep.equal(res.spikeCounts);
    expect(again.spikes.neurons!.times).to.deep.equal(res.spikes.neurons!.times);
    expect(again.spikes.neurons!.senders).to.deep.equal(res.spikes.neurons!.senders);
  });

  it('writes HDF5 results that h5py reads back as documented', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'snn-h5-'));
    try {
      const path = join(dir, 'results.h5');
      await writeResultsHdf5(path, ir, res, 'cpu');
      const script = `
import h5py, json, sys
f = h5py.File(sys.argv[1], "r")
p = f["populations/neurons"]
r = f["recordings/0"]
print(json.dumps({
  "format": f.attrs["format"], "dt": float(f.attrs["dt"]), "size": int(p.attrs["size"]),
  "count": int(p.attrs["spike_count"]), "n_times": int(p["spikes/times"].shape[0]),
  "first": [float(p["spikes/times"][0]), int(p["spikes/senders"][0])],
  "label": r.attrs["label"], "shape": list(r["values"].shape), "v00": float(r["values"][0, 0]),
  "neurons": [int(x) for x in r["neurons"][:3]],
}))`;
      const got = JSON.parse(python(['-c', script, path])) as Record<string, unknown>;
      const tr = res.traces[0]!;
      expect(got).to.deep.equal({
        format: 'snn-results',
        dt: 0.1,
        size: 4000,
        count: res.spikeCounts.neurons,
        n_times: res.spikes.neurons!.times.length,
        first: [res.spikes.neurons!.times[0], res.spikes.neurons!.senders[0]],
        label: 'neurons[0:10].v',
        shape: [tr.times.length, 10],
        v00: tr.values[0]![0],
        neurons: [0, 1, 2],
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
