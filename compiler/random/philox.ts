/**
 * Philox4x32-10, the counter-based generator of Salmon et al., "Parallel random numbers: as easy
 * as 1, 2, 3" (SC'11), as in Random123. A draw is a pure function of (key, counter): snn keys it
 * by (seed, stream, index, step) (DESIGN.md principle 6), so connectivity, initial values and
 * Poisson input do not depend on iteration order, thread layout or batch size, and the same few
 * lines of 32-bit integer arithmetic can be written in WGSL.
 *
 * Layout used everywhere in snn:
 *   key     = [seed low 32 bits, seed high 32 bits]
 *   counter = [index, step, stream, lane]   (lane: which block of 4 words for one (index, step))
 */

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** High 32 bits of the 64-bit product of two unsigned 32-bit integers. */
function mulhi(a: number, b: number): number {
  const aL = a & 0xffff;
  const aH = a >>> 16;
  const bL = b & 0xffff;
  const bH = b >>> 16;
  const ll = aL * bL;
  const lh = aL * bH;
  const hl = aH * bL;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (aH * bH + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) >>> 0;
}

/**
 * Philox4x32 with `rounds` rounds (10 is the standard, crush-resistant choice) on the counter
 * (c0..c3) and key (k0, k1); writes the four output words into `out`.
 */
export function philox4x32(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number, out: Uint32Array, rounds = 10): void {
  let x0 = c0 >>> 0;
  let x1 = c1 >>> 0;
  let x2 = c2 >>> 0;
  let x3 = c3 >>> 0;
  let key0 = k0 >>> 0;
  let key1 = k1 >>> 0;
  for (let r = 0; r < rounds; r++) {
    if (r > 0) {
      key0 = (key0 + W0) >>> 0;
      key1 = (key1 + W1) >>> 0;
    }
    const hi0 = mulhi(M0, x0);
    const lo0 = Math.imul(M0, x0) >>> 0;
    const hi1 = mulhi(M1, x2);
    const lo1 = Math.imul(M1, x2) >>> 0;
    const y0 = (hi1 ^ x1 ^ key0) >>> 0;
    const y2 = (hi0 ^ x3 ^ key1) >>> 0;
    x0 = y0;
    x1 = lo1;
    x2 = y2;
    x3 = lo0;
  }
  out[0] = x0;
  out[1] = x1;
  out[2] = x2;
  out[3] = x3;
}

const TWO_POW_32 = 4294967296;

/** A 32-bit word to a uniform number in the open interval (0, 1): (x + 0.5) / 2^32. */
export function wordToUniform(x: number): number {
  return (x + 0.5) / TWO_POW_32;
}

/**
 * The random stream of one model: draws keyed by (stream, index, step). Each call to a draw
 * function computes its block afresh, so results never depend on which draws came before.
 */
export class CounterRng {
  private readonly k0: number;
  private readonly k1: number;
  private readonly block = new Uint32Array(4);

  constructor(readonly seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a whole number >= 0, got ${seed}`);
    this.k0 = seed % TWO_POW_32 >>> 0;
    this.k1 = Math.floor(seed / TWO_POW_32) >>> 0;
  }

  /** The four raw words of block `lane` for (stream, index, step). */
  words(stream: number, index: number, step: number, lane = 0): Uint32Array {
    philox4x32(index, step, stream, lane, this.k0, this.k1, this.block);
    return this.block;
  }

  /** Uniform in (0, 1): word `which` (0-3) of block `lane`. */
  uniform(stream: number, index: number, step: number, which = 0, lane = 0): number {
    return wordToUniform(this.words(stream, index, step, lane)[which]!);
  }

  /** Standard normal by Box-Muller from words 0 and 1 (or 2 and 3 with `second`) of one block. */
  normal(stream: number, index: number, step: number, second = false, lane = 0): number {
    const w = this.words(stream, index, step, lane);
    const u1 = wordToUniform(w[second ? 2 : 0]!);
    const u2 = wordToUniform(w[second ? 3 : 1]!);
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}

/** A stable 32-bit stream id from a name (FNV-1a), so streams survive reordering a model. */
export function streamId(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
