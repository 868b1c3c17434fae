/** Dataset helpers: the seeded split and the dense view of a batch. */
import { expect } from 'chai';
import { denseBatch, makeSample, splitDataset, type SpikeDataset } from './dataset.js';

function dataset(n: number): SpikeDataset {
  const samples = Array.from({ length: n }, (_, i) => makeSample(i % 4, [i % 10], [i % 3], 3));
  return { name: 't', units: 3, classes: 4, steps: 10, samples };
}

describe('dataset helpers', () => {
  describe('splitDataset', () => {
    it('splits every sample into exactly one part, with sizes from cumulative rounding', () => {
      const ds = dataset(101);
      const s = splitDataset(ds, [0.8, 0.1, 0.1], 7);
      expect([s.train.length, s.validation.length, s.test.length]).to.deep.equal([81, 10, 10]);
      const all = new Set([...s.train, ...s.validation, ...s.test]);
      expect(all.size).to.equal(101);
      for (const x of ds.samples) expect(all.has(x)).to.equal(true);
      const two = splitDataset(ds, [0.5, 0.5], 7);
      expect([two.train.length, two.validation.length, two.test.length]).to.deep.equal([51, 0, 50]);
    });

    it('is a deterministic shuffle: the same seed gives the same split, another seed another', () => {
      const ds = dataset(200);
      const a = splitDataset(ds, [0.8, 0.1, 0.1], 1);
      const b = splitDataset(ds, [0.8, 0.1, 0.1], 1);
      const c = splitDataset(ds, [0.8, 0.1, 0.1], 2);
      const idx = (xs: unknown[]): number[] => xs.map((x) => ds.samples.indexOf(x as never));
      expect(idx(a.train)).to.deep.equal(idx(b.train));
      expect(idx(a.train)).to.not.deep.equal(idx(c.train));
      // Shuffled, not a prefix of the original order.
      expect(idx(a.train).slice(0, 20)).to.not.deep.equal(Array.from({ length: 20 }, (_, i) => i));
      // The shuffle is close to uniform: each class about a quarter of the training set.
      for (let k = 0; k < 4; k++) expect(a.train.filter((x) => x.label === k).length).to.be.within(25, 55);
    });

    it('throws a RangeError for bad fractions', () => {
      const ds = dataset(10);
      expect(() => splitDataset(ds, [0.8, 0.1], 1)).to.throw(RangeError, /add up to 1/);
      expect(() => splitDataset(ds, [1.2, -0.2], 1)).to.throw(RangeError, />= 0/);
      expect(() => splitDataset(ds, [1], 1)).to.throw(RangeError, /2 fractions/);
      expect(() => splitDataset(ds, [0.5, NaN, 0.5], 1)).to.throw(RangeError, /finite/);
    });
  });

  describe('denseBatch and makeSample', () => {
    it('sorts events by step then unit and counts spikes sharing a bin', () => {
      const s = makeSample(1, [2, 0, 2, 2], [1, 2, 0, 1], 3);
      expect(Array.from(s.steps)).to.deep.equal([0, 2, 2, 2]);
      expect(Array.from(s.units)).to.deep.equal([2, 0, 1, 1]);
      const d = denseBatch([s, makeSample(0, [1], [0], 3)], 3, 3);
      expect(Array.from(d)).to.deep.equal([0, 0, 1, 0, 0, 0, 1, 2, 0, /* sample 1 */ 0, 0, 0, 1, 0, 0, 0, 0, 0]);
      expect(() => denseBatch([s], 2, 3)).to.throw(RangeError, /step 2/);
    });
  });
});
