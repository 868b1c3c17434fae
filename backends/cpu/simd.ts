/**
 * Two vector kernels as WebAssembly SIMD (f64x2), for the training backend's projections: axpy
 * (y += c x, the arrivals of a spike and the weight gradient of a spike) and dot (the spike's
 * adjoint W · dL/d(arrivals)). V8 runs them several times faster than the same loops in
 * JavaScript. The arrays live in one WebAssembly.Memory (`SimdArena`); arguments are byte
 * offsets into it. The module is written byte by byte (as backends/cpu/wasm.ts does): it is
 * small, and an assembler would be a large dependency for it.
 */

import { section, sleb, str, uleb, vec } from './wasm-encoding.js';

const SIMD = 0xfd;
const op = {
  block: [0x02, 0x40], loop: [0x03, 0x40], if: [0x04, 0x40], end: 0x0b, br: 0x0c, brIf: 0x0d,
  get: 0x20, set: 0x21, i32: 0x41, eqz: 0x45, geU: 0x4f, add: 0x6a, sub: 0x6b, and: 0x71, shl: 0x74,
  f64load: 0x2b, f64store: 0x39, f64add: 0xa0, f64mul: 0xa2,
} as const;
const v128load = (offset = 0): number[] => [SIMD, 0x00, 4, offset];
const v128store = [SIMD, 0x0b, 4, 0];
const f64x2splat = [SIMD, 0x14];
const f64x2lane = (l: number): number[] => [SIMD, 0x21, l];
const f64x2add = [SIMD, 0xf0, 0x01];
const f64x2mul = [SIMD, 0xf2, 0x01];
const I32 = 0x7f;
const F64 = 0x7c;
const V128 = 0x7b;

const addTo = (local: number, bytes: number): number[] => [op.get, local, op.i32, ...sleb(bytes), op.add, op.set, local];

/** axpy(y, x, c, n): y[i] += c x[i], i < n (params 0 y, 1 x, 2 c, 3 n; locals 4 end, 5 c2). */
const AXPY = [
  ...vec([[1, I32], [1, V128]]),
  op.get, 2, ...f64x2splat, op.set, 5,
  op.get, 3, op.i32, ...sleb(-2), op.and, op.i32, 3, op.shl, op.get, 0, op.add, op.set, 4,
  ...op.block, ...op.loop,
  op.get, 0, op.get, 4, op.geU, op.brIf, 1,
  op.get, 0, op.get, 0, ...v128load(), op.get, 1, ...v128load(), op.get, 5, ...f64x2mul, ...f64x2add, ...v128store,
  ...addTo(0, 16), ...addTo(1, 16),
  op.br, 0, op.end, op.end,
  op.get, 3, op.i32, 1, op.and,
  ...op.if, op.get, 0, op.get, 0, op.f64load, 3, 0, op.get, 1, op.f64load, 3, 0, op.get, 2, op.f64mul, op.f64add, op.f64store, 3, 0, op.end,
  op.end,
];

/** dot(a, b, n) = sum a[i] b[i] (params 0 a, 1 b, 2 n; locals 3 end, 4 5 partial sums, 6 sum, 7 rest). */
const DOT = [
  ...vec([[1, I32], [2, V128], [1, F64], [1, I32]]),
  op.get, 2, op.i32, ...sleb(-4), op.and, op.i32, 3, op.shl, op.get, 0, op.add, op.set, 3,
  ...op.block, ...op.loop,
  op.get, 0, op.get, 3, op.geU, op.brIf, 1,
  op.get, 4, op.get, 0, ...v128load(), op.get, 1, ...v128load(), ...f64x2mul, ...f64x2add, op.set, 4,
  op.get, 5, op.get, 0, ...v128load(16), op.get, 1, ...v128load(16), ...f64x2mul, ...f64x2add, op.set, 5,
  ...addTo(0, 32), ...addTo(1, 32),
  op.br, 0, op.end, op.end,
  op.get, 4, op.get, 5, ...f64x2add, op.set, 4,
  op.get, 4, ...f64x2lane(0), op.get, 4, ...f64x2lane(1), op.f64add, op.set, 6,
  op.get, 2, op.i32, 3, op.and, op.set, 7,
  ...op.block, ...op.loop,
  op.get, 7, op.eqz, op.brIf, 1,
  op.get, 6, op.get, 0, op.f64load, 3, 0, op.get, 1, op.f64load, 3, 0, op.f64mul, op.f64add, op.set, 6,
  ...addTo(0, 8), ...addTo(1, 8), op.get, 7, op.i32, 1, op.sub, op.set, 7,
  op.br, 0, op.end, op.end,
  op.get, 6,
  op.end,
];

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const types = vec([
    [0x60, ...vec([[I32], [I32], [F64], [I32]]), 0],
    [0x60, ...vec([[I32], [I32], [I32]]), 1, F64],
  ]);
  const imports = vec([[...str('m'), ...str('mem'), 0x02, 0x00, 0x01]]);
  const funcs = vec([[0], [1]]);
  const exports = vec([[...str('axpy'), 0x00, 0], [...str('dot'), 0x00, 1]]);
  const code = vec([[...uleb(AXPY.length), ...AXPY], [...uleb(DOT.length), ...DOT]]);
  return Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...section(1, types), ...section(2, imports), ...section(3, funcs), ...section(7, exports), ...section(10, code)]);
}

export interface SimdKernels {
  /** y[i] += c x[i] for i < n; y and x are byte offsets of f64 arrays in the arena. */
  axpy(y: number, x: number, c: number, n: number): void;
  /** sum of a[i] b[i] for i < n. */
  dot(a: number, b: number, n: number): number;
}

/**
 * Float64 arrays in one WebAssembly memory, sized once (growing the memory would detach the
 * views), and the kernels that work on them.
 */
export class SimdArena {
  readonly kernels: SimdKernels;
  private readonly memory: WebAssembly.Memory;
  private at = 0;

  constructor(bytes: number) {
    this.memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil((bytes + 64) / 65536)) });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes()), { m: { mem: this.memory } });
    this.kernels = instance.exports as unknown as SimdKernels;
  }

  /** A zeroed Float64Array of n elements in the arena (16-byte aligned). */
  f64(n: number): Float64Array {
    const a = new Float64Array(this.memory.buffer, this.at, n);
    this.at += Math.ceil((8 * n) / 16) * 16;
    if (this.at > this.memory.buffer.byteLength) throw new RangeError('SimdArena: out of the bytes it was sized for');
    return a;
  }

  /** The bytes an arena needs for arrays of these lengths. */
  static bytesFor(lengths: number[]): number {
    return lengths.reduce((a, n) => a + Math.ceil((8 * n) / 16) * 16, 0);
  }
}
