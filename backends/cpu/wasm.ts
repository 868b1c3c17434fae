/**
 * A population's step loop as WebAssembly, for models whose maps need only arithmetic (the exact
 * propagators of linear models: multiply-adds, comparisons, constants). It does exactly what the
 * generated JavaScript does (codegen.ts; the same float64 operations in the same order, so the same
 * bits) about 1.5 times faster. The module is written byte by byte here: it is small, and a text
 * assembler would be a large dependency for a handful of opcodes. The loop itself
 * (emitNeuronLoop) also goes into fused.ts's whole-network module; it keeps a neuron's state
 * variables in locals, loaded once and stored once per step. Calls and powers of constants
 * (exp(1)) are computed when the module is written (wasmExpr), by the same JavaScript.
 *
 * Memory layout (one shared WebAssembly.Memory per population, bytes): state variables, per-neuron
 * parameters and I_inj as f64 arrays, refractory counters as i32, refractory steps as f64, the
 * ring buffer of each input port (slots x size f64), and the spike output (size i32).
 */
import type { IRAssign, IRExpr, IRNeuronModel } from '../../compiler/ir/types.js';
import { DT, I_INJ, WEIGHT } from '../../compiler/lower/model.js';
import { HELPERS, js, specialize } from './codegen.js';
import { f64const, section, sleb, str, uleb, vec } from './wasm-encoding.js';

export const F64_BINARY: Readonly<Record<string, number>> = { '+': 0xa0, '-': 0xa1, '*': 0xa2, '/': 0xa3 };
export const F64_COMPARE: Readonly<Record<string, number>> = { '==': 0x61, '!=': 0x62, '<': 0x63, '>': 0x64, '<=': 0x65, '>=': 0x66 };
export const F64_UNARY_CALLS: Readonly<Record<string, number>> = { abs: 0x99, ceil: 0x9b, floor: 0x9c, sqrt: 0x9f };
export const F64_BINARY_CALLS: Readonly<Record<string, number>> = { min: 0xa4, max: 0xa5 };

/**
 * `e` specialised to a population (codegen.ts's specialize), with calls and powers of constants
 * done now: exp(1) in IF_curr_alpha's input handler becomes a number. They are computed by the
 * very JavaScript that the JavaScript loops run (js() of the same node), so the values are the
 * same bits; nothing else is rearranged.
 */
export function wasmExpr(e: IRExpr, scalars: ReadonlyMap<string, number>): IRExpr {
  return foldConstants(specialize(e, scalars));
}

function foldConstants(e: IRExpr): IRExpr {
  if ('num' in e || 'ref' in e) return e;
  if ('call' in e) {
    const args = e.args.map(foldConstants);
    const node = { call: e.call, args };
    return args.every((a) => 'num' in a) ? { num: constantValue(node) } : node;
  }
  const args = e.args.map(foldConstants) as typeof e.args;
  const node = { op: e.op, args } as IRExpr;
  return (e.op === '^' || e.op === '%') && args.every((a) => 'num' in a) ? { num: constantValue(node) } : node;
}

