import { compileFile } from './compiler/compile.js';
import { exportNir } from './backends/nir/export.js';
import { writeNir, readNir } from './backends/nir/hdf5.js';
for (const f of ['examples/randman.snn', 'examples/cuba.snn', 'examples/stdp_pairing.snn']) {
  const r = compileFile(f, { keepDataSources: true, defaultDuration: 0 });
  const e = exportNir(r.ir!);
  console.log(f, e.findings.map(x => `${x.name} ${x.args.join('|')} @${x.at}`));
  if (e.graph) {
    console.log(Object.entries(e.graph.nodes).map(([k, n]) => `${k}:${n.type}`), e.graph.edges);
    await writeNir('/tmp/x.nir', e.graph);
    const g = await readNir('/tmp/x.nir');
    console.log(Object.keys(g.nodes), g.edges.length, g.nodes.hidden?.fields.tau_mem?.data.slice(0, 2), g.metadata);
  }
}
