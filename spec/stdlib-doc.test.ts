import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { generateStdlibDoc, STDLIB_README } from './gen-stdlib-doc.js';

describe('stdlib/README.md', () => {
  it('is what spec/gen-stdlib-doc.ts generates now (run `npx tsx spec/gen-stdlib-doc.ts`)', () => {
    const fresh = generateStdlibDoc();
    expect(readFileSync(STDLIB_README, 'utf8') === fresh, 'stdlib/README.md is stale: run `npx tsx spec/gen-stdlib-doc.ts`').to.equal(true);
    // Every cell type says which integrator it gets.
    for (const cell of ['IF_curr_exp', 'Izhikevich', 'HH_cond_exp', 'LIF']) expect(fresh).to.match(new RegExp(`### neuron ${cell}\\n[^#]*Integrator: \\*\\*(exact|rk4)\\*\\*`));
  });
});
