/**
 * The matrix exponential, for exact propagators of linear ODE systems (DESIGN.md principle 3):
 * a system x' = A x + b held constant over one step dt advances exactly as
 *   x(t + dt) = e^{A dt} x(t) + (∫_0^dt e^{A s} ds) b,
 * and both factors are blocks of the exponential of the augmented matrix [[A, b], [0, 0]] · dt
 * (Van Loan, "Computing integrals involving the matrix exponential", IEEE TAC 1978).
 *
 * expm uses scaling and squaring with the [13/13] Padé approximant and the backward-error bounds
 * of Higham, "The scaling and squaring method for the matrix exponential revisited", SIAM J.
 * Matrix Anal. Appl. 26 (2005), Algorithm 2.3 — the method of MATLAB's expm and SciPy's
 * scipy.linalg.expm — in float64.
 */

/** A dense square matrix, row-major: m[i][j]. */
export type Matrix = number[][];

export function identity(n: number): Matrix {
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
}

export function matmul(a: Matrix, b: Matrix): Matrix {
  const n = a.length;
  const m = b[0]!.length;
  const k = b.length;
  const out: Matrix = Array.from({ length: n }, () => new Array<number>(m).fill(0));
  for (let i = 0; i < n; i++) {
    const ai = a[i]!;
    const oi = out[i]!;
    for (let p = 0; p < k; p++) {
      const aip = ai[p]!;
      if (aip === 0) continue;
      const bp = b[p]!;
      for (let j = 0; j < m; j++) oi[j]! += aip * bp[j]!;
    }
  }
  return out;
}

function lincomb(terms: [number, Matrix][]): Matrix {
  const n = terms[0]![1].length;
  const out: Matrix = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (const [c, m] of terms) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i]![j]! += c * m[i]![j]!;
  return out;
}

function norm1(a: Matrix): number {
  let best = 0;
  for (let j = 0; j < a.length; j++) {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += Math.abs(a[i]![j]!);
    best = Math.max(best, s);
  }
  return best;
}

/** Solves Q X = P for X by Gaussian elimination with partial pivoting. */
function solve(q: Matrix, p: Matrix): Matrix {
  const n = q.length;
  const a = q.map((row) => [...row]);
  const x = p.map((row) => [...row]);
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[piv]![col]!)) piv = r;
    if (a[piv]![col] === 0) throw new RangeError('expm: singular Padé denominator');
    [a[col], a[piv]] = [a[piv]!, a[col]!];
    [x[col], x[piv]] = [x[piv]!, x[col]!];
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = a[r]![col]! / a[col]![col]!;
      if (f === 0) continue;
      for (let c = col; c < n; c++) a[r]![c]! -= f * a[col]![c]!;
      for (let c = 0; c < x[0]!.length; c++) x[r]![c]! -= f * x[col]![c]!;
    }
  }
  for (let r = 0; r < n; r++) {
    const d = a[r]![r]!;
    for (let c = 0; c < x[0]!.length; c++) x[r]![c]! /= d;
  }
  return x;
}

// Higham 2005, Table 2.3: the largest 1-norm for which the [m/m] Padé approximant is accurate to
// the unit roundoff of IEEE double, and the coefficients b_0..b_m of the approximants.
const THETA: Record<number, number> = { 3: 1.495585217958292e-2, 5: 2.539398330063230e-1, 7: 9.504178996162932e-1, 9: 2.097847961257068, 13: 5.371920351148152 };
const PADE: Record<number, number[]> = {
  3: [120, 60, 12, 1],
  5: [30240, 15120, 3360, 420, 30, 1],
  7: [17297280, 8648640, 1995840, 277200, 25200, 1512, 56, 1],
  9: [17643225600, 8821612800, 2075673600, 302702400, 30270240, 2162160, 110880, 3960, 90, 1],
  13: [
    64764752532480000, 32382376266240000, 7771770303897600, 1187353796428800, 129060195264000, 10559470521600,
    670442572800, 33522128640, 1323241920, 40840800, 960960, 16380, 182, 1,
  ],
};

