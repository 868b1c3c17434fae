import { compileFile } from './compiler/compile.js';
import { exportPynn } from './backends/pynn/export.js';
import { writeFileSync } from 'node:fs';
for (const f of ['examples/cuba.snn', 'examples/stdp_pairing.snn']) {
  const r = compileFile(f, {});
  const e = exportPynn(r.ir!, { sourceName: f });
  console.log(f, e.findings.map(x => `${x.name} ${x.args.join('|')} @${x.at}`));
  if (e.script) { writeFileSync('/tmp/' + f.split('/')[1]!.replace('.snn', '.py'), e.script); }
}
