/**
 * randman: the properties the data is built for (one spike per unit and manifold, smooth in the
 * latent point, classes separable by timing only), determinism, and the formula checked against
 * an independent numpy implementation of fzenke/randman + stork's make_tempo_randman.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import type { SpikeDataset, SpikeSample } from './dataset.js';
import { evalManifold, randman, randmanCutoff, randmanLatent, randmanManifold, type RandmanOptions } from './randman.js';

const PYTHON = '/usr/bin/python3';

function python(script: string, input: string): string {
  const r = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8', input, maxBuffer: 256 * 1024 * 1024 });
  if (r.error || r.status !== 0) throw new Error(`${PYTHON} failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

/** Spike step of each unit (spikesPerUnit = 1). */
function features(s: SpikeSample, units: number): Float64Array {
  const f = new Float64Array(units).fill(NaN);
  for (let k = 0; k < s.units.length; k++) f[s.units[k]!] = s.steps[k]!;
  return f;
}

function dist2(a: Float64Array, b: Float64Array): number {
  let acc = 0;
  for (let j = 0; j < a.length; j++) acc += (a[j]! - b[j]!) ** 2;
  return acc;
}

/** Train on the first half, test on the second; returns [nearest-centroid, 1-nearest-neighbour] accuracy. */
function classify(ds: SpikeDataset): [number, number] {
  const X = ds.samples.map((s) => features(s, ds.units));
  const y = ds.samples.map((s) => s.label);
  const half = Math.floor(X.length / 2);
  const cent = Array.from({ length: ds.classes }, () => new Float64Array(ds.units));
  const count = new Array<number>(ds.classes).fill(0);
  for (let i = 0; i < half; i++) {
    count[y[i]!]!++;
    X[i]!.forEach((v, j) => (cent[y[i]!]![j]! += v));
  }
  cent.forEach((c, k) => c.forEach((v, j) => (c[j] = v / count[k]!)));
  let okCentroid = 0;
  let okNeighbour = 0;
  for (let i = half; i < X.length; i++) {
    const d = cent.map((c) => dist2(c, X[i]!));
    if (d.indexOf(Math.min(...d)) === y[i]) okCentroid++;
    let best = Infinity;
    let bestLabel = -1;
    for (let t = 0; t < half; t++) {
      const dd = dist2(X[t]!, X[i]!);
      if (dd < best) [best, bestLabel] = [dd, y[t]!];
    }
    if (bestLabel === y[i]) okNeighbour++;
  }
  return [okCentroid / (X.length - half), okNeighbour / (X.length - half)];
}

