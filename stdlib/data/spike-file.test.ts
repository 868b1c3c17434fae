/** Plain-text spike files: the documented format, round trips, and errors that name the line. */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetError, type SpikeDataset, type SpikeSample } from './dataset.js';
import { randman } from './randman.js';
import { formatSpikeFile, parseSpikeFile, readSpikeFile, writeSpikeFile } from './spike-file.js';

const pairs = (s: SpikeSample): [number, number][] => Array.from(s.steps, (t, k) => [t, s.units[k]!]);
const strip = (ds: SpikeDataset): Omit<SpikeDataset, 'name'> => ({ units: ds.units, classes: ds.classes, steps: ds.steps, samples: ds.samples });

describe('spike files', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'snn-spikes-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the documented format: comments, blank lines, any column order, samples without spikes', () => {
    const text = [
      '# two samples',
      '',
      'time, unit, label, sample',
      '1.5, 3, 1, 4',
      '0.2, 7, 1, 4',
      '  # an indented comment',
      '0.99, 3, 1, 4',
      ',,0,2',
      '12, 0, 1, 4',
      '3, 1, 2, 9',
    ].join('\n');
    const ds = parseSpikeFile(text, 'dir/x.csv', { dt: 1 });
    expect(ds).to.include({ name: 'x.csv', units: 8, classes: 3, steps: 13 });
    expect(ds.samples.map((s) => s.label)).to.deep.equal([0, 1, 2]); // samples 2, 4, 9 in order
    expect(pairs(ds.samples[0]!)).to.deep.equal([]);
    expect(pairs(ds.samples[1]!)).to.deep.equal([[0, 3], [0, 7], [1, 3], [12, 0]]);
    expect(pairs(ds.samples[2]!)).to.deep.equal([[3, 1]]);
  });

  it('gives label 0 and one class without a label column, and honours steps and units', () => {
    const ds = parseSpikeFile('sample,unit,time\n0,1,0.5\n1,0,4.9\n', 'y.csv', { dt: 0.5, steps: 20, units: 5 });
    expect(ds).to.include({ units: 5, classes: 1, steps: 20 });
    expect(ds.samples.map(pairs)).to.deep.equal([[[1, 1]], [[9, 0]]]);
  });

  it('round-trips a dataset through a file, for a dt that is not a binary fraction', () => {
    const ds = randman({ classes: 3, samples: 20, seed: 4, units: 9, spikesPerUnit: 2, timeSteps: 70 });
    ds.samples[5] = { label: 2, steps: new Int32Array(0), units: new Int32Array(0) }; // a sample without spikes
    for (const dt of [1, 0.1, 0.3]) {
      const path = join(dir, `rt-${dt}.csv`);
      writeSpikeFile(path, ds, dt);
      expect(strip(readSpikeFile(path, { dt, steps: ds.steps, units: ds.units }))).to.deep.equal(strip(ds));
    }
    const inferred = parseSpikeFile(formatSpikeFile(ds, 0.1), 'rt', { dt: 0.1 });
    const last = Math.max(...ds.samples.flatMap((s) => Array.from(s.steps)));
    expect(inferred.steps).to.equal(last + 1);
    expect(inferred.samples).to.deep.equal(ds.samples);
  });

  describe('errors name the file and line', () => {
    const error = (text: string, o = { dt: 1 } as { dt: number; steps?: number; units?: number }): DatasetError => {
      try {
        parseSpikeFile(text, 'in.csv', o);
      } catch (e) {
        expect(e).to.be.instanceOf(DatasetError);
        expect((e as DatasetError).hint).to.match(/sample,unit,time/);
        return e as DatasetError;
      }
      throw new Error('expected a DatasetError');
    };

    it('in the header', () => {
      expect(error('# c\nsample,unit,when\n').message).to.equal("in.csv:2: unknown column 'when' in the header (expected sample, unit, time and optionally label)");
      expect(error('sample,unit\n').message).to.equal("in.csv:1: the header has no 'time' column");
      expect(error('sample,unit,time,unit\n').message).to.equal("in.csv:1: column 'unit' appears twice in the header");
      expect(error('# only comments\n').message).to.equal('in.csv: no header line (sample,unit,time)');
    });

    it('in the rows', () => {
      const head = 'sample,unit,time,label\n';
      expect(error(`${head}0,1,2,0\n0,1,2\n`).message).to.equal('in.csv:3: 3 fields, the header has 4');
      expect(error(`${head}0,1,2,0\nx,1,2,0\n`).message).to.equal("in.csv:3: sample 'x' is not a whole number >= 0");
      expect(error(`${head}0,-1,2,0\n`).message).to.equal("in.csv:2: unit '-1' is not a whole number >= 0");
      expect(error(`${head}0,1.5,2,0\n`).message).to.equal("in.csv:2: unit '1.5' is not a whole number >= 0");
      expect(error(`${head}0,1,-2,0\n`).message).to.equal("in.csv:2: time '-2' is not a number of ms >= 0");
      expect(error(`${head}0,1,,0\n`).message).to.equal("in.csv:2: time '' is not a number of ms >= 0");
      expect(error(`${head}# c\n0,1,2,0\n\n0,2,3,1\n`).message).to.equal('in.csv:5: sample 0 has label 1, but label 0 on line 3');
      expect(error(`${head}0,1,25,0\n`, { dt: 1, steps: 20 }).message).to.equal('in.csv:2: time 25 ms falls in step 25, after the last of 20 steps of 1 ms');
      expect(error(`${head}0,1,2,0\n0,9,2,0\n`, { dt: 1, units: 5 }).message).to.equal('in.csv:3: unit 9 is outside the 5 units');
    });

    it('for a missing file', () => {
      const path = join(dir, 'missing.csv');
      expect(() => readSpikeFile(path, { dt: 1 })).to.throw(DatasetError, `${path}: no such file`);
    });
  });
});
