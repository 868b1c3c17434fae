/**
 * A population's step loop as WebAssembly, for models whose maps need only arithmetic (the exact
 * propagators of linear models: multiply-adds, comparisons, constants). It does exactly what the
 * generated JavaScript does (codegen.ts; the same float64 operations in the same order, so the same
 * bits) about 1.5 times faster. The module is written byte by byte here: it is small, and a text
 * assembler would be a large dependency for a handful of opcodes.
 *
 * Memory layout (one shared WebAssembly.Memory per population, bytes): state variables, per-neuron
 * parameters and I_inj as f64 arrays, refractory counters as i32, refractory steps as f64, the
 * ring buffer of each input port (slots x size f64), and the spike output (size i32).
 */
import type { IRAssign, IRExpr, IRNeuronModel } from '../../compiler/ir/types.js';
import { DT, I_INJ, WEIGHT } from '../../compiler/lower/model.js';
import { specialize } from './codegen.js';
import { f64const, section, sleb, str, uleb, vec } from './wasm-encoding.js';

const F64_BINARY: Readonly<Record<string, number>> = { '+': 0xa0, '-': 0xa1, '*': 0xa2, '/': 0xa3 };
const F64_COMPARE: Readonly<Record<string, number>> = { '==': 0x61, '!=': 0x62, '<': 0x63, '>': 0x64, '<=': 0x65, '>=': 0x66 };
const F64_UNARY_CALLS: Readonly<Record<string, number>> = { abs: 0x99, ceil: 0x9b, floor: 0x9c, sqrt: 0x9f };
const F64_BINARY_CALLS: Readonly<Record<string, number>> = { min: 0xa4, max: 0xa5 };

/** Whether every expression of the model's step can be written with the opcodes above. */
export function wasmSupports(model: IRNeuronModel, scalars: ReadonlyMap<string, number>): boolean {
  const ok = (e: IRExpr): boolean => {
    if ('num' in e || 'ref' in e) return true;
    if ('call' in e) return (e.call in F64_UNARY_CALLS && e.args.length === 1) || (e.call in F64_BINARY_CALLS && e.args.length === 2) ? e.args.every(ok) : false;
    if (e.op === 'neg' || e.op === 'not') return ok(e.args[0]);
    if (e.op === '^' || e.op === '%') return false;
    return ok(e.args[0]) && ok(e.args[1]!);
  };
  const lists = [model.update, model.reset, ...(model.refractoryUpdate ? [model.refractoryUpdate] : []), ...model.inputs.map((h) => h.update)];
  return lists.every((l) => l.every((a) => ok(specialize(a.expr, scalars)))) && (!model.threshold || ok(specialize(model.threshold, scalars)));
}

/** Byte offsets of a population's arrays in its memory. */
export interface WasmLayout {
  bytes: number;
  state: Map<string, number>;
  params: Map<string, number>;
  inj: number;
  refr: number;
  refSteps: number;
  buffers: number[];
  /** Where the loop writes the indices of the neurons that spiked. */
  out: number;
}

export function layout(model: IRNeuronModel, arrayParams: string[], size: number, slots: number): WasmLayout {
  let at = 0;
  const f64s = (n: number): number => {
    const o = at;
    at += 8 * n;
    return o;
  };
  const state = new Map(model.state.map((x) => [x, f64s(size)]));
  const params = new Map(arrayParams.map((k) => [k, f64s(size)]));
  const inj = f64s(size);
  const refSteps = f64s(size);
  const buffers = model.inputs.map(() => f64s(slots * size));
  const refr = at;
  at += 4 * size;
  at = Math.ceil(at / 8) * 8;
  const out = at;
  at += 4 * size;
  return { bytes: at, state, params, inj, refr, refSteps, buffers, out };
}

/**
 * The module: imports `env.mem` (shared), exports `step(off, lo, hi, out) -> spikes`, the same
 * contract as the JavaScript step functions plus the byte offset of this thread's spike output.
 */
