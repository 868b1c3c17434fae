/**
 * Every connector and spatial structure, from .snn through the IR to the synapses the CPU backend
 * builds, checked against what the connector promises (PyNN's semantics).
 */
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileText } from './compile.js';
import { connect, type Synapses } from './connect.js';
import type { NetworkIR } from './ir/types.js';

function build(network: string, path = 'c.snn'): NetworkIR {
  const r = compileText(`network c {\n  duration = 10 ms\n${network}\n}`, path);
  expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.message}`)).to.deep.equal([]);
  return r.ir!;
}

function synapses(ir: NetworkIR, k = 0): Synapses {
  return connect(ir.projections[k]!, ir.seed, (name) => ir.populations.find((p) => p.name === name)?.positions);
}

const pairs = (s: Synapses): string[] => Array.from(s.pre, (i, k) => `${i}-${s.post[k]}`);
const count = (xs: Int32Array, n: number): number[] => {
  const c = new Array<number>(n).fill(0);
  for (const x of xs) c[x]!++;
  return c;
};

describe('connectors', () => {
  it('AllToAll connects every pair, without self-connections when asked', () => {
    const ir = build(`  a = Population(4, IF_curr_exp)
  b = Population(3, IF_curr_exp)
  Projection(a -> b, AllToAll, weight: 0.1 nA)
  Projection(a -> a, AllToAll(allow_self_connections: false), weight: 0.1 nA)`);
    expect(synapses(ir, 0).pre.length).to.equal(12);
    const self = synapses(ir, 1);
    expect(self.pre.length).to.equal(12);
    expect(Array.from(self.pre).some((i, k) => i === self.post[k])).to.equal(false);
  });

  it('OneToOne connects i to i', () => {
    const s = synapses(build(`  a = Population(5, IF_curr_exp)
  b = Population(5, IF_curr_exp)
  Projection(a -> b, OneToOne, weight: 0.1 nA)`));
    expect(pairs(s)).to.deep.equal(['0-0', '1-1', '2-2', '3-3', '4-4']);
  });

  it('FixedProbability connects each pair with probability p (binomial count), the same for the same seed', () => {
    const ir = build(`  a = Population(200, IF_curr_exp)
  b = Population(300, IF_curr_exp)
  Projection(a -> b, FixedProbability(0.1), weight: 0.1 nA)`);
    const s = synapses(ir);
    const [n, p] = [200 * 300, 0.1];
    expect(Math.abs(s.pre.length - n * p)).to.be.lessThan(4 * Math.sqrt(n * p * (1 - p)));
    expect(pairs(synapses(ir))).to.deep.equal(pairs(s));
    expect(pairs(connect(ir.projections[0]!, ir.seed + 1))).to.not.deep.equal(pairs(s));
    // Per post neuron the in-degree is binomial(200, 0.1): mean 20.
    const indeg = count(s.post, 300);
    expect(indeg.reduce((a, b) => a + b, 0) / 300).to.be.closeTo(20, 1.5);
  });

  it('FixedNumberPre gives each post neuron exactly n distinct pre neurons; FixedNumberPost the converse', () => {
    const ir = build(`  a = Population(50, IF_curr_exp)
  b = Population(40, IF_curr_exp)
  Projection(a -> b, FixedNumberPre(7), weight: 0.1 nA)
  Projection(a -> b, FixedNumberPost(9), weight: 0.1 nA)
  Projection(a -> b, FixedTotalNumber(321), weight: 0.1 nA)`);
    const pre = synapses(ir, 0);
    expect(count(pre.post, 40).every((c) => c === 7)).to.equal(true);
    expect(new Set(pairs(pre)).size).to.equal(pre.pre.length);
    const post = synapses(ir, 1);
    expect(count(post.pre, 50).every((c) => c === 9)).to.equal(true);
    expect(new Set(pairs(post)).size).to.equal(post.pre.length);
    expect(synapses(ir, 2).pre.length).to.equal(321);
  });

  it('FromList takes rows with weights and delays; Array takes a boolean matrix; FromFile reads a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'snn-conn-'));
    writeFileSync(join(dir, 'conns.txt'), '# pre post weight delay\n0 1 0.25 2.0\n2, 0, 0.5, 0.5\n');
    const ir = build(`  a = Population(3, IF_curr_exp)
  b = Population(2, IF_curr_exp)
  Projection(a -> b, FromList([[0, 1, 0.2 nA, 1.5 ms], [2, 1, 400 pA, 2 ms]]))
  Projection(a -> b, Array([[true, false], [false, true], [true, true]]), weight: 0.1 nA)
  Projection(a -> b, FromFile("conns.txt"))`, join(dir, 'model.snn'));
    const list = synapses(ir, 0);
    expect(pairs(list)).to.deep.equal(['0-1', '2-1']);
    expect(Array.from(list.weight)).to.deep.equal([0.2, 0.4]);
    expect(Array.from(list.delaySteps)).to.deep.equal([15, 20]);
    expect(pairs(synapses(ir, 1))).to.deep.equal(['0-0', '1-1', '2-0', '2-1']);
    const file = synapses(ir, 2);
    expect(pairs(file)).to.deep.equal(['0-1', '2-0']);
    expect(Array.from(file.weight)).to.deep.equal([0.25, 0.5]);
    expect(Array.from(file.delaySteps)).to.deep.equal([20, 5]);
  });

  it('reports a missing connection file as SNN4001 at the connector', () => {
    const r = compileText('network c {\n  duration = 10 ms\n  a = Population(3, IF_curr_exp)\n  Projection(a -> a, FromFile("nowhere.txt"))\n}', 'm.snn');
    expect(r.diagnostics.map((d) => [d.code, d.range.start.line])).to.deep.equal([['SNN4001', 4]]);
    expect(r.diagnostics[0]!.message).to.match(/nowhere\.txt.*ENOENT/);
  });

  it('DistanceDependentProbability connects by the distance between structure positions', () => {
    const ir = build(`  a = Population(20, IF_curr_exp, structure: Line(dx: 10 um))
  b = Population(20, IF_curr_exp, structure: Line(dx: 10 um, y: 5 um))
  Projection(a -> b, DistanceDependentProbability(d < 12 um), weight: 0.1 nA)
  Projection(a -> a, DistanceDependentProbability(exp(-d / 30 um), allow_self_connections: false), weight: 0.1 nA)`);
    // With y offset 5 um, d = sqrt((10 k)^2 + 25): below 12 um only for k = -1, 0, 1.
    const near = synapses(ir, 0);
    const want: string[] = [];
    for (let i = 0; i < 20; i++) for (let j = 0; j < 20; j++) if (Math.hypot(10 * (i - j), 5) < 12) want.push(`${i}-${j}`);
    expect(pairs(near)).to.deep.equal(want);
    const soft = synapses(ir, 1);
    expect(Array.from(soft.pre).some((i, k) => i === soft.post[k])).to.equal(false);
    // Expected number of connections: the sum of the probabilities.
    let mean = 0;
    let variance = 0;
    for (let i = 0; i < 20; i++) for (let j = 0; j < 20; j++) if (i !== j) {
      const p = Math.exp(-Math.abs(10 * (i - j)) / 30);
      mean += p;
      variance += p * (1 - p);
    }
    expect(Math.abs(soft.pre.length - mean)).to.be.lessThan(4 * Math.sqrt(variance));
  });
});

describe('spatial structures', () => {
  it('place neurons as pyNN.space does: Line, Grid2D and Grid3D in C order, RandomStructure inside its boundary', () => {
    const ir = build(`  line = Population(3, IF_curr_exp, structure: Line(dx: 5 um, x0: 1 um, y: 2 um))
  sheet = Population(6, IF_curr_exp, structure: Grid2D(aspect_ratio: 1.5, dx: 10 um, dy: 20 um))
  block = Population(8, IF_curr_exp, structure: Grid3D(dx: 1 um, dy: 2 um, dz: 3 um))
  ball = Population(200, IF_curr_exp, structure: RandomStructure(Sphere(radius: 50 um), origin: [100 um, 0 um, 0 um]))
  box = Population(200, IF_curr_exp, structure: RandomStructure(boundary: Cuboid(width: 10 um, height: 20 um, depth: 30 um)))`);
    const pos = (name: string): number[] => ir.populations.find((p) => p.name === name)!.positions!;
    expect(pos('line')).to.deep.equal([1, 2, 0, 6, 2, 0, 11, 2, 0]);
    // 6 neurons, aspect ratio 1.5: nx = 3, ny = 2; y varies fastest.
    expect(pos('sheet')).to.deep.equal([0, 0, 0, 0, 20, 0, 10, 0, 0, 10, 20, 0, 20, 0, 0, 20, 20, 0]);
    expect(pos('block').slice(0, 12)).to.deep.equal([0, 0, 0, 0, 0, 3, 0, 2, 0, 0, 2, 3]);
    const ball = pos('ball');
    for (let i = 0; i < 200; i++) expect(Math.hypot(ball[3 * i]! - 100, ball[3 * i + 1]!, ball[3 * i + 2]!)).to.be.at.most(50);
    const box = pos('box');
    for (let i = 0; i < 200; i++) {
      expect(Math.abs(box[3 * i]!)).to.be.at.most(5);
      expect(Math.abs(box[3 * i + 1]!)).to.be.at.most(10);
      expect(Math.abs(box[3 * i + 2]!)).to.be.at.most(15);
    }
  });

  it('refuses a grid the population does not fill', () => {
    const r = compileText('network c {\n  duration = 10 ms\n  a = Population(7, IF_curr_exp, structure: Grid2D(dx: 1 um, dy: 1 um))\n}', 'g.snn');
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => d.code)).to.deep.equal(['SNN4001']);
    expect(errors[0]!.message).to.match(/do not fill/);
  });
});
