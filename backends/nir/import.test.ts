/**
 * snn import: a NIR graph becomes a .snn model that checks, and snn -> NIR -> snn gives the same
 * spikes on the CPU backend (the reference); the randman network round-trips to the same graph.
 * Files that are not NIR graphs snn can read get SNN5201 and leave nothing behind.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkFiles } from '../../compiler/check/index.js';
import { compileFile, compileText } from '../../compiler/compile.js';
import type { NetworkIR } from '../../compiler/ir/types.js';
import { simulate } from '../cpu/simulate.js';
import { exportNir } from './export.js';
import type { NirGraph } from './graph.js';
import { readNir, writeNir } from './hdf5.js';
import { importNir } from './import.js';

const CLI = join(process.cwd(), 'dist', 'cli', 'snn.js');

/** Export to a .nir file, read it back, import, and write the model and its connection files. */
async function roundTrip(ir: NetworkIR, dir: string, name: string): Promise<{ path: string; graph: NirGraph }> {
  const e = exportNir(ir);
  expect(e.graph, JSON.stringify(e.findings)).to.not.equal(undefined);
  const nir = join(dir, `${name}.nir`);
  await writeNir(nir, e.graph!);
  const graph = await readNir(nir);
  const im = importNir(graph, { dataDir: `${name}.data`, sourceName: `${name}.nir` });
  mkdirSync(join(dir, `${name}.data`), { recursive: true });
  for (const [rel, text] of im.dataFiles) writeFileSync(join(dir, rel), text);
  const path = join(dir, `${name}.snn`);
  writeFileSync(path, im.text);
  return { path, graph: e.graph! };
}

describe('NIR import', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'snn-nir-import-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('snn -> NIR -> snn gives the same spikes and readout on the CPU backend (feed-forward and recurrent LIF, LI readout)', async () => {
    const times = Array.from({ length: 20 }, (_, i) => `[${[2 + i, 9 + 2 * i, 30 + i].map((t) => `${t} ms`).join(', ')}]`).join(', ');
    const ir = compileText(
      `network small {
        dt = 1 ms
        duration = 200 ms
        seed = 3
        input = Population(20, SpikeSourceArray(spike_times: [${times}]))
        hidden = Population(30, LIF(tau_mem: 12 ms, tau_syn: 4 ms))
        output = Population(3, LI)
        Projection(input -> hidden, AllToAll, weight: normal(0.35, 0.2))
        Projection(hidden -> hidden, FixedProbability(0.3), weight: normal(0, 0.2))
        Projection(hidden -> output, AllToAll, weight: normal(0.1, 0.3), delay: 2 ms)
        record hidden.spikes, output.v
      }`,
      'small.snn',
    ).ir!;
    const { path } = await roundTrip(ir, dir, 'small');
    const back = compileFile(path);
    expect(back.diagnostics.filter((d) => d.severity === 'error'), JSON.stringify(back.diagnostics)).to.deep.equal([]);
    const a = simulate(ir);
    const b = simulate(back.ir!);
    expect(a.spikeCounts.hidden).to.be.greaterThan(30);
    expect(b.spikes.hidden).to.deep.equal(a.spikes.hidden);
    const va = a.traces.find((t) => t.variable === 'v')!.values;
    const vb = b.traces.find((t) => t.variable === 'v')!.values;
    expect(vb.length).to.equal(va.length);
    const err = Math.max(...va.flatMap((row, i) => Array.from(row, (x, j) => Math.abs(x - vb[i]![j]!))));
    expect(err).to.be.lessThan(1e-9);
  });

  it('snn -> NIR -> snn keeps PyNN IF_curr_exp networks with excitatory and inhibitory inputs and Poisson sources', async () => {
    const ir = compileText(
      `network pynn {
        dt = 0.1 ms
        duration = 300 ms
        seed = 5
        noise = Population(50, SpikeSourcePoisson(rate: 40 Hz))
        cells = Population(20, IF_curr_exp(tau_refrac: 0 ms, i_offset: 0.2 nA, tau_syn_I: 5 ms), initial: {v: -61 mV})
        Projection(noise -> cells, FixedProbability(0.5), receptor: excitatory, weight: 0.5 nA)
        Projection(noise -> cells, FixedProbability(0.2), receptor: inhibitory, weight: -0.4 nA)
        record cells.spikes
      }`,
      'pynn.snn',
    ).ir!;
    const { path } = await roundTrip(ir, dir, 'pynn');
    const b = simulate(compileFile(path).ir!);
    const a = simulate(ir);
    expect(a.spikeCounts.cells).to.be.greaterThan(20);
    expect(b.spikes.cells).to.deep.equal(a.spikes.cells);
  });

  it('round-trips examples/randman.snn: the imported model checks and exports to the same graph', async () => {
    const ir = compileFile('examples/randman.snn', { keepDataSources: true, defaultDuration: 0 }).ir!;
    const { path, graph } = await roundTrip(ir, dir, 'randman');
    expect(checkFiles([path]).diagnostics).to.deep.equal([]);
    expect(readFileSync(path, 'utf8')).to.match(/from randman\(classes: 2, samples: 1000, seed: 42\)/);
    const again = exportNir(compileFile(path, { keepDataSources: true, defaultDuration: 0 }).ir!).graph!;
    const linear = (g: NirGraph) => Object.values(g.nodes).filter((n) => n.type === 'Linear').map((n) => n.fields.weight);
    expect(linear(again)).to.deep.equal(linear(graph));
    const neurons = (g: NirGraph) => Object.values(g.nodes).filter((n) => n.type.startsWith('Cuba')).map((n) => [n.type, n.fields]);
    expect(neurons(again)).to.deep.equal(neurons(graph));
  });

  it('refuses a file that is not a NIR graph with SNN5201 and writes nothing', () => {
    const bad = join(dir, 'bad.nir');
    writeFileSync(bad, 'not hdf5');
    const out = join(dir, 'out', 'bad.snn');
    const r = spawnSync(process.execPath, [CLI, 'import', bad, '-o', out], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/error SNN5201: cannot import bad\.nir: not an HDF5 file/);
    expect(existsSync(out)).to.equal(false);
  });

  it('refuses node types it cannot express, and heterogeneous parameters, saying which node', () => {
    const base = (extra: NirGraph['nodes']): NirGraph => ({
      nodes: { in: { type: 'Input', fields: { shape: { shape: [1], data: [2], integer: true } }, metadata: {} }, ...extra },
      edges: [['in', 'x']],
      metadata: {},
    });
    expect(() => importNir(base({ x: { type: 'Conv2d', fields: {}, metadata: {} } }), { dataDir: 'd' })).to.throw(/node 'x' is of type Conv2d/);
    const lif = { tau: { shape: [2], data: [10, 20] }, r: { shape: [2], data: [1, 1] }, v_leak: { shape: [2], data: [0, 0] }, v_threshold: { shape: [2], data: [1, 1] } };
    expect(() => importNir(base({ x: { type: 'LIF', fields: lif, metadata: {} } }), { dataDir: 'd' })).to.throw(/node 'x' has a different 'tau' for each neuron/);
  });
});