function constantValue(e: IRExpr): number {
  const f = new Function('H', `return ${js(e, (name) => {
    throw new Error(`wasm: '${name}' in a constant`);
  })};`) as (h: typeof HELPERS) => number;
  return f(HELPERS);
}

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
  return lists.every((l) => l.every((a) => ok(wasmExpr(a.expr, scalars)))) && (!model.threshold || ok(wasmExpr(model.threshold, scalars)));
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
 * Where one population's neuron loop keeps its values and how it finds its bounds: the caller's
 * locals (i32: i, i8, i4, count, refractory, j8; f64: w and `local` for the maps' own names) and
 * code that pushes lo, hi, the ring buffers' byte offset for this step's slot, and the base of the
 * spike output (written at base + 4 count + outOffset).
 */
export interface NeuronLoopContext {
  emit: (...b: number[]) => void;
  i: number;
  i8: number;
  i4: number;
  count: number;
  refractory: number;
  j8: number;
  w: number;
  local: (name: string) => number;
  lo: () => void;
  hi: () => void;
  slotBase: () => void;
  outBase: () => void;
  outOffset: number;
  /** Add to the count already in the `count` local instead of starting from 0. */
  keepCount?: boolean;
}

/**
 * The state variables a neuron loop touches: those it reads (in its maps, threshold and clamps)
 * and those it writes. The loop keeps them in locals, loaded once per neuron and stored once.
 */
export function touchedState(model: IRNeuronModel): { touched: string[]; written: string[] } {
  const state = new Set(model.state);
  const read = new Set<string>();
  const written = new Set<string>(model.refractory?.clamp ?? []);
  const walk = (e: IRExpr): void => {
    if ('num' in e) return;
    if ('ref' in e) {
      if (state.has(e.ref)) read.add(e.ref);
      return;
    }
    e.args.forEach(walk);
  };
  const allMaps = [model.update, model.reset, ...(model.refractoryUpdate ? [model.refractoryUpdate] : []), ...model.inputs.map((h) => h.update)];
  for (const m of allMaps) {
    for (const a of m) {
      walk(a.expr);
      if (!a.local) written.add(a.target);
    }
  }
  if (model.threshold) walk(model.threshold);
  for (const x of model.refractory?.clamp ?? []) read.add(x);
  return { touched: model.state.filter((x) => read.has(x) || written.has(x)), written: model.state.filter((x) => written.has(x)) };
}

/**
 * The f64 locals a neuron loop needs besides w: one per clamped variable, per map-local name and
 * per state variable it touches.
 */
function neuronLoopLocals(model: IRNeuronModel): string[] {
  const names = (model.refractory?.clamp ?? []).map((x) => `clamp:${x}`);
  const allMaps = [model.update, model.reset, ...(model.refractoryUpdate ? [model.refractoryUpdate] : []), ...model.inputs.map((h) => h.update)];
  for (const m of allMaps) for (const a of m) if (a.local && !names.includes(a.target)) names.push(a.target);
  for (const x of touchedState(model).touched) names.push(`state:${x}`);
  return names;
}

/**
 * One population's step loop over neurons lo..hi-1, written into the caller's function: deliver
 * (read and clear this step's ring-buffer slot of each port), update, threshold, reset, exactly
 * as the generated JavaScript does. Leaves the number of spikes in the `count` local.
 */
export function emitNeuronLoop(model: IRNeuronModel, lay: Omit<WasmLayout, 'bytes'>, scalars: ReadonlyMap<string, number>, ctx: NeuronLoopContext): void {
  const { emit, local } = ctx;
  const I = ctx.i, I8 = ctx.i8, I4 = ctx.i4, COUNT = ctx.count, REFR = ctx.refractory, J8 = ctx.j8, W = ctx.w;
  const f64Locals = new Map<string, number>(neuronLoopLocals(model).filter((x) => !x.startsWith('state:')).map((x) => [x, local(x)]));
  const touched = touchedState(model);
  const stateLocal = new Map(touched.touched.map((x) => [x, local(`state:${x}`)]));
  const clamp = model.refractory?.clamp ?? [];
  const loadF64 = (base: number): void => emit(0x20, ...uleb(I8), 0x2b, 0x03, ...uleb(base));
  const storeF64 = (base: number, value: () => void, index = I8): void => {
    emit(0x20, ...uleb(index));
    value();
    emit(0x39, 0x03, ...uleb(base));
  };
  const loadRefr = (): void => emit(0x20, ...uleb(I4), 0x28, 0x02, ...uleb(lay.refr));
  const storeRefr = (value: () => void): void => {
    emit(0x20, ...uleb(I4));
    value();
    emit(0x36, 0x02, ...uleb(lay.refr));
  };

  const expr = (e: IRExpr): void => {
    if ('num' in e) return emit(...f64const(e.num));
    if ('ref' in e) {
      const r = e.ref;
      if (f64Locals.has(r)) return emit(0x20, ...uleb(f64Locals.get(r)!));
      if (r === WEIGHT) return emit(0x20, ...uleb(W));
      if (r === I_INJ) return loadF64(lay.inj);
      if (r === DT) return emit(...f64const(scalars.get(DT)!));
      if (stateLocal.has(r)) return emit(0x20, ...uleb(stateLocal.get(r)!));
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
      const e = wasmExpr(a.expr, scalars);
      if (a.local) {
        expr(e);
        emit(0x21, ...uleb(f64Locals.get(a.target)!));
      } else {
        const s = stateLocal.get(a.target);
        if (s === undefined) throw new Error(`wasm: assignment to '${a.target}'`);
        expr(e);
        emit(0x21, ...uleb(s));
      }
    }
  };

  // count = 0; i = lo
  if (!ctx.keepCount) emit(0x41, 0, 0x21, ...uleb(COUNT));
  ctx.lo();
  emit(0x21, ...uleb(I));
  emit(0x02, 0x40); // block $exit
  emit(0x03, 0x40); // loop $top
  emit(0x20, ...uleb(I));
  ctx.hi();
  emit(0x4e, 0x0d, 1); // br_if $exit (i >= hi)
  emit(0x20, ...uleb(I), 0x41, 3, 0x74, 0x21, ...uleb(I8)); // i8 = i << 3
  emit(0x20, ...uleb(I), 0x41, 2, 0x74, 0x21, ...uleb(I4)); // i4 = i << 2
  ctx.slotBase();
  emit(0x20, ...uleb(I8), 0x6a, 0x21, ...uleb(J8)); // j8 = slot base + i8
  // The state this loop touches, into locals.
  for (const [x, k] of stateLocal) {
    loadF64(lay.state.get(x)!);
    emit(0x21, ...uleb(k));
  }
  emit(0x02, 0x40); // block $next
  // refractory = refr[i] > 0
  loadRefr();
  emit(0x41, 0, 0x4a, 0x21, ...uleb(REFR));
  for (const x of clamp) emit(0x20, ...uleb(stateLocal.get(x)!), 0x21, ...uleb(f64Locals.get(`clamp:${x}`)!));
  // deliver: w = B[off + i]; if (w != 0) { B[off + i] = 0; handler }
  model.inputs.forEach((h, k) => {
    emit(0x20, ...uleb(J8), 0x2b, 0x03, ...uleb(lay.buffers[k]!), 0x21, ...uleb(W));
    emit(0x20, ...uleb(W), ...f64const(0), 0x62, 0x04, 0x40);
    storeF64(lay.buffers[k]!, () => emit(...f64const(0)), J8);
    assign(h.update);
    emit(0x0b);
  });
  // refractory: its own update (or the update with the clamped variables restored), count down, next
  emit(0x20, ...uleb(REFR), 0x04, 0x40);
  assign(model.refractoryUpdate ?? model.update);
  for (const x of clamp) emit(0x20, ...uleb(f64Locals.get(`clamp:${x}`)!), 0x21, ...uleb(stateLocal.get(x)!));
  storeRefr(() => {
    loadRefr();
    emit(0x41, 1, 0x6b);
  });
  emit(0x0c, 1); // br $next
  emit(0x0b);
  assign(model.update);
  if (model.threshold) {
    const th = wasmExpr(model.threshold, scalars);
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
    ctx.outBase();
    emit(0x20, ...uleb(COUNT), 0x41, 2, 0x74, 0x6a, 0x20, ...uleb(I), 0x36, 0x02, ...uleb(ctx.outOffset));
    emit(0x20, ...uleb(COUNT), 0x41, 1, 0x6a, 0x21, ...uleb(COUNT));
    assign(model.reset);
    // refr[i] = refSteps[i]
    storeRefr(() => {
      loadF64(lay.refSteps);
      emit(0xaa);
    });
    emit(0x0b);
  }
  emit(0x0b); // end $next
  // The state back to memory.
  for (const x of touched.written) storeF64(lay.state.get(x)!, () => emit(0x20, ...uleb(stateLocal.get(x)!)));
  emit(0x20, ...uleb(I), 0x41, 1, 0x6a, 0x21, ...uleb(I), 0x0c, 0); // i++; br $top
  emit(0x0b, 0x0b); // end loop, end block
}

/**
 * The module: imports `env.mem` (shared), exports `step(off, lo, hi, out) -> spikes`, the same
 * contract as the JavaScript step functions plus the byte offset of this thread's spike output.
 */
export function stepModule(model: IRNeuronModel, lay: WasmLayout, scalars: ReadonlyMap<string, number>, pages: number): Uint8Array<ArrayBuffer> {
  // Parameters: 0 off, 1 lo, 2 hi, 3 out. Locals: 4 i, 5 i8 (i * 8), 6 i4 (i * 4), 7 count,
  // 8 refractory, 9 j8 ((off + i) * 8, the ring-buffer slot) (i32), then f64: 10 w, then one per
  // clamped variable and per map-local name. Array bases go in the load/store offset immediate.
  const f64Locals = new Map<string, number>();
  let nextLocal = 11;
  const code: number[] = [];
  emitNeuronLoop(model, lay, scalars, {
    emit: (...b) => {
      for (const x of b) code.push(x);
    },
    i: 4,
    i8: 5,
    i4: 6,
    count: 7,
    refractory: 8,
    j8: 9,
    w: 10,
    local: (name) => {
      let k = f64Locals.get(name);
      if (k === undefined) f64Locals.set(name, (k = nextLocal++));
      return k;
    },
    lo: () => code.push(0x20, 1),
    hi: () => code.push(0x20, 2),
    slotBase: () => code.push(0x20, 0, 0x41, 3, 0x74), // off << 3
    outBase: () => code.push(0x20, 3),
    outOffset: 0,
  });
  code.push(0x20, 7, 0x0b); // return count

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
