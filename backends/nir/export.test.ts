/**
 * NIR export: the file read back by an independent reader (h5py, following NIR's documented
 * layout), the weights equal to the connections the CPU backend generates, and a warning or an
 * error with a code for every construct NIR cannot carry.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileFile, compileText } from '../../compiler/compile.js';
import { connect } from '../../compiler/connect.js';
import type { NetworkIR } from '../../compiler/ir/types.js';
import type { Finding } from '../findings.js';
import { exportNir } from './export.js';
import { writeNir } from './hdf5.js';

const PYTHON = '/usr/bin/python3';

function python(args: string[], input?: string): string {
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', input, maxBuffer: 64 * 1024 * 1024 });
  if (r.error || r.status !== 0) throw new Error(`${PYTHON} failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

function compile(text: string): NetworkIR {
  const r = compileText(text, 'test.snn', { keepDataSources: true, defaultDuration: 100 });
  expect(r.diagnostics.filter((d) => d.severity === 'error'), JSON.stringify(r.diagnostics)).to.deep.equal([]);
  return r.ir!;
}

const codes = (fs: readonly Finding[]): string[] => fs.map((f) => f.name).sort();

/** NIR's reader (nir/serialization.py) reduced to h5py: types, shapes, fields, edges. */
const READER = `
import sys, json, h5py, numpy as np
f = h5py.File(sys.argv[1], 'r')
out = {'version': f['version'][()].decode('utf8'), 'root': f['node/type'][()].decode('utf8'), 'nodes': {}}
for name, g in f['node/nodes'].items():
    node = {'type': g['type'][()].decode('utf8'), 'fields': {}}
    for k, d in g.items():
        if isinstance(d, h5py.Dataset) and k != 'type':
            a = np.asarray(d[()])
            node['fields'][k] = {'shape': list(a.shape), 'dtype': str(a.dtype), 'values': a.ravel().tolist()}
    out['nodes'][name] = node
out['edges'] = [[a.decode('utf8'), b.decode('utf8')] for a, b in f['node/edges'][()]]
out['dt'] = float(f['node/metadata/dt'][()][0])
print(json.dumps(out))
`;

interface Read {
  version: string;
  root: string;
  nodes: Record<string, { type: string; fields: Record<string, { shape: number[]; dtype: string; values: number[] }> }>;
  edges: [string, string][];
  dt: number;
}

