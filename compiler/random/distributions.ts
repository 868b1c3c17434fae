/**
 * Per-neuron and per-synapse values drawn from the counter-based stream (philox.ts): the
 * distributions the compiler lowers, each a pure function of (seed, stream, index).
 */
import type { IRValue } from '../ir/types.js';
import type { CounterRng } from './philox.js';

/** The distributions the compiler supports; lane 0 first, more lanes for rejection. */
export const SAMPLERS = new Map<string, (rng: CounterRng, p: Record<string, number>, stream: number, i: number) => number>([
  ['uniform', (rng, p, s, i) => p.low! + (p.high! - p.low!) * rng.uniform(s, i, 0)],
  ['normal', (rng, p, s, i) => p.mu! + p.sigma! * rng.normal(s, i, 0)],
  ['exponential', (rng, p, s, i) => -p.beta! * Math.log(rng.uniform(s, i, 0))],
  [
    'normal_clipped',
    (rng, p, s, i) => {
      // Redraw until inside [low, high] (PyNN's NativeRNG behaviour), lane by lane.
      for (let lane = 0; lane < 1000; lane++) {
        const x = p.mu! + p.sigma! * rng.normal(s, i, 0, false, lane);
        if (x >= p.low! && x <= p.high!) return x;
      }
      return Math.min(Math.max(p.mu!, p.low!), p.high!);
    },
  ],
  ['normal_clipped_to_boundary', (rng, p, s, i) => Math.min(Math.max(p.mu! + p.sigma! * rng.normal(s, i, 0), p.low!), p.high!)],
]);

/** Value number `i` of a constant or a distribution, from `stream`. */
export function sample(rng: CounterRng, v: IRValue, stream: number, i: number): number {
  if ('const' in v) return v.const;
  const f = SAMPLERS.get(v.dist);
  if (!f) throw new Error(`unsupported distribution ${v.dist}`);
  return f(rng, v.params, stream, i);
}