/** e^A for a square matrix A. */
export function expm(a: Matrix): Matrix {
  const n = a.length;
  if (n === 0) return [];
  for (const row of a) {
    if (row.length !== n) throw new RangeError('expm: the matrix must be square');
    for (const v of row) if (!Number.isFinite(v)) throw new RangeError('expm: the matrix has a non-finite entry');
  }
  const I = identity(n);
  const nrm = norm1(a);
  for (const m of [3, 5, 7, 9]) {
    if (nrm <= THETA[m]!) return padeLow(a, I, m);
  }
  const s = Math.max(0, Math.ceil(Math.log2(nrm / THETA[13]!)));
  const as = a.map((row) => row.map((v) => v / 2 ** s));
  let r = pade13(as, I);
  for (let k = 0; k < s; k++) r = matmul(r, r);
  return r;
}

function padeLow(a: Matrix, I: Matrix, m: number): Matrix {
  const b = PADE[m]!;
  const a2 = matmul(a, a);
  const powers: Matrix[] = [I, a2];
  for (let k = 2; 2 * k <= m; k++) powers.push(matmul(powers[k - 1]!, a2));
  const uTerms: [number, Matrix][] = [];
  const vTerms: [number, Matrix][] = [];
  for (let k = 0; 2 * k + 1 <= m; k++) uTerms.push([b[2 * k + 1]!, powers[k]!]);
  for (let k = 0; 2 * k <= m; k++) vTerms.push([b[2 * k]!, powers[k]!]);
  const u = matmul(a, lincomb(uTerms));
  const v = lincomb(vTerms);
  return solve(lincomb([[1, v], [-1, u]]), lincomb([[1, v], [1, u]]));
}

function pade13(a: Matrix, I: Matrix): Matrix {
  const b = PADE[13]!;
  const a2 = matmul(a, a);
  const a4 = matmul(a2, a2);
  const a6 = matmul(a4, a2);
  const u = matmul(a, lincomb([[1, matmul(a6, lincomb([[b[13]!, a6], [b[11]!, a4], [b[9]!, a2]]))], [b[7]!, a6], [b[5]!, a4], [b[3]!, a2], [b[1]!, I]]));
  const v = lincomb([[1, matmul(a6, lincomb([[b[12]!, a6], [b[10]!, a4], [b[8]!, a2]]))], [b[6]!, a6], [b[4]!, a4], [b[2]!, a2], [b[0]!, I]]);
  return solve(lincomb([[1, v], [-1, u]]), lincomb([[1, v], [1, u]]));
}

/**
 * The exact one-step map of x' = A x + b (A, b constant over the step): x ← P x + q with
 * P = e^{A dt} and q = (∫_0^dt e^{A s} ds) b, from one exponential of the augmented matrix.
 */
export function affinePropagator(a: Matrix, b: number[], dt: number): { P: Matrix; q: number[] } {
  const n = a.length;
  if (b.length !== n) throw new RangeError('affinePropagator: b must have one entry per row of A');
  const aug: Matrix = Array.from({ length: n + 1 }, (_, i) => Array.from({ length: n + 1 }, (_, j) => (i < n ? (j < n ? a[i]![j]! : b[i]!) * dt : 0)));
  const e = expm(aug);
  return { P: e.slice(0, n).map((row) => row.slice(0, n)), q: e.slice(0, n).map((row) => row[n]!) };
}

/**
 * The exact one-step map of x' = A x + Σ_k c_k u_k with inputs u_k held constant over the step:
 * x ← P x + Σ_k Q_k u_k, where P = e^{A dt} and Q_k = (∫_0^dt e^{A s} ds) c_k. A constant term is
 * an input that is always 1.
 */
export function propagatorWithInputs(a: Matrix, columns: number[][], dt: number): { P: Matrix; Q: number[][] } {
  const n = a.length;
  const m = columns.length;
  for (const c of columns) if (c.length !== n) throw new RangeError('propagatorWithInputs: each input column needs one entry per state');
  const aug: Matrix = Array.from({ length: n + m }, (_, i) =>
    Array.from({ length: n + m }, (_, j) => (i < n ? (j < n ? a[i]![j]! : columns[j - n]![i]!) * dt : 0)),
  );
  const e = expm(aug);
  return { P: e.slice(0, n).map((row) => row.slice(0, n)), Q: columns.map((_, k) => e.slice(0, n).map((row) => row[n + k]!)) };
}
