import { expect } from 'chai';
import { CounterRng, philox4x32, streamId } from './philox.js';

const hex = (ws: ArrayLike<number>): string[] => Array.from(ws, (w) => w.toString(16).padStart(8, '0'));

describe('Philox4x32-10', () => {
  // Known-answer vectors from Random123's kat_vectors (counter[4], key[2] -> output[4]).
  const KAT: [number[], number[], string[]][] = [
    [[0, 0, 0, 0], [0, 0], ['6627e8d5', 'e169c58d', 'bc57ac4c', '9b00dbd8']],
    [[0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], ['408f276d', '41c83b0e', 'a20bc7c6', '6d5451fd']],
    [[0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0], ['d16cfe09', '94fdcceb', '5001e420', '24126ea1']],
  ];
  for (const [c, k, want] of KAT) {
    it(`matches Random123's known answer for counter ${hex(c).join(' ')}`, () => {
      const out = new Uint32Array(4);
      philox4x32(c[0]!, c[1]!, c[2]!, c[3]!, k[0]!, k[1]!, out);
      expect(hex(out)).to.deep.equal(want);
    });
  }

  it('gives the same draw for the same (seed, stream, index, step) whatever was drawn before', () => {
    const a = new CounterRng(42);
    const b = new CounterRng(42);
    const forward = [0, 1, 2, 3, 4].map((i) => a.uniform(7, i, 3));
    const backward = [4, 3, 2, 1, 0].map((i) => b.uniform(7, i, 3)).reverse();
    expect(forward).to.deep.equal(backward);
    expect(new CounterRng(43).uniform(7, 0, 3)).to.not.equal(forward[0]);
    expect(a.uniform(8, 0, 3)).to.not.equal(forward[0]);
  });

  it('draws uniforms in (0, 1) with the moments of U(0, 1) and normals with those of N(0, 1)', () => {
    const rng = new CounterRng(20261123);
    const n = 100_000;
    let s = 0;
    let s2 = 0;
    let min = 1;
    let max = 0;
    const bins = new Array<number>(10).fill(0);
    for (let i = 0; i < n; i++) {
      const u = rng.uniform(1, i, 0);
      s += u;
      s2 += u * u;
      min = Math.min(min, u);
      max = Math.max(max, u);
      bins[Math.floor(u * 10)]!++;
    }
    expect(min).to.be.greaterThan(0);
    expect(max).to.be.lessThan(1);
    // Mean 1/2 (sd of the mean 0.0009), variance 1/12.
    expect(s / n).to.be.closeTo(0.5, 0.004);
    expect(s2 / n - (s / n) ** 2).to.be.closeTo(1 / 12, 0.002);
    // Chi-square over 10 bins, 9 degrees of freedom: 27.9 is the 0.999 quantile.
    const chi2 = bins.reduce((acc, b) => acc + (b - n / 10) ** 2 / (n / 10), 0);
    expect(chi2).to.be.lessThan(27.9);
    let m = 0;
    let v = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal(2, i, 0);
      m += z;
      v += z * z;
    }
    expect(m / n).to.be.closeTo(0, 0.015);
    expect(v / n).to.be.closeTo(1, 0.02);
  });

  it('names streams stably and distinctly', () => {
    expect(streamId('projection:exc_to_all:connectivity')).to.equal(streamId('projection:exc_to_all:connectivity'));
    expect(streamId('a')).to.not.equal(streamId('b'));
    // FNV-1a of the empty string is its offset basis.
    expect(streamId('')).to.equal(0x811c9dc5);
  });
});
