/**
 * The whole time loop of a network in one WebAssembly module, for networks whose every neuron
 * population has maps of plain arithmetic (backends/cpu/wasm.ts) and whose projections are static
 * (no synapse model, no plasticity). One call runs many steps; each step does, in the module:
 * every population's loop (deliver, update, threshold, reset: neuron-simd.ts's pair loop with
 * WebAssembly SIMD, and wasm.ts's emitNeuronLoop for an odd last neuron), the spike record, and
 * the propagation of every spike into the ring buffers, in exactly the order of simulate.ts's step
 * loop (populations in order, spikes in neuron order, a spike's projections in order, synapses in
 * row order), so the sums in the ring buffers, and therefore all results, are the same bits.
 * Spike sources (SpikeSourcePoisson, SpikeSourceArray) stay in JavaScript, which writes their
 * spikes for a run of steps ahead (they do not depend on the network); current sources and trace
 * recording also stay in JavaScript, between calls.
 *
 * Memory (one WebAssembly.Memory, bytes): spike counts (f64 per population), per neuron
 * population its state, per-neuron parameters, I_inj, refractory steps (f64), refractory counters
 * and spike output (i32) and recording mask (u8); the ring buffer, slot-major: each slot holds
 * every (population, port) segment, so a synapse's target is one byte offset within a slot and
 * slots are R8 bytes apart whatever population it targets; per projection the targets (i32 byte
 * offsets), weights (f64, left out when all are equal) and delays (i32 byte offsets d R8, left out
 * when all are equal); per (projection, pre population) each neuron's synapse range (two i32 byte
 * offsets into the targets); the sources' spikes; the spike record.
 */
import type { IRNeuronModel } from '../../compiler/ir/types.js';
import { emitSimdNeuronLoop } from './neuron-simd.js';
import { emitNeuronLoop } from './wasm.js';
import { f64const, section, sleb, str, uleb, vec } from './wasm-encoding.js';

/** A population as the fused loop sees it. */
export interface FusedPopulation {
  name: string;
  size: number;
  /** A neuron population, whose loop runs in the module; absent for a spike source (JavaScript gives its spikes). */
  neuron?: {
    model: IRNeuronModel;
    scalars: ReadonlyMap<string, number>;
    /** Initial values, copied into the module's memory. */
    state: Record<string, Float64Array>;
    arrayParams: Record<string, Float64Array>;
    refSteps: Float64Array;
    refr: Int32Array;
    /** Which neurons' spikes are recorded (1), when some are. */
    record?: Uint8Array;
  };
  /** Outgoing projections in propagation order, with each neuron's row in the projection (-1: none). */
  outgoing: { proj: number; row: Int32Array }[];
}

/** A static projection, CSR by pre row (simulate.ts ProjRuntime). */
export interface FusedProjection {
  rowStart: Int32Array;
  /** Target populations (indices into the populations) and which of them each synapse targets. */
  targetPops: number[];
  targetWhich: Int32Array;
  targetIndex: Int32Array;
  weight: Float64Array;
  delay: Int32Array;
  port: string;
}

export interface FusedNetwork {
  /** Runs steps n0..n1-1. The sources' spikes for those steps must be in `sourceSpikes`. */
  run(n0: number, n1: number): void;
  /** Per neuron population, views of its arrays in the module's memory. */
  views: ({ state: Record<string, Float64Array>; params: Record<string, Float64Array>; inj: Float64Array; refr: Int32Array; refSteps: Float64Array } | undefined)[];
  /** Spikes per population so far (neuron populations only; sources are counted by the caller). */
  counts: Float64Array;
  /**
   * The sources' spikes, written by the caller before each run: per step, per source in
   * population order, the count and then the neuron indices. Room for `sourceCapacity` numbers.
   */
  sourceSpikes: Int32Array;
  sourceCapacity: number;
  /**
   * The spike record of the last run: per step, per recorded neuron population in order, the
   * count and then the neuron indices. At most `recordSteps` steps fit in one run.
   */
  record: Int32Array;
  recordSteps: number;
  /** The neuron populations whose spikes are recorded, in record order. */
  recorded: number[];
}

/** Bytes up to which the fused loop is used; above, simulate.ts's step loop (the module's offsets are i32). */
const MAX_BYTES = 2 ** 31 - 2 ** 20;