describe('NIR export', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'snn-nir-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes examples/randman.snn as a NIR graph that h5py reads in NIR\'s layout, with the weights the CPU backend generates', async () => {
    const ir = compileFile('examples/randman.snn', { keepDataSources: true, defaultDuration: 0 }).ir!;
    const e = exportNir(ir);
    expect(codes(e.findings)).to.deep.equal(['InputSpikesNotCarried']);
    const path = join(dir, 'randman.nir');
    await writeNir(path, e.graph!);
    const read = JSON.parse(python(['-c', READER, path])) as Read;
    expect(read.root).to.equal('NIRGraph');
    expect(read.version).to.match(/^\d+\.\d+\.\d+$/);
    expect(read.dt).to.equal(1);
    const types = Object.fromEntries(Object.entries(read.nodes).map(([k, n]) => [k, n.type]));
    expect(types).to.deep.equal({ input: 'Input', hidden: 'CubaLIF', output: 'CubaLI', projection0: 'Linear', projection1: 'Linear', projection2: 'Linear', output_output: 'Output' });
    expect(read.nodes.input!.fields.shape).to.deep.include({ values: [100], dtype: 'int64' });
    // CubaLIF: every field an array of 200 (NIR infers the size from the arrays; NIR#176).
    const hidden = read.nodes.hidden!.fields;
    expect(Object.keys(hidden).sort()).to.deep.equal(['r', 'tau_mem', 'tau_syn', 'v_leak', 'v_reset', 'v_threshold', 'w_in']);
    for (const f of Object.values(hidden)) expect(f.shape).to.deep.equal([200]);
    // stdlib LIF: v' = (-v + i) / tau_mem, i' = -i / tau_syn, i += w, spike when v > 1, v = 0.
    const first = (k: string) => hidden[k]!.values[0];
    expect([first('tau_mem'), first('tau_syn'), first('r'), first('v_leak'), first('v_threshold'), first('v_reset'), first('w_in')]).to.deep.equal([10, 5, 1, 0, 1, 0, 1]);
    expect(read.nodes.output!.fields.tau_mem!.values).to.deep.equal([10, 10]);
    expect(read.nodes.projection0!.fields.weight!.shape).to.deep.equal([200, 100]);
    expect(read.nodes.projection1!.fields.weight!.shape).to.deep.equal([200, 200]);
    expect(read.nodes.projection2!.fields.weight!.shape).to.deep.equal([2, 200]);
    // weight[post, pre] holds exactly the synapses connect() generates for the CPU backend.
    const syn = connect(ir.projections[0]!, ir.seed);
    const w = read.nodes.projection0!.fields.weight!.values;
    for (let k = 0; k < syn.pre.length; k += 97) expect(w[syn.post[k]! * 100 + syn.pre[k]!]).to.equal(syn.weight[k]);
    expect(read.edges).to.have.deep.members([
      ['input', 'projection0'], ['projection0', 'hidden'], ['hidden', 'projection1'], ['projection1', 'hidden'],
      ['hidden', 'projection2'], ['projection2', 'output'], ['output', 'output_output'],
    ]);
  });

  it('maps PyNN\'s IF_curr_exp to CubaLIF: r = tau_m / cm, i_offset folded into v_leak, inhibitory weights negative', () => {
    const ir = compile(`network n {
      dt = 0.1 ms
      src = Population(2, SpikeSourceArray(spike_times: [1 ms]))
      cells = Population(2, IF_curr_exp(tau_m: 10 ms, cm: 0.5 nF, v_rest: -60 mV, i_offset: 0.1 nA, tau_refrac: 0 ms), initial: {v: -58 mV})
      Projection(src -> cells, AllToAll, receptor: excitatory, weight: 0.2 nA)
      Projection(src -> cells, OneToOne, receptor: inhibitory, weight: -0.3 nA, delay: 0.1 ms)
    }`);
    const e = exportNir(ir);
    const cells = e.graph!.nodes.cells!;
    expect(cells.type).to.equal('CubaLIF');
    expect(cells.fields.r!.data).to.deep.equal([20, 20]); // MOhm = ms / nF
    expect(cells.fields.v_leak!.data).to.deep.equal([-58, -58]); // v_rest + R i_offset
    expect(cells.fields.tau_syn!.data).to.deep.equal([5, 5]);
    expect(e.graph!.nodes.projection1!.fields.weight!.data.filter((x) => x !== 0)).to.deep.equal([-0.3, -0.3]);
    expect(codes(e.findings)).to.deep.equal(['InputSpikesNotCarried']); // v starts at v_leak: nothing lost
  });

  it('warns, with a code, for plasticity, conductance synapses, refractoriness, spike sources and the initial state (examples/stdp_pairing.snn)', () => {
    const e = exportNir(compileFile('examples/stdp_pairing.snn').ir!);
    expect(e.graph).to.not.equal(undefined);
    expect(codes(e.findings)).to.deep.equal(['ConductanceLinearised', 'InitialStateDropped', 'InputSpikesNotCarried', 'InputSpikesNotCarried', 'PlasticityDropped', 'RefractoryDropped']);
    // Linearised at rest: g (E - v_rest) / cm per uS, so r * w_in = tau_m * (0 - (-70)) / cm = 20 * 70 / 1.
    const cell = e.graph!.nodes.cell!.fields;
    expect(cell.r!.data[0]! * cell.w_in!.data[0]!).to.be.closeTo(1400, 1e-9);
  });

  it('warns for short-term plasticity, current sources and delays that differ between synapses; adds a Delay node for longer delays', () => {
    const ir = compile(`network n {
      dt = 1 ms
      src = Population(4, SpikeSourceArray(spike_times: [1 ms]))
      cells = Population(2, LIF)
      Projection(src -> cells, AllToAll, weight: 0.5, synapse: TsodyksMarkram(U: 0.2))
      Projection(src -> cells, AllToAll, weight: 0.5, delay: uniform(1 ms, 5 ms))
      Projection(cells -> cells, OneToOne, weight: 0.1, delay: 3 ms)
      other = Population(1, IF_curr_exp(tau_refrac: 0 ms))
      Projection(cells -> other, AllToAll, receptor: excitatory, weight: 0.1 nA)
      inject DCSource(amplitude: 0.1 nA) into other
    }`);
    const e = exportNir(ir);
    expect(codes(e.findings)).to.include.members(['SynapseDynamicsDropped', 'CurrentSourceDropped', 'DelaysNotCarried']);
    expect(e.graph!.nodes.projection2_delay!.fields.delay!.data).to.deep.equal([3, 3]);
    expect(e.graph!.edges).to.deep.include.members([['projection2', 'projection2_delay'], ['projection2_delay', 'cells']]);
  });

  it('refuses, with SNN5001 and the reason, what would mean something else in NIR', () => {
    const adex = exportNir(compileFile('examples/cuba.snn').ir!);
    expect(adex.graph).to.equal(undefined);
    const err = adex.findings.find((f) => f.name === 'CannotExport')!;
    expect(err.at).to.equal('population:neurons');
    expect(String(err.args[1])).to.match(/different time constants/);
    const ir = compile(`network n {
      src = Population(2, SpikeSourcePoisson(rate: 10 Hz))
      cells = Population(2, EIF_cond_exp_isfa_ista)
      Projection(src -> cells, AllToAll, receptor: excitatory, weight: 0.01 uS)
    }`);
    const e2 = exportNir(ir);
    expect(e2.graph).to.equal(undefined);
    expect(String(e2.findings.find((f) => f.name === 'CannotExport')!.args[1])).to.match(/not one of NIR's neurons/);
  });

  it('writes nothing when the export fails (the CLI)', () => {
    const out = join(dir, 'cuba.nir');
    const r = spawnSync(process.execPath, [join('dist', 'cli', 'snn.js'), 'export', 'examples/cuba.snn', '--target', 'nir', '-o', out], { encoding: 'utf8' });
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/examples\/cuba\.snn:\d+:\d+: error SNN5001/);
    expect(() => writeFileSync(out, '', { flag: 'wx' })).to.not.throw();
  });
});
