/**
 * examples/stdp_pairing.snn reproduces the finding of Song, Miller & Abbott (2000): additive
 * STDP with slightly stronger depression makes Poisson inputs compete, which pushes the weights
 * towards the bounds (a bimodal distribution) and brings the output rate down.
 */
import { expect } from 'chai';
import { compileFile } from '../../compiler/compile.js';
import { simulate } from './simulate.js';

describe('examples/stdp_pairing.snn (Song, Miller & Abbott 2000)', function () {
  this.timeout(120_000);
  it('drives the weights to the bounds and the output rate down', () => {
    const ir = compileFile('examples/stdp_pairing.snn', { duration: 30_000 }).ir!;
    const res = simulate(ir);
    const w = Array.from(res.weights[ir.projections[0]!.name]!.weight);
    const wMax = 0.00075;
    // Initially uniform on [0, w_max]: 10 % of the 1000 weights in each tenth.
    const low = w.filter((x) => x < 0.1 * wMax).length;
    const high = w.filter((x) => x > 0.9 * wMax).length;
    const middle = w.length - low - high;
    expect(low + high).to.be.greaterThan(250);
    expect(middle).to.be.lessThan(750);
    expect(Math.min(...w)).to.be.at.least(0);
    expect(Math.max(...w)).to.be.at.most(wMax);
    const t = res.spikes.cell!.times;
    const early = t.filter((x) => x < 5000).length;
    const late = t.filter((x) => x >= 25_000).length;
    expect(late).to.be.lessThan(0.7 * early);
  });
});