/**
 * Lays out the network in one memory and compiles its time loop; undefined when it does not fit
 * in the module's address space. `slots`: ring-buffer slots (simulate.ts: the longest delay + 2).
 */
export function fusedNetwork(pops: FusedPopulation[], projs: FusedProjection[], slots: number, simd = true): FusedNetwork | undefined {
  let at = 0;
  const take = (bytes: number, align = 8): number => {
    at = Math.ceil(at / align) * align;
    const o = at;
    at += bytes;
    return o;
  };
  const countsAt = take(8 * pops.length);
  // Per neuron population: arrays, and its ports' segments in a ring slot.
  const segments = new Map<string, number>(); // `${pop}:${port}` -> cell offset in a slot
  let cells = 0;
  const lays = pops.map((p, pi) => {
    const nr = p.neuron;
    if (!nr) return undefined;
    const n = p.size;
    const state = new Map(nr.model.state.map((x) => [x, take(8 * n)]));
    const params = new Map(Object.keys(nr.arrayParams).map((k) => [k, take(8 * n)]));
    const inj = take(8 * n);
    const refSteps = take(8 * n);
    const refr = take(4 * n);
    const out = take(4 * n);
    const mask = nr.record && !nr.record.every((x) => x === 1) ? take(n, 1) : undefined;
    const ports = nr.model.inputs.map((h) => {
      const seg = cells;
      segments.set(`${pi}:${h.port}`, seg);
      cells += n;
      return seg;
    });
    return { state, params, inj, refSteps, refr, out, mask, ports };
  });
  const R8 = 8 * Math.max(1, cells);
  const ringBytes = slots * R8;
  if (ringBytes > MAX_BYTES) return undefined;
  const ringAt = take(ringBytes);
  // Projections: targets as byte offsets within a slot; weights and delays unless uniform.
  const projLays = projs.map((pr) => {
    const m = pr.targetIndex.length;
    const w0 = pr.weight[0];
    const uniformWeight = m > 0 && pr.weight.every((w) => Object.is(w, w0)) ? w0! : undefined;
    const d0 = pr.delay[0] ?? 0;
    const uniformDelay = pr.delay.every((d) => d === d0) ? d0 : undefined;
    return {
      m,
      targets: take(4 * m, 4),
      weights: uniformWeight === undefined ? take(8 * m) : undefined,
      delays: uniformDelay === undefined ? take(4 * m, 4) : undefined,
      uniformWeight,
      uniformDelay,
    };
  });
  const ranges = pops.map((p) => p.outgoing.map(() => take(8 * p.size)));
  const sources = pops.map((p, k) => (p.neuron ? -1 : k)).filter((k) => k >= 0);
  const perStepSources = sources.reduce((a, k) => a + pops[k]!.size + 1, 0);
  const sourceCapacity = sources.length === 0 ? 0 : Math.max(1 << 16, 4 * perStepSources);
  const sourceAt = take(4 * sourceCapacity, 4);
  const recorded = pops.map((p, k) => (p.neuron?.record ? k : -1)).filter((k) => k >= 0);
  const perStepRecord = recorded.reduce((a, k) => a + pops[k]!.size + 1, 0);
  const recordCapacity = recorded.length === 0 ? 0 : Math.max(1 << 18, 4 * perStepRecord);
  const recordAt = take(4 * recordCapacity, 4);
  // Constants of the SIMD loops go last, 16 bytes each (both lanes), read from memory: V8 would
  // otherwise build each v128 constant at each use, three instructions.
  const constAt = take(0, 16);

  // The module: run(n0, n1) (function 0) calls, per step, each neuron population's loop
  // (pop_k(curB) -> spikes) and each spiking population's propagation (prop_k(cnt4, src, cur)).
  // One function per population keeps each small for V8's compilers and its size limits.
  const constants = new Map<string, { x: number; at: number }>();
  const constant = (x: number): number => {
    const key = bitsOf(x);
    let c = constants.get(key);
    if (c === undefined) constants.set(key, (c = { x, at: constAt + 16 * constants.size }));
    return c.at;
  };
  const funcs: { type: number; fn: Fn }[] = [];
  const popFn = new Map<number, number>();
  const propFn = new Map<number, number>();
  const TYPE_RUN = 0, TYPE_POP = 1, TYPE_PROP = 2;

  // Neuron populations: deliver, update, threshold, reset; pairs of neurons with SIMD, then the
  // odd one (or all of them) one by one. Returns the number of spikes, at out[0..count).
  pops.forEach((p, k) => {
    const nr = p.neuron;
    const lay = lays[k];
    if (!nr || !lay) return;
    const f = new Fn(1);
    const CUR_B = 0;
    const nlay = { state: lay.state, params: lay.params, inj: lay.inj, refr: lay.refr, refSteps: lay.refSteps, buffers: lay.ports.map((seg) => ringAt + 8 * seg), out: lay.out };
    const pairs = simd ? p.size & ~1 : 0;
    const count = f.local('count', I32);
    if (pairs > 0) {
      emitSimdNeuronLoop(nr.model, nlay, nr.scalars, {
        emit: f.emit,
        i: f.local('i', I32),
        i8: f.local('i8', I32),
        i4: f.local('i4', I32),
        j8: f.local('j8', I32),
        count,
        local: (name) => f.local(`v:${name}`, V128),
        pairs,
        slotBase: () => f.get(CUR_B),
        outOffset: lay.out,
        constant,
      });
    }
    if (pairs < p.size) {
      emitNeuronLoop(nr.model, nlay, nr.scalars, {
        keepCount: true,
        emit: f.emit,
        i: f.local('i', I32),
        i8: f.local('i8', I32),
        i4: f.local('i4', I32),
        count,
        refractory: f.local('refr', I32),
        j8: f.local('j8', I32),
        w: f.local('f:w', F64),
        local: (name) => f.local(`f:${name}`, F64),
        lo: () => f.i32(pairs),
        hi: () => f.i32(p.size),
        slotBase: () => f.get(CUR_B),
        outBase: () => f.i32(0),
        outOffset: lay.out,
      });
    }
    // counts[k] += count; return count
    f.i32(0);
    f.i32(0);
    f.emit(0x2b, 0x03, ...uleb(countsAt + 8 * k));
    f.get(count);
    f.emit(0xb8, 0xa0); // f64.convert_i32_u, f64.add
    f.emit(0x39, 0x03, ...uleb(countsAt + 8 * k));
    f.get(count);
    popFn.set(k, funcs.length + 1);
    funcs.push({ type: TYPE_POP, fn: f });
  });

  // Propagation of one population's spikes (cnt4: 4 x their number, at src; cur: this step's
  // slot): spikes in order, a spike's projections in order, synapses in row order.
  pops.forEach((p, k) => {
    if (p.outgoing.length === 0) return;
    const f = new Fn(3);
    const CNT4 = 0, SRC = 1, CUR = 2;
    const [s, c4, idx8, k4, e4, addr] = ['s', 'c4', 'idx8', 'k4', 'e4', 'addr'].map((x) => f.local(x, I32)) as [number, number, number, number, number, number];
    // The ring slots that this step's spikes reach: (n + 1 + d) % slots, as byte offsets.
    const bases = new Map<number | undefined, number>();
    for (const o of p.outgoing) {
      const d = projLays[o.proj]!.uniformDelay;
      if (bases.has(d)) continue;
      const b = f.local(`base${d ?? 'next'}`, I32);
      bases.set(d, b);
      f.get(CUR);
      f.i32(1 + (d ?? 0));
      f.emit(0x6a);
      f.set(s);
      f.get(s);
      f.i32(slots);
      f.emit(0x4e, 0x04, 0x40); // if s >= slots
      f.get(s);
      f.i32(slots);
      f.emit(0x6b);
      f.set(s);
      f.emit(0x0b);
      f.get(s);
      f.i32(R8);
      f.emit(0x6c);
      f.set(b);
    }
    f.i32(0);
    f.set(c4);
    f.emit(0x02, 0x40, 0x03, 0x40);
    f.get(c4);
    f.get(CNT4);
    f.emit(0x4f, 0x0d, 1); // br_if (c4 >= cnt4)
    // idx8 = spike << 3
    f.get(SRC);
    f.get(c4);
    f.emit(0x6a, 0x28, 0x02, 0x00);
    f.i32(3);
    f.emit(0x74);
    f.set(idx8);
    p.outgoing.forEach((o, j) => {
      const pl = projLays[o.proj]!;
      const range = ranges[k]![j]!;
      f.get(idx8);
      f.emit(0x28, 0x02, ...uleb(range));
      f.set(k4);
      f.get(idx8);
      f.emit(0x28, 0x02, ...uleb(range + 4));
      f.set(e4);
      f.emit(0x02, 0x40, 0x03, 0x40);
      f.get(k4);
      f.get(e4);
      f.emit(0x4f, 0x0d, 1); // br_if (k4 >= e4)
      // addr = slot base (+ the synapse's delay, wrapped) + target
      if (pl.uniformDelay !== undefined) f.get(bases.get(pl.uniformDelay)!);
      else {
        f.get(bases.get(undefined)!);
        f.get(k4);
        f.emit(0x28, 0x02, ...uleb(pl.delays!));
        f.emit(0x6a);
        f.set(addr);
        f.get(addr);
        f.i32(ringBytes);
        f.emit(0x4f, 0x04, 0x40); // if addr >= ringBytes
        f.get(addr);
        f.i32(ringBytes);
        f.emit(0x6b);
        f.set(addr);
        f.emit(0x0b);
        f.get(addr);
      }
      f.get(k4);
      f.emit(0x28, 0x02, ...uleb(pl.targets));
      f.emit(0x6a);
      f.set(addr);
      // ring[addr] += w
      f.get(addr);
      f.get(addr);
      f.emit(0x2b, 0x03, ...uleb(ringAt));
      if (pl.uniformWeight !== undefined) f.emit(...f64const(pl.uniformWeight));
      else {
        f.get(k4);
        f.i32(1);
        f.emit(0x74);
        f.emit(0x2b, 0x03, ...uleb(pl.weights!));
      }
      f.emit(0xa0);
      f.emit(0x39, 0x03, ...uleb(ringAt));
      f.get(k4);
      f.i32(4);
      f.emit(0x6a);
      f.set(k4);
      f.emit(0x0c, 0, 0x0b, 0x0b);
    });
    f.get(c4);
    f.i32(4);
    f.emit(0x6a);
    f.set(c4);
    f.emit(0x0c, 0, 0x0b, 0x0b);
    propFn.set(k, funcs.length + 1);
    funcs.push({ type: TYPE_PROP, fn: f });
  });

  // run(n0, n1)
  const f = new Fn(2);
  const N0 = 0, N1 = 1;
  const [cur, curB, ext, rec, recAt, c4, cnt4, src] = ['cur', 'curB', 'ext', 'rec', 'recAt', 'c4', 'cnt4', 'src'].map((x) => f.local(x, I32)) as number[] as [number, number, number, number, number, number, number, number];
  const counts = pops.map((_, k) => f.local(`count${k}`, I32));
  // cur = n0 % slots; ext = sourceAt; rec = recordAt
  f.get(N0);
  f.i32(slots);
  f.emit(0x70); // i32.rem_u
  f.set(cur);
  f.i32(sourceAt);
  f.set(ext);
  f.i32(recordAt);
  f.set(rec);
  f.emit(0x02, 0x40, 0x03, 0x40); // block $done loop $step
  f.get(N0);
  f.get(N1);
  f.emit(0x4e, 0x0d, 1); // br_if $done (n >= n1)
  f.get(cur);
  f.i32(R8);
  f.emit(0x6c);
  f.set(curB);
  for (const [k, fi] of popFn) {
    f.get(curB);
    f.emit(0x10, ...uleb(fi));
    f.set(counts[k]!);
  }
  // The spike record: per step and recorded population, the count and the indices.
  for (const k of recorded) {
    const lay = lays[k]!;
    f.get(rec);
    f.set(recAt);
    f.get(rec);
    f.i32(4);
    f.emit(0x6a);
    f.set(rec);
    f.i32(0);
    f.set(c4);
    f.get(counts[k]!);
    f.i32(2);
    f.emit(0x74);
    f.set(cnt4);
    f.emit(0x02, 0x40, 0x03, 0x40);
    f.get(c4);
    f.get(cnt4);
    f.emit(0x4f, 0x0d, 1); // br_if (c4 >= cnt4)
    // src = out[c]
    f.get(c4);
    f.emit(0x28, 0x02, ...uleb(lay.out));
    f.set(src);
    const write = (): void => {
      f.get(rec);
      f.get(src);
      f.emit(0x36, 0x02, 0x00);
      f.get(rec);
      f.i32(4);
      f.emit(0x6a);
      f.set(rec);
    };
    if (lay.mask !== undefined) {
      f.get(src);
      f.emit(0x2d, 0x00, ...uleb(lay.mask)); // i32.load8_u
      f.emit(0x04, 0x40);
      write();
      f.emit(0x0b);
    } else write();
    f.get(c4);
    f.i32(4);
    f.emit(0x6a);
    f.set(c4);
    f.emit(0x0c, 0, 0x0b, 0x0b);
    // record[recAt] = (rec - recAt) / 4 - 1
    f.get(recAt);
    f.get(rec);
    f.get(recAt);
    f.emit(0x6b);
    f.i32(2);
    f.emit(0x76); // i32.shr_u
    f.i32(1);
    f.emit(0x6b);
    f.emit(0x36, 0x02, 0x00);
  }
  // Propagation, populations in order; a source's spikes are at ext (its count, then indices).
  pops.forEach((p, k) => {
    const lay = lays[k];
    if (lay) {
      if (!propFn.has(k)) return;
      f.get(counts[k]!);
      f.i32(2);
      f.emit(0x74);
      f.i32(lay.out);
    } else {
      f.get(ext);
      f.emit(0x28, 0x02, 0x00);
      f.i32(2);
      f.emit(0x74);
      f.set(cnt4);
      f.get(ext);
      f.i32(4);
      f.emit(0x6a);
      f.set(src);
      f.get(src);
      f.get(cnt4);
      f.emit(0x6a);
      f.set(ext);
      if (!propFn.has(k)) return;
      f.get(cnt4);
      f.get(src);
    }
    f.get(cur);
    f.emit(0x10, ...uleb(propFn.get(k)!));
  });
  // n++; cur = cur + 1 == slots ? 0 : cur + 1
  f.get(N0);
  f.i32(1);
  f.emit(0x6a);
  f.set(N0);
  f.get(cur);
  f.i32(1);
  f.emit(0x6a);
  f.set(cur);
  f.get(cur);
  f.i32(slots);
  f.emit(0x46, 0x04, 0x40); // if cur == slots
  f.i32(0);
  f.set(cur);
  f.emit(0x0b);
  f.emit(0x0c, 0, 0x0b, 0x0b); // br $step; end loop; end block
  funcs.unshift({ type: TYPE_RUN, fn: f });

  at = constAt + 16 * constants.size;
  if (at > MAX_BYTES) return undefined;
  const pages = Math.max(1, Math.ceil(at / 65536));
  let memory: WebAssembly.Memory;
  try {
    memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  } catch {
    return undefined;
  }
  const buf = memory.buffer;
  const f64 = (o: number, n: number, from?: Float64Array): Float64Array => {
    const v = new Float64Array(buf, o, n);
    if (from) v.set(from.subarray(0, n));
    return v;
  };

  // Fill the memory.
  const views = pops.map((p, k) => {
    const nr = p.neuron;
    const lay = lays[k];
    if (!nr || !lay) return undefined;
    const n = p.size;
    const refr = new Int32Array(buf, lay.refr, n);
    refr.set(nr.refr.subarray(0, n));
    if (lay.mask !== undefined) new Uint8Array(buf, lay.mask, n).set(nr.record!.subarray(0, n));
    return {
      state: Object.fromEntries(nr.model.state.map((x) => [x, f64(lay.state.get(x)!, n, nr.state[x])])),
      params: Object.fromEntries(Object.keys(nr.arrayParams).map((x) => [x, f64(lay.params.get(x)!, n, nr.arrayParams[x])])),
      inj: f64(lay.inj, n),
      refr,
      refSteps: f64(lay.refSteps, n, nr.refSteps),
    };
  });
  projs.forEach((pr, j) => {
    const pl = projLays[j]!;
    const segOf = pr.targetPops.map((tp) => {
      const seg = segments.get(`${tp}:${pr.port}`);
      if (seg === undefined) throw new Error(`population ${pops[tp]!.name} has no input port '${pr.port}'`);
      return seg;
    });
    const targets = new Int32Array(buf, pl.targets, pl.m);
    for (let k = 0; k < pl.m; k++) targets[k] = 8 * (segOf[pr.targetWhich[k]!]! + pr.targetIndex[k]!);
    if (pl.weights !== undefined) f64(pl.weights, pl.m, pr.weight);
    if (pl.delays !== undefined) {
      const d = new Int32Array(buf, pl.delays, pl.m);
      for (let k = 0; k < pl.m; k++) d[k] = pr.delay[k]! * R8;
    }
  });
  pops.forEach((p, k) =>
    p.outgoing.forEach((o, j) => {
      const r = new Int32Array(buf, ranges[k]![j]!, 2 * p.size);
      const rs = projs[o.proj]!.rowStart;
      for (let i = 0; i < p.size; i++) {
        const row = o.row[i]!;
        if (row >= 0) {
          r[2 * i] = 4 * rs[row]!;
          r[2 * i + 1] = 4 * rs[row + 1]!;
        }
      }
    }),
  );
  for (const { x, at: o } of constants.values()) f64(o, 2).fill(x);

  const bodies = funcs.map((x) => x.fn.body());
  const bytes = concat([
    [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    section(1, vec([
      [0x60, ...vec([[I32], [I32]]), ...vec([])],
      [0x60, ...vec([[I32]]), ...vec([[I32]])],
      [0x60, ...vec([[I32], [I32], [I32]]), ...vec([])],
    ])),
    section(2, vec([[...str('env'), ...str('mem'), 0x02, 0x01, ...uleb(pages), ...uleb(pages)]])),
    section(3, vec(funcs.map((x) => uleb(x.type)))),
    section(7, vec([[...str('run'), 0x00, 0x00]])),
    // The code section, written without spreading its (large) bodies.
    [10],
    uleb(bodies.reduce((a, b) => a + uleb(b.length).length + b.length, uleb(bodies.length).length)),
    uleb(bodies.length),
    ...bodies.flatMap((b) => [uleb(b.length), b]),
  ]);
  const module = new WebAssembly.Module(bytes);
  const instance = new WebAssembly.Instance(module, { env: { mem: memory } });
  const run = instance.exports.run as (n0: number, n1: number) => void;
  return {
    run,
    views,
    counts: new Float64Array(buf, countsAt, pops.length),
    sourceSpikes: new Int32Array(buf, sourceAt, sourceCapacity),
    sourceCapacity,
    record: new Int32Array(buf, recordAt, recordCapacity),
    recordSteps: recorded.length === 0 ? Infinity : Math.floor(recordCapacity / perStepRecord),
    recorded,
  };
}

const bitsF64 = new Float64Array(1);
const bitsU32 = new Uint32Array(bitsF64.buffer);
/** A key for a float64's bits (0 and -0, and NaNs, apart). */
function bitsOf(x: number): string {
  bitsF64[0] = x;
  return `${bitsU32[0]}:${bitsU32[1]}`;
}

/** Byte arrays end to end. */
function concat(parts: (number[] | Uint8Array)[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const I32 = 0x7f;
const F64 = 0x7c;
const V128 = 0x7b;

/** A function body being written: its code, and its locals by name, declared as they are first asked for. */
class Fn {
  readonly code: number[] = [];
  private readonly locals = new Map<string, number>();
  private readonly types: number[] = [];
  constructor(private readonly params: number) {}
  readonly emit = (...b: number[]): void => {
    for (const x of b) this.code.push(x);
  };
  local(name: string, type: number): number {
    let k = this.locals.get(name);
    if (k === undefined) {
      k = this.params + this.types.length;
      this.locals.set(name, k);
      this.types.push(type);
    }
    return k;
  }
  get(k: number): void {
    this.emit(0x20, ...uleb(k));
  }
  set(k: number): void {
    this.emit(0x21, ...uleb(k));
  }
  i32(v: number): void {
    this.emit(0x41, ...sleb(v | 0));
  }
  /** The body: local declarations (runs of one type), the code, end. */
  body(): Uint8Array<ArrayBuffer> {
    const runs: number[][] = [];
    for (let k = 0; k < this.types.length; ) {
      let n = 1;
      while (k + n < this.types.length && this.types[k + n] === this.types[k]) n++;
      runs.push([...uleb(n), this.types[k]!]);
      k += n;
    }
    return concat([vec(runs), this.code, [0x0b]]);
  }
}
