/**
 * SHD reader: tiny files in the SHD layout written by h5py (float16 times, as in the published
 * files, and float32), read back with the binning, dropping, labels and errors checked by hand.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetError, type SpikeSample } from './dataset.js';
import { readShd } from './shd.js';

const PYTHON = '/usr/bin/python3';

function python(script: string, ...args: string[]): void {
  const r = spawnSync(PYTHON, ['-c', script, ...args], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`${PYTHON} failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr.slice(-2000)}`);
}

/**
 * Three samples; times in seconds are dyadic so float16 and float32 hold them exactly:
 * 2^-10 s = 0.9765625 ms, 2^-9 s = 1.953125 ms, 2^-7 s = 7.8125 ms, 0.5 s, 1.375 s, and 1.5 s,
 * which is after the default maxTime of 1.4 s.
 */
const WRITE_SHD = `
import sys, h5py, numpy as np
path, tdtype = sys.argv[1], sys.argv[2]
times = [[2**-10, 2**-9, 2**-9, 2**-7, 1.5, 1.375], [], [0.5, 2**-10]]
units = [[3, 3, 5, 699, 2, 4], [], [10, 1]]
labels = [7, 0, 19]
with h5py.File(path, 'w') as f:
    t = f.create_dataset('spikes/times', (3,), dtype=h5py.vlen_dtype(np.dtype(tdtype)))
    u = f.create_dataset('spikes/units', (3,), dtype=h5py.vlen_dtype(np.dtype('uint16')))
    for i in range(3):
        t[i] = np.array(times[i], dtype=tdtype)
        u[i] = np.array(units[i], dtype='uint16')
    f.create_dataset('labels', data=np.array(labels, dtype='uint8'))
    f.create_dataset('extra/speaker', data=np.array([1, 2, 3]))
`;

const pairs = (s: SpikeSample): [number, number][] => Array.from(s.steps, (t, k) => [t, s.units[k]!]);

describe('readShd', function () {
  this.timeout(60_000);
  let dir: string;
  const file = (name: string): string => join(dir, name);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'snn-shd-'));
    python(WRITE_SHD, file('f16.h5'), 'float16');
    python(WRITE_SHD, file('f32.h5'), 'float32');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const name of ['f16.h5', 'f32.h5']) {
    it(`bins ${name === 'f16.h5' ? 'float16 (as published)' : 'float32'} times by dt, drops spikes at or after maxTime, keeps labels`, async () => {
      const ds = await readShd(file(name), { dt: 1 });
      expect(ds).to.include({ name, units: 700, classes: 20, steps: 1400 });
      expect(ds.samples.map((s) => s.label)).to.deep.equal([7, 0, 19]);
      // Sorted by step, then unit; 1.5 s (unit 2) dropped; two spikes share step 1.
      expect(pairs(ds.samples[0]!)).to.deep.equal([[0, 3], [1, 3], [1, 5], [7, 699], [1375, 4]]);
      expect(pairs(ds.samples[1]!)).to.deep.equal([]);
      expect(pairs(ds.samples[2]!)).to.deep.equal([[0, 1], [500, 10]]);
    });
  }

  it('uses maxTime and dt for the number of steps and the bins, and reads only `limit` samples', async () => {
    const ds = await readShd(file('f16.h5'), { dt: 2.5, maxTime: 600, limit: 2 });
    expect(ds.steps).to.equal(240);
    expect(ds.samples).to.have.length(2);
    expect(ds.classes).to.equal(8);
    expect(pairs(ds.samples[0]!)).to.deep.equal([[0, 3], [0, 3], [0, 5], [3, 699]]);
    const short = await readShd(file('f32.h5'), { dt: 0.7, maxTime: 500 });
    expect(short.steps).to.equal(715); // ceil(500 / 0.7)
    expect(pairs(short.samples[2]!)).to.deep.equal([[1, 1]]); // 0.5 s is at maxTime: dropped
    const exact = await readShd(file('f32.h5'), { dt: 0.7, maxTime: 700 });
    expect(exact.steps).to.equal(1000); // 700 / 0.7 = 1000.0000000000001 in floating point
  });

  describe('errors', () => {
    async function error(path: string): Promise<DatasetError> {
      try {
        await readShd(path, { dt: 1 });
      } catch (e) {
        expect(e).to.be.instanceOf(DatasetError);
        return e as DatasetError;
      }
      throw new Error('expected a DatasetError');
    }

    it('names a missing file', async () => {
      const e = await error(file('nope.h5'));
      expect(e.message).to.equal(`${file('nope.h5')}: no such file`);
      expect(e.hint).to.match(/spikes\/times/);
    });

    it('names a file that is not HDF5', async () => {
      writeFileSync(file('text.h5'), 'sample,unit,time\n');
      expect((await error(file('text.h5'))).message).to.match(/text\.h5: not an HDF5 file/);
    });

    it('names the missing or malformed dataset', async () => {
      python(
        `
import sys, h5py, numpy as np
d = sys.argv[1]
with h5py.File(d + '/nolabels.h5', 'w') as f:
    f.create_dataset('spikes/times', (1,), dtype=h5py.vlen_dtype(np.dtype('float32')))
    f.create_dataset('spikes/units', (1,), dtype=h5py.vlen_dtype(np.dtype('uint16')))
with h5py.File(d + '/nospikes.h5', 'w') as f:
    f.create_dataset('labels', data=np.array([0]))
with h5py.File(d + '/dense.h5', 'w') as f:
    f.create_dataset('spikes/times', data=np.zeros((1, 4)))
    f.create_dataset('spikes/units', (1,), dtype=h5py.vlen_dtype(np.dtype('uint16')))
    f.create_dataset('labels', data=np.array([0]))
with h5py.File(d + '/lengths.h5', 'w') as f:
    f.create_dataset('spikes/times', (2,), dtype=h5py.vlen_dtype(np.dtype('float32')))
    f.create_dataset('spikes/units', (2,), dtype=h5py.vlen_dtype(np.dtype('uint16')))
    f.create_dataset('labels', data=np.array([0, 1, 2]))
with h5py.File(d + '/ragged.h5', 'w') as f:
    t = f.create_dataset('spikes/times', (2,), dtype=h5py.vlen_dtype(np.dtype('float32')))
    u = f.create_dataset('spikes/units', (2,), dtype=h5py.vlen_dtype(np.dtype('uint16')))
    t[1] = np.array([0.1, 0.2], dtype='float32')
    u[1] = np.array([1], dtype='uint16')
    f.create_dataset('labels', data=np.array([0, 1]))
`,
        dir,
      );
      expect((await error(file('nolabels.h5'))).message).to.equal(`${file('nolabels.h5')}: no dataset 'labels'`);
      expect((await error(file('nospikes.h5'))).message).to.equal(`${file('nospikes.h5')}: no dataset 'spikes/times'`);
      expect((await error(file('dense.h5'))).message).to.match(/dataset 'spikes\/times' is not a 1-D list of float arrays/);
      expect((await error(file('lengths.h5'))).message).to.match(/differ in length/);
      expect((await error(file('ragged.h5'))).message).to.match(/sample 1 has 2 spike times but 1 units/);
    });

    it('refuses a bad dt with a RangeError', async () => {
      let caught: unknown;
      await readShd(file('f16.h5'), { dt: 0 }).catch((e: unknown) => (caught = e));
      expect(caught).to.be.instanceOf(RangeError);
    });
  });
});
