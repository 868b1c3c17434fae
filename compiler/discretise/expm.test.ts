import { expect } from 'chai';
import { affinePropagator, expm, identity, matmul, type Matrix } from './expm.js';

function expectClose(got: Matrix, want: Matrix, rel = 1e-13): void {
  for (let i = 0; i < want.length; i++) {
    for (let j = 0; j < want.length; j++) {
      const w = want[i]![j]!;
      expect(got[i]![j]!, `entry (${i}, ${j})`).to.be.closeTo(w, rel * Math.max(1, Math.abs(w)));
    }
  }
}

describe('the matrix exponential', () => {
  it('of a diagonal matrix is the exponential of its entries, at every Padé degree and with squaring', () => {
    for (const d of [1e-4, 0.1, 0.9, 2, 5, 40, -300]) {
      expectClose(expm([[d, 0], [0, -d / 3]]), [[Math.exp(d), 0], [0, Math.exp(-d / 3)]]);
    }
  });

  it('of a nilpotent matrix is its finite Taylor series', () => {
    const n: Matrix = [[0, 2, 3], [0, 0, 5], [0, 0, 0]];
    // e^N = I + N + N²/2 (N³ = 0)
    const n2 = matmul(n, n);
    expectClose(expm(n), identity(3).map((row, i) => row.map((v, j) => v + n[i]![j]! + n2[i]![j]! / 2)));
  });

  it('of a rotation generator is a rotation', () => {
    for (const t of [0.3, 3, 30]) {
      expectClose(expm([[0, -t], [t, 0]]), [[Math.cos(t), -Math.sin(t)], [Math.sin(t), Math.cos(t)]], 1e-12);
    }
  });

  it('satisfies e^{A} e^{-A} = I for a non-normal matrix', () => {
    const a: Matrix = [[-1.2, 4, 0.5], [0.3, -0.1, 2], [-7, 0.2, -3]];
    expectClose(matmul(expm(a), expm(a.map((r) => r.map((v) => -v)))), identity(3), 1e-11);
  });

  it('rejects non-square and non-finite matrices', () => {
    expect(() => expm([[1, 2]])).to.throw(RangeError, /square/);
    expect(() => expm([[Number.NaN]])).to.throw(RangeError, /non-finite/);
  });
});

describe('the exact propagator of x\' = A x + b', () => {
  it('of a leaky membrane under constant current is the closed form v∞ + (v − v∞) e^{−dt/τ}', () => {
    const tau = 20; // ms
    const vInf = -49; // mV: E_L + R I
    const dt = 0.1;
    const { P, q } = affinePropagator([[-1 / tau]], [vInf / tau], dt);
    const decay = Math.exp(-dt / tau);
    expect(P[0]![0]!).to.be.closeTo(decay, 1e-15);
    expect(q[0]!).to.be.closeTo(vInf * (1 - decay), 1e-13);
  });

  it('of a membrane driven by an exponential synaptic current matches the closed-form solution', () => {
    // τm v' = -v + R i, τs i' = -i (current-based LIF with an exponential synapse, R = 1).
    const tm = 10;
    const ts = 5;
    const dt = 0.5;
    const { P, q } = affinePropagator([[-1 / tm, 1 / tm], [0, -1 / ts]], [0, 0], dt);
    const em = Math.exp(-dt / tm);
    const es = Math.exp(-dt / ts);
    // v(dt) = v0 e^{-dt/τm} + i0 τs/(τs − τm) (e^{-dt/τs} − e^{-dt/τm}),  i(dt) = i0 e^{-dt/τs}
    expectClose(P, [[em, (ts / (ts - tm)) * (es - em)], [0, es]]);
    expect(q).to.deep.equal([0, 0]);
  });
});