export function stepModule(model: IRNeuronModel, lay: WasmLayout, scalars: ReadonlyMap<string, number>, pages: number): Uint8Array<ArrayBuffer> {
  // Parameters: 0 off, 1 lo, 2 hi, 3 out. Locals: 4 i, 5 i8 (i * 8), 6 i4 (i * 4), 7 count,
  // 8 refractory, 9 j8 ((off + i) * 8, the ring-buffer slot) (i32), then f64: 10 w, then one per
  // clamped variable and per map-local name. Array bases go in the load/store offset immediate.
  const I = 4, I8 = 5, I4 = 6, COUNT = 7, REFR = 8, J8 = 9, W = 10;
  const f64Locals = new Map<string, number>();
  let nextLocal = 11;
  const local = (name: string): number => {
    let k = f64Locals.get(name);
    if (k === undefined) f64Locals.set(name, (k = nextLocal++));
    return k;
  };
  const clamp = model.refractory?.clamp ?? [];
  clamp.forEach((x) => local(`clamp:${x}`));
  const allMaps = [model.update, model.reset, ...(model.refractoryUpdate ? [model.refractoryUpdate] : []), ...model.inputs.map((h) => h.update)];
  for (const m of allMaps) for (const a of m) if (a.local) local(a.target);

  const code: number[] = [];
  const emit = (...b: number[]): void => {
    for (const x of b) code.push(x);
  };
  const loadF64 = (base: number): void => emit(0x20, I8, 0x2b, 0x03, ...uleb(base));
  const storeF64 = (base: number, value: () => void, index = I8): void => {
    emit(0x20, index);
    value();
    emit(0x39, 0x03, ...uleb(base));
  };
  const loadRefr = (): void => emit(0x20, I4, 0x28, 0x02, ...uleb(lay.refr));
  const storeRefr = (value: () => void): void => {
    emit(0x20, I4);
    value();
    emit(0x36, 0x02, ...uleb(lay.refr));
  };

  const expr = (e: IRExpr): void => {
    if ('num' in e) return emit(...f64const(e.num));
    if ('ref' in e) {
      const r = e.ref;
      if (f64Locals.has(r)) return emit(0x20, f64Locals.get(r)!);
      if (r === WEIGHT) return emit(0x20, W);
      if (r === I_INJ) return loadF64(lay.inj);
      if (r === DT) return emit(...f64const(scalars.get(DT)!));
      const s = lay.state.get(r);
      if (s !== undefined) return loadF64(s);
      const p = lay.params.get(r);
      if (p !== undefined) return loadF64(p);
      const c = scalars.get(r);
      if (c !== undefined) return emit(...f64const(c));
      throw new Error(`wasm: unknown name '${r}'`);
    }
    if ('call' in e) {
      e.args.forEach(expr);
      return emit(F64_UNARY_CALLS[e.call] ?? F64_BINARY_CALLS[e.call]!);
    }
    if (e.op === 'neg') {
      expr(e.args[0]);
      return emit(0x9a);
    }
    if (e.op === 'not') {
      truth(e.args[0]);
      return emit(0x45, 0xb7);
    }
    if (e.op === 'and' || e.op === 'or') {
      truth(e.args[0]);
      truth(e.args[1]!);
      return emit(e.op === 'and' ? 0x71 : 0x72, 0xb7);
    }
    expr(e.args[0]);
    expr(e.args[1]!);
    const cmp = F64_COMPARE[e.op];
    if (cmp !== undefined) return emit(cmp, 0xb7);
    emit(F64_BINARY[e.op]!);
  };
  /** An i32 that is 1 when `e` is non-zero, as `if (e)` in JavaScript (NaN is false). */
  const truth = (e: IRExpr): void => {
    if ('op' in e && e.op in F64_COMPARE) {
      expr(e.args[0]);
      expr(e.args[1]!);
      return emit(F64_COMPARE[e.op]!);
    }
    expr(e);
    emit(...f64const(0), 0x62); // x != 0 (true for NaN, unlike JS: guarded below)
  };
  const assign = (list: IRAssign[]): void => {
    for (const a of list) {
      const e = specialize(a.expr, scalars);
      if (a.local) {
        expr(e);
        emit(0x21, f64Locals.get(a.target)!);
      } else {
        const s = lay.state.get(a.target);
        if (s === undefined) throw new Error(`wasm: assignment to '${a.target}'`);
        storeF64(s, () => expr(e));
      }
    }
  };

  // i = lo
  emit(0x20, 1, 0x21, I);
  emit(0x02, 0x40); // block $exit
  emit(0x03, 0x40); // loop $top
  emit(0x20, I, 0x20, 2, 0x4e, 0x0d, 1); // br_if $exit (i >= hi)
  emit(0x20, I, 0x41, 3, 0x74, 0x21, I8); // i8 = i << 3
  emit(0x20, I, 0x41, 2, 0x74, 0x21, I4); // i4 = i << 2
  emit(0x20, 0, 0x20, I, 0x6a, 0x41, 3, 0x74, 0x21, J8); // j8 = (off + i) << 3
  emit(0x02, 0x40); // block $next
  // refractory = refr[i] > 0
  loadRefr();
  emit(0x41, 0, 0x4a, 0x21, REFR);
  for (const x of clamp) {
    loadF64(lay.state.get(x)!);
    emit(0x21, f64Locals.get(`clamp:${x}`)!);
  }
  // deliver: w = B[off + i]; if (w != 0) { B[off + i] = 0; handler }
  model.inputs.forEach((h, k) => {
    emit(0x20, J8, 0x2b, 0x03, ...uleb(lay.buffers[k]!), 0x21, W);
    emit(0x20, W, ...f64const(0), 0x62, 0x04, 0x40);
    storeF64(lay.buffers[k]!, () => emit(...f64const(0)), J8);
    assign(h.update);
    emit(0x0b);
  });
  // refractory: its own update (or the update with the clamped variables restored), count down, next
  emit(0x20, REFR, 0x04, 0x40);
  assign(model.refractoryUpdate ?? model.update);
  for (const x of clamp) storeF64(lay.state.get(x)!, () => emit(0x20, f64Locals.get(`clamp:${x}`)!));
  storeRefr(() => {
    loadRefr();
    emit(0x41, 1, 0x6b);
  });
  emit(0x0c, 1); // br $next
  emit(0x0b);
  assign(model.update);
  if (model.threshold) {
    const th = specialize(model.threshold, scalars);
    // JavaScript's `if (x)` is false for NaN; a comparison is false for NaN too, so test through one.
    if ('op' in th && th.op in F64_COMPARE) truth(th);
    else {
      expr(th);
      emit(...f64const(0), 0x62);
      expr(th);
      expr(th);
      emit(0x61, 0x71); // x != 0 && x == x
    }
    emit(0x04, 0x40);
    // out[count] = i; count++
    emit(0x20, 3, 0x20, COUNT, 0x41, 2, 0x74, 0x6a, 0x20, I, 0x36, 0x02, 0x00);
    emit(0x20, COUNT, 0x41, 1, 0x6a, 0x21, COUNT);
    assign(model.reset);
    // refr[i] = refSteps[i]
    storeRefr(() => {
      loadF64(lay.refSteps);
      emit(0xaa);
    });
    emit(0x0b);
  }
  emit(0x0b); // end $next
  emit(0x20, I, 0x41, 1, 0x6a, 0x21, I, 0x0c, 0); // i++; br $top
  emit(0x0b, 0x0b); // end loop, end block
  emit(0x20, COUNT);
  emit(0x0b);

  const locals = [
    [...uleb(6), 0x7f], // i, i8, i4, count, refractory, j8
    [...uleb(nextLocal - 10), 0x7c], // w and the f64 locals
  ];
  const body = [...vec(locals), ...code];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([[0x7f], [0x7f], [0x7f], [0x7f]]), ...vec([[0x7f]])]])),
    ...section(2, vec([[...str('env'), ...str('mem'), 0x02, 0x03, ...uleb(pages), ...uleb(pages)]])),
    ...section(3, vec([[0x00]])),
    ...section(7, vec([[...str('step'), 0x00, 0x00]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ];
  return new Uint8Array(bytes);
}
