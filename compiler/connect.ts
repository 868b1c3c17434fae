/**
 * Connectivity, weights and delays of a projection, generated from its IR description with the
 * counter-based stream (compiler/random/philox.ts): every draw is keyed by (seed, the projection's
 * stream, the pre neuron or synapse index, a counter), so the result does not depend on the order
 * in which a backend generates rows, nor on threads or batches.
 */
import { evaluate } from './ir/eval.js';
import type { IRProjection, IRSlice } from './ir/types.js';
import { sample } from './random/distributions.js';
import { CounterRng, wordToUniform } from './random/philox.js';

export interface Synapses {
  /** Index into the projection's pre list (its slices, concatenated). */
  pre: Int32Array;
  /** Index into the post list. */
  post: Int32Array;
  weight: Float64Array;
  /** Delay in steps, >= 1. */
  delaySteps: Int32Array;
}

/** The neurons of a list of slices: population name and index within it, in list order. */
export function expandSlices(slices: readonly IRSlice[]): { population: string; index: number }[] {
  const out: { population: string; index: number }[] = [];
  for (const s of slices) for (let i = s.start; i < s.stop; i += s.step) out.push({ population: s.population, index: i });
  return out;
}

/** A stream of uniforms for one row: word k of the row's blocks. */
function rowUniform(rng: CounterRng, stream: number, row: number, k: number): number {
  return wordToUniform(rng.words(stream, row, Math.floor(k / 4))[k % 4]!);
}

/** Where each neuron is: positions (um, flattened x y z) by population, for distance-dependent connectors. */
export type PositionLookup = (population: string) => number[] | undefined;

export function connect(proj: IRProjection, seed: number, positions: PositionLookup = () => undefined): Synapses {
  const rng = new CounterRng(seed);
  const pre = expandSlices(proj.pre);
  const post = expandSlices(proj.post);
  const same = (i: number, j: number): boolean => pre[i]!.population === post[j]!.population && pre[i]!.index === post[j]!.index;
  const P: number[] = [];
  const Q: number[] = [];
  /** Weights and delays given per connection (FromList rows), by synapse. */
  const givenWeight: (number | undefined)[] = [];
  const givenDelay: (number | undefined)[] = [];
  const add = (i: number, j: number, w?: number, d?: number): void => {
    P.push(i);
    Q.push(j);
    givenWeight.push(w);
    givenDelay.push(d);
  };
  const c = proj.connector;
  const s = proj.streams.connectivity;
  switch (c.kind) {
    case 'AllToAll':
      for (let i = 0; i < pre.length; i++) for (let j = 0; j < post.length; j++) if (c.allowSelfConnections || !same(i, j)) add(i, j);
      break;
    case 'OneToOne':
      if (pre.length !== post.length) throw new RangeError(`OneToOne needs pre and post of the same size, got ${pre.length} and ${post.length}`);
      for (let i = 0; i < pre.length; i++) add(i, i);
      break;
    case 'FixedProbability': {
      // Geometric skipping: the gap to the next connected post neuron is geometric with parameter p.
      if (c.p <= 0) break;
      const logq = Math.log1p(-c.p);
      for (let i = 0; i < pre.length; i++) {
        let j = -1;
        for (let k = 0; ; k++) {
          j += c.p >= 1 ? 1 : 1 + Math.floor(Math.log(rowUniform(rng, s, i, k)) / logq);
          if (j >= post.length) break;
          if (c.allowSelfConnections || !same(i, j)) add(i, j);
        }
      }
      break;
    }
    case 'FixedNumberPost':
    case 'FixedNumberPre': {
      const rows = c.kind === 'FixedNumberPost' ? pre.length : post.length;
      const cols = c.kind === 'FixedNumberPost' ? post.length : pre.length;
      for (let r = 0; r < rows; r++) {
        // Partial Fisher-Yates over the candidates, keyed by the row.
        const cand = Array.from({ length: cols }, (_, x) => x).filter((x) => c.allowSelfConnections || !(c.kind === 'FixedNumberPost' ? same(r, x) : same(x, r)));
        const n = Math.min(c.n, cand.length);
        for (let k = 0; k < n; k++) {
          const pick = k + Math.floor(rowUniform(rng, s, r, k) * (cand.length - k));
          [cand[k], cand[pick]] = [cand[pick]!, cand[k]!];
          if (c.kind === 'FixedNumberPost') add(r, cand[k]!);
          else add(cand[k]!, r);
        }
      }
      break;
    }
    case 'FixedTotalNumber':
      for (let k = 0; k < c.n; k++) {
        const w = rng.words(s, k, 0);
        const i = Math.floor(wordToUniform(w[0]!) * pre.length);
        const j = Math.floor(wordToUniform(w[1]!) * post.length);
        if (c.allowSelfConnections || !same(i, j)) add(i, j);
      }
      break;
    case 'DistanceDependentProbability': {
      const at = (side: { population: string; index: number }): number[] => {
        const p = positions(side.population);
        if (!p) throw new RangeError(`DistanceDependentProbability needs positions: give population ${side.population} a structure`);
        return [p[3 * side.index]!, p[3 * side.index + 1]!, p[3 * side.index + 2]!];
      };
      const postPos = post.map(at);
      for (let i = 0; i < pre.length; i++) {
        const a = at(pre[i]!);
        for (let j = 0; j < post.length; j++) {
          if (!c.allowSelfConnections && same(i, j)) continue;
          const b = postPos[j]!;
          const d = Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!);
          const p = evaluate(c.probability, (name) => (name === '$d' ? d : NaN));
          if (p > 0 && rowUniform(rng, s, i, j) < p) add(i, j);
        }
      }
      break;
    }
    case 'FromList':
      c.rows.forEach((row, r) => {
        if (row[0]! < 0 || row[0]! >= pre.length || row[1]! < 0 || row[1]! >= post.length || !Number.isInteger(row[0]) || !Number.isInteger(row[1])) {
          throw new RangeError(`connection [${row.join(', ')}] is outside the ${pre.length} pre and ${post.length} post neurons`);
        }
        add(row[0]!, row[1]!, c.weights?.[r], c.delays?.[r]);
      });
      break;
  }
  const n = P.length;
  const weight = new Float64Array(n);
  const delaySteps = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    weight[k] = givenWeight[k] ?? sample(rng, proj.weight, proj.streams.weight, k);
    delaySteps[k] = Math.max(1, Math.round(givenDelay[k] ?? sample(rng, proj.delay, proj.streams.delay, k)));
  }
  return { pre: Int32Array.from(P), post: Int32Array.from(Q), weight, delaySteps };
}