describe('randman', function () {
  this.timeout(120_000);

  it('gives classes x samples samples, class-interleaved, each unit firing exactly spikesPerUnit spikes, sorted by step then unit', () => {
    for (const spikesPerUnit of [1, 3]) {
      const ds = randman({ classes: 3, samples: 40, seed: 5, units: 17, spikesPerUnit, timeSteps: 60 });
      expect(ds).to.include({ units: 17, classes: 3, steps: 60 });
      expect(ds.samples).to.have.length(120);
      ds.samples.forEach((s, i) => {
        expect(s.label).to.equal(i % 3);
        const perUnit = new Array<number>(17).fill(0);
        s.units.forEach((u) => perUnit[u]!++);
        expect(perUnit).to.deep.equal(new Array<number>(17).fill(spikesPerUnit));
        for (let k = 1; k < s.steps.length; k++) {
          const before = s.steps[k - 1]! < s.steps[k]! || (s.steps[k - 1] === s.steps[k] && s.units[k - 1]! <= s.units[k]!);
          expect(before, `sample ${i} event ${k}`).to.equal(true);
        }
      });
    }
  });

  it('puts spikes in [offsetFrac T, (offsetFrac + stepFrac (1 - offsetFrac)) T) and uses that whole window', () => {
    for (const [stepFrac, offsetFrac] of [[0.5, 0], [1, 0], [0.5, 0.2]] as const) {
      const T = 100;
      const ds = randman({ classes: 2, samples: 200, seed: 11, units: 20, stepFrac, offsetFrac, timeSteps: T });
      let lo = Infinity;
      let hi = -Infinity;
      for (const s of ds.samples) for (const t of s.steps) [lo, hi] = [Math.min(lo, t), Math.max(hi, t)];
      // Min-max standardisation maps each unit's earliest sample to offsetFrac T exactly.
      expect(lo).to.equal(Math.floor(offsetFrac * T));
      expect(hi).to.equal(Math.ceil((offsetFrac + stepFrac * (1 - offsetFrac)) * T - 1e-9) - 1);
    }
  });

  it('gives the same data for the same seed and different data for another seed', () => {
    const o: RandmanOptions = { classes: 2, samples: 50, seed: 42, units: 30, dims: 2 };
    const a = randman(o);
    const b = randman({ ...o });
    expect(b).to.deep.equal(a);
    const c = randman({ ...o, seed: 43 });
    const same = a.samples.filter((s, i) => s.steps.every((t, k) => t === c.samples[i]!.steps[k] && s.units[k] === c.samples[i]!.units[k])).length;
    expect(same).to.be.lessThan(2);
  });

  it("draws unit j's manifold independently of the number of units", () => {
    const small = randmanManifold({ classes: 2, samples: 10, seed: 3, units: 5 }, 1);
    const big = randmanManifold({ classes: 2, samples: 10, seed: 3, units: 12 }, 1);
    expect(Array.from(big.theta.subarray(0, small.theta.length))).to.deep.equal(Array.from(small.theta));
  });

  it('draws theta in (0, 1) with theta[:, :, 0, 0] = 0 and the reference cutoff and spectrum', () => {
    const m = randmanManifold({ classes: 1, samples: 1, seed: 9, units: 4, dims: 3, alpha: 2 }, 0);
    expect(m.fCutoff).to.equal(32); // ceil(1e-3^(-1/2)) = ceil(31.6)
    expect(m.theta).to.have.length(4 * 3 * 3 * 32);
    for (let j = 0; j < 4; j++) for (let d = 0; d < 3; d++) expect(m.theta[(j * 3 + d) * 3 * 32]).to.equal(0);
    const rest = Array.from(m.theta).filter((_, q) => q % (3 * 32) !== 0);
    expect(Math.min(...rest)).to.be.greaterThan(0);
    expect(Math.max(...rest)).to.be.lessThan(1);
    const mean = rest.reduce((a, b) => a + b, 0) / rest.length;
    expect(mean).to.be.closeTo(0.5, 0.05);
    expect(m.spectrum[0]).to.equal(0.5);
    expect(m.spectrum[3]).to.equal(1 / 17);
    expect(randmanCutoff(1)).to.equal(1000);
    expect(randmanCutoff(0.5)).to.equal(1000);
  });

  it('is smooth in the latent point: within the Lipschitz bound of the formula, and nearby x give nearby spike times', () => {
    const o: RandmanOptions = { classes: 2, samples: 1000, seed: 21, units: 50 };
    const m = randmanManifold(o, 0);
    // |f'(x)| <= sum_i theta0_i s_i 2 pi i theta1_i <= sum_i s_i 2 pi i, since theta < 1.
    let bound = 0;
    for (let i = 0; i < m.fCutoff; i++) bound += 2 * Math.PI * i / ((i + 1) ** 2 + 1);
    const h = 1e-4;
    for (const x of [0.01, 0.2, 0.5, 0.77, 0.99]) {
      const a = evalManifold(m, [x]);
      const b = evalManifold(m, [x + h]);
      a.forEach((v, j) => expect(Math.abs(b[j]! - v)).to.be.at.most(bound * h));
    }
    // Spike steps of class 0 ordered by latent x: neighbours differ far less than random pairs.
    const ds = randman(o);
    const cls0 = Array.from({ length: 1000 }, (_, n) => ({ x: randmanLatent(o, 0, n)[0]!, f: features(ds.samples[2 * n]!, o.units) }));
    cls0.sort((p, q) => p.x - q.x);
    let near = 0;
    let far = 0;
    for (let n = 1; n < cls0.length; n++) {
      near += Math.sqrt(dist2(cls0[n]!.f, cls0[n - 1]!.f));
      far += Math.sqrt(dist2(cls0[n]!.f, cls0[(n * 7919) % cls0.length]!.f));
    }
    expect(near / far).to.be.lessThan(0.15);
  });

  it('spike steps are the min-max standardised manifold values of the latent points', () => {
    const o: RandmanOptions = { classes: 2, samples: 64, seed: 8, units: 6, dims: 2, offsetFrac: 0.1, timeSteps: 80 };
    const ds = randman(o);
    const m = randmanManifold(o, 1);
    const y = Array.from({ length: 64 }, (_, n) => Array.from(evalManifold(m, randmanLatent(o, 1, n))));
    for (let j = 0; j < 6; j++) {
      const col = y.map((r) => r[j]!);
      const [lo, hi] = [Math.min(...col), Math.max(...col)];
      for (let n = 0; n < 64; n++) {
        const want = Math.floor(80 * (0.5 * 0.9 * ((col[n]! - lo) / (hi - lo + 1e-7)) + 0.1));
        const s = ds.samples[2 * n + 1]!;
        expect(s.steps[Array.from(s.units).indexOf(j)]).to.equal(want);
      }
    }
  });

  it('separates 2 classes (100 units, 1-D manifolds) by spike timing: nearest centroid > 80 %, nearest neighbour > 95 %', () => {
    const results = [1, 2, 3, 4, 5].map((seed) => classify(randman({ classes: 2, samples: 500, seed, units: 100 })));
    const meanCentroid = results.reduce((a, r) => a + r[0], 0) / results.length;
    expect(meanCentroid, JSON.stringify(results)).to.be.greaterThan(0.8);
    for (const [c, nn] of results) {
      expect(c).to.be.greaterThan(0.7);
      expect(nn).to.be.greaterThan(0.95);
    }
    // 10 classes, 20 units, alpha 1 (stork's example) is learnable by a nearest neighbour too.
    const [, nn10] = classify(randman({ classes: 10, samples: 100, seed: 1, units: 20, alpha: 1 }));
    expect(nn10).to.be.greaterThan(0.5);
  });

  it('makes 2 classes x 1000 samples x 100 units in well under a second', () => {
    randman({ classes: 2, samples: 50, seed: 1, units: 100 }); // warm up the JIT
    const t0 = performance.now();
    randman({ classes: 2, samples: 1000, seed: 2, units: 100 });
    expect(performance.now() - t0).to.be.lessThan(800);
  });

  it('refuses bad options with a RangeError', () => {
    const o: RandmanOptions = { classes: 2, samples: 10, seed: 1, units: 5 };
    expect(() => randman({ ...o, classes: 0 })).to.throw(RangeError, /classes/);
    expect(() => randman({ ...o, units: 2.5 })).to.throw(RangeError, /units/);
    expect(() => randman({ ...o, seed: -1 })).to.throw(RangeError, /seed/);
    expect(() => randman({ ...o, alpha: 0 })).to.throw(RangeError, /alpha/);
    expect(() => randman({ ...o, stepFrac: 1.5 })).to.throw(RangeError, /stepFrac/);
    expect(() => randman({ ...o, offsetFrac: 1 })).to.throw(RangeError, /offsetFrac/);
    expect(() => randmanManifold(o, 2)).to.throw(RangeError, /class 2/);
  });

  describe('against an independent numpy implementation', () => {
    /** fzenke/randman (TorchRandman: spectrum, eval_random_function_1d, eval_manifold) and stork's make_tempo_randman, given theta and x. */
    const REFERENCE = `
import sys, json
import numpy as np
d = json.load(sys.stdin)
out = {'cutoff': [int(min(np.ceil(np.power(1e-3, -1 / a)), 1000)) for a in d['alphas']], 'y': [], 'steps': []}
def f1d(x, theta, alpha):
    fc = theta.shape[1]
    s = 1.0 / ((np.arange(fc) + 1) ** alpha + 1.0)
    tmp = np.zeros(len(x))
    for i in range(fc):
        tmp += theta[0, i] * s[i] * np.sin(2 * np.pi * (i * x * theta[1, i] + theta[2, i]))
    return tmp
def manifold(x, params, alpha):
    units, dims = params.shape[0], params.shape[1]
    y = np.empty((x.shape[0], units))
    for j in range(units):
        tmp = np.ones(x.shape[0])
        for k in range(dims):
            tmp *= f1d(x[:, k], params[j, k], alpha)
        y[:, j] = tmp
    return y
for c in d['cases']:
    x = np.array(c['x'], dtype=np.float64).reshape(-1, c['dims'])
    params = np.array(c['theta'], dtype=np.float64).reshape(c['units'], c['dims'], 3, -1)
    out['y'].append(manifold(x, params, c['alpha']).ravel().tolist())
t = d['tempo']
for k in range(t['classes']):
    x = np.array(t['xs'][k]).reshape(t['samples'], t['dims'])
    times = []
    for s in range(t['spikes']):
        params = np.array(t['theta'][k][s]).reshape(t['units'], t['dims'], 3, -1)
        y = manifold(x, params, t['alpha'])
        mi, ma = y.min(0), y.max(0)
        y = (y - mi) / (ma - mi + 1e-7)
        times.append(np.array(t['steps'] * (t['step_frac'] * (1.0 - t['offset_frac']) * y + t['offset_frac']), dtype=int))
    out['steps'].append(np.concatenate(times, axis=1).tolist())
print(json.dumps(out))
`;

    it('evaluates the manifold to 1e-12, with the same cutoff, and gives the same spike steps', () => {
      const alphas = [0.5, 1, 1.5, 2, 2.5, 3, 4];
      const xs = [0, 0.013, 0.25, 0.5, 0.731, 0.9999];
      const cases = [
        { alpha: 2, dims: 1, units: 4 },
        { alpha: 1, dims: 1, units: 2 },
        { alpha: 3, dims: 2, units: 3 },
      ].map((c) => {
        const o: RandmanOptions = { classes: 1, samples: 1, seed: 1234, units: c.units, dims: c.dims, alpha: c.alpha };
        const m = randmanManifold(o, 0);
        const points = c.dims === 1 ? xs.map((x) => [x]) : xs.map((x, i) => [x, xs[(i + 2) % xs.length]!]);
        const y = points.flatMap((p) => Array.from(evalManifold(m, p)));
        return { ...c, theta: Array.from(m.theta), x: points.flat(), ours: y };
      });
      const t = { classes: 2, samples: 40, units: 7, dims: 2, alpha: 2, spikes: 2, steps: 90, step_frac: 0.6, offset_frac: 0.15 };
      const o: RandmanOptions = { classes: 2, samples: 40, seed: 77, units: 7, dims: 2, alpha: 2, spikesPerUnit: 2, timeSteps: 90, stepFrac: 0.6, offsetFrac: 0.15 };
      const theta = [0, 1].map((k) => [0, 1].map((s) => Array.from(randmanManifold(o, k, s).theta)));
      const latents = [0, 1].map((k) => Array.from({ length: 40 }, (_, n) => Array.from(randmanLatent(o, k, n))).flat());
      const input = JSON.stringify({ alphas, cases, tempo: { ...t, theta, xs: latents } });
      const ref = JSON.parse(python(REFERENCE, input)) as { cutoff: number[]; y: number[][]; steps: number[][][] };

      expect(alphas.map(randmanCutoff)).to.deep.equal(ref.cutoff);
      cases.forEach((c, i) => {
        expect(ref.y[i]).to.have.length(c.ours.length);
        c.ours.forEach((v, q) => expect(Math.abs(v - ref.y[i]![q]!), `case ${i} value ${q}: ${v} vs ${ref.y[i]![q]}`).to.be.at.most(1e-12));
      });
      const ds = randman(o);
      for (let k = 0; k < 2; k++) {
        for (let n = 0; n < 40; n++) {
          const s = ds.samples[2 * n + k]!;
          // The reference lists manifold 0's spikes for units 0..6, then manifold 1's: compare per unit.
          const row = ref.steps[k]![n]!;
          for (let j = 0; j < 7; j++) {
            const want = [row[j]!, row[7 + j]!].map((v) => Math.min(89, v)).sort((a, b) => a - b);
            const got = Array.from(s.steps).filter((_, e) => s.units[e] === j).sort((a, b) => a - b);
            expect(got, `class ${k} sample ${n} unit ${j}`).to.deep.equal(want);
          }
        }
      }
    });
  });
});
