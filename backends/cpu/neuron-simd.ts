/**
 * A population's neuron loop two neurons at a time, with WebAssembly SIMD (f64x2), for the fused
 * time loop (fused.ts). Each lane does exactly the float64 operations of the scalar loop
 * (wasm.ts's emitNeuronLoop; SIMD arithmetic is IEEE per lane, with no fused multiply-add), so
 * the results are the same bits; where the scalar loop branches per neuron, this one computes
 * what either lane needs and selects per lane:
 * - deliver: a port's input handler runs when either lane has input, and keeps its result only in
 *   the lanes that have;
 * - update: when either lane is refractory, both the refractory and the ordinary update run, and
 *   each lane keeps its own;
 * - threshold and reset: the reset runs when either lane spikes and is kept in the lanes that do;
 *   the spike output and the refractory counter are written lane by lane, in neuron order.
 * The odd last neuron of a population goes through the scalar loop.
 */
import type { IRAssign, IRExpr, IRNeuronModel } from '../../compiler/ir/types.js';
import { DT, I_INJ, WEIGHT } from '../../compiler/lower/model.js';
import { F64_COMPARE, touchedState, wasmExpr, type WasmLayout } from './wasm.js';
import { sleb, uleb } from './wasm-encoding.js';

const SIMD = 0xfd;
const op = (code: number): number[] => [SIMD, ...uleb(code)];
const V128_LOAD = 0x00;
const V128_STORE = 0x0b;
const V128_CONST = 0x0c;
const I32X4_EXTRACT_LANE = 0x1b;
const I32X4_GT_S = 0x3b;
const V128_NOT = 0x4d;
const V128_AND = 0x4e;
const V128_ANDNOT = 0x4f;
const V128_OR = 0x50;
const V128_BITSELECT = 0x52;
const V128_ANY_TRUE = 0x53;
const V128_STORE64_LANE = 0x5b;
const V128_LOAD64_ZERO = 0x5d;
const I32X4_ADD = 0xae;
const I64X2_EXTEND_LOW_I32X4_S = 0xc7;
const F64X2_COMPARE: Readonly<Record<string, number>> = { '==': 0x47, '!=': 0x48, '<': 0x49, '>': 0x4a, '<=': 0x4b, '>=': 0x4c };
const F64X2_BINARY: Readonly<Record<string, number>> = { '+': 0xf0, '-': 0xf1, '*': 0xf2, '/': 0xf3 };
const F64X2_UNARY_CALLS: Readonly<Record<string, number>> = { abs: 0xec, ceil: 0x74, floor: 0x75, sqrt: 0xef };
const F64X2_BINARY_CALLS: Readonly<Record<string, number>> = { min: 0xf4, max: 0xf5 };
const F64X2_NEG = 0xed;

/** Where the pair loop keeps its values: the caller's locals (i32 and v128) and its bounds. */
export interface SimdLoopContext {
  emit: (...b: number[]) => void;
  /** i32 locals. */
  i: number;
  i8: number;
  i4: number;
  j8: number;
  count: number;
  /** A v128 local by name, allocated by the caller on first use. */
  local: (name: string) => number;
  /** Neurons 0..pairs-1, pairs even. */
  pairs: number;
  slotBase: () => void;
  /** The spike output: out[count] at 4 count + outOffset. */
  outOffset: number;
  /** The address of 16 bytes that hold x in both lanes (16-byte aligned), filled by the caller. */
  constant: (x: number) => number;
}

/** The pair loop over neurons 0..ctx.pairs-1; adds the spikes to the `count` local. */
export function emitSimdNeuronLoop(model: IRNeuronModel, lay: Omit<WasmLayout, 'bytes'>, scalars: ReadonlyMap<string, number>, ctx: SimdLoopContext): void {
  const { emit } = ctx;
  const I = ctx.i, I8 = ctx.i8, I4 = ctx.i4, J8 = ctx.j8, COUNT = ctx.count;
  const L = (name: string): number => ctx.local(name);
  const { touched, written } = touchedState(model);
  const clamp = model.refractory?.clamp ?? [];
  const get = (name: string): void => emit(0x20, ...uleb(L(name)));
  const set = (name: string): void => emit(0x21, ...uleb(L(name)));
  const simd = (code: number): void => emit(...op(code));
  const memarg = (offset: number, align = 3): number[] => [align, ...uleb(offset)];
  const load = (index: number, offset: number): void => emit(0x20, ...uleb(index), ...op(V128_LOAD), ...memarg(offset));
  const store = (index: number, offset: number, value: () => void): void => {
    emit(0x20, ...uleb(index));
    value();
    emit(...op(V128_STORE), ...memarg(offset));
  };
  const splat = (x: number): void => {
    emit(0x41, 0);
    emit(...op(V128_LOAD), ...memarg(ctx.constant(x), 4));
  };
  const zero = (): void => emit(...op(V128_CONST), ...new Array<number>(16).fill(0));
  /** Lane masks (all ones where true) as 1.0 and 0.0. */
  const ones = (): void => {
    splat(1);
    simd(V128_AND);
  };

  const expr = (e: IRExpr): void => {
    if ('num' in e) return splat(e.num);
    if ('ref' in e) {
      const r = e.ref;
      if (isLocal(r)) return get(`l:${r}`);
      if (r === WEIGHT) return get('w');
      if (r === I_INJ) return load(I8, lay.inj);
      if (r === DT) return splat(scalars.get(DT)!);
      if (touched.includes(r)) return get(`s:${r}`);
      const p = lay.params.get(r);
      if (p !== undefined) return load(I8, p);
      const c = scalars.get(r);
      if (c !== undefined) return splat(c);
      throw new Error(`wasm simd: unknown name '${r}'`);
    }
    if ('call' in e) {
      e.args.forEach(expr);
      return simd(F64X2_UNARY_CALLS[e.call] ?? F64X2_BINARY_CALLS[e.call]!);
    }
    if (e.op === 'neg') {
      expr(e.args[0]);
      return simd(F64X2_NEG);
    }
    if (e.op === 'not') {
      truth(e.args[0]);
      simd(V128_NOT);
      return ones();
    }
    if (e.op === 'and' || e.op === 'or') {
      truth(e.args[0]);
      truth(e.args[1]!);
      simd(e.op === 'and' ? V128_AND : V128_OR);
      return ones();
    }
    expr(e.args[0]);
    expr(e.args[1]!);
    const cmp = F64X2_COMPARE[e.op];
    if (cmp !== undefined) {
      simd(cmp);
      return ones();
    }
    simd(F64X2_BINARY[e.op]!);
  };
  /** A lane mask where `e` is non-zero, as the scalar loop's truth (x != 0, true for NaN). */
  const truth = (e: IRExpr): void => {
    if ('op' in e && e.op in F64_COMPARE) {
      expr(e.args[0]);
      expr(e.args[1]!);
      return simd(F64X2_COMPARE[e.op]!);
    }
    expr(e);
    zero();
    simd(F64X2_COMPARE['!=']!);
  };
  const localNames = new Set<string>();
  const allMaps = [model.update, model.reset, ...(model.refractoryUpdate ? [model.refractoryUpdate] : []), ...model.inputs.map((h) => h.update)];
  for (const m of allMaps) for (const a of m) if (a.local) localNames.add(a.target);
  const isLocal = (r: string): boolean => localNames.has(r);
  /** The assignments; state variables keep the new value only in the lanes of `mask` when given. */
  const assign = (list: IRAssign[], mask?: string): void => {
    for (const a of list) {
      const e = wasmExpr(a.expr, scalars);
      if (a.local) {
        expr(e);
        set(`l:${a.target}`);
      } else {
        if (!touched.includes(a.target)) throw new Error(`wasm simd: assignment to '${a.target}'`);
        expr(e);
        if (mask) {
          get(`s:${a.target}`);
          get(mask);
          simd(V128_BITSELECT);
        }
        set(`s:${a.target}`);
      }
    }
  };

  // i = 0
  emit(0x41, 0, 0x21, ...uleb(I));
  emit(0x02, 0x40, 0x03, 0x40); // block $exit loop $top
  emit(0x20, ...uleb(I), 0x41, ...sleb(ctx.pairs), 0x4e, 0x0d, 1); // br_if $exit (i >= pairs)
  emit(0x20, ...uleb(I), 0x41, 3, 0x74, 0x21, ...uleb(I8));
  emit(0x20, ...uleb(I), 0x41, 2, 0x74, 0x21, ...uleb(I4));
  ctx.slotBase();
  emit(0x20, ...uleb(I8), 0x6a, 0x21, ...uleb(J8));
  for (const x of touched) {
    load(I8, lay.state.get(x)!);
    set(`s:${x}`);
  }
  // rm: the refractory lanes (refr > 0), as 64-bit masks
  emit(0x20, ...uleb(I4), ...op(V128_LOAD64_ZERO), ...memarg(lay.refr, 2));
  set('r32');
  get('r32');
  zero();
  simd(I32X4_GT_S);
  simd(I64X2_EXTEND_LOW_I32X4_S);
  set('rm');
  for (const x of clamp) {
    get(`s:${x}`);
    set(`c:${x}`);
  }
  // deliver
  model.inputs.forEach((h, k) => {
    load(J8, lay.buffers[k]!);
    set('w');
    get('w');
    zero();
    simd(F64X2_COMPARE['!=']!);
    set('nz');
    get('nz');
    simd(V128_ANY_TRUE);
    emit(0x04, 0x40);
    store(J8, lay.buffers[k]!, zero);
    assign(h.update, 'nz');
    emit(0x0b);
  });
  // update: both ways when a lane is refractory
  get('rm');
  simd(V128_ANY_TRUE);
  emit(0x04, 0x40);
  for (const x of written) {
    get(`s:${x}`);
    set(`t:${x}`);
  }
  assign(model.refractoryUpdate ?? model.update);
  for (const x of clamp) {
    get(`c:${x}`);
    set(`s:${x}`);
  }
  for (const x of written) {
    get(`s:${x}`);
    set(`r:${x}`);
    get(`t:${x}`);
    set(`s:${x}`);
  }
  assign(model.update);
  for (const x of written) {
    get(`r:${x}`);
    get(`s:${x}`);
    get('rm');
    simd(V128_BITSELECT);
    set(`s:${x}`);
  }
  // refr[lane]-- where refractory: r32 + (r32 > 0 ? -1 : 0)
  emit(0x20, ...uleb(I4));
  get('r32');
  get('r32');
  zero();
  simd(I32X4_GT_S);
  simd(I32X4_ADD);
  emit(...op(V128_STORE64_LANE), ...memarg(lay.refr, 2), 0);
  emit(0x05); // else
  assign(model.update);
  emit(0x0b);
  if (model.threshold) {
    const th = wasmExpr(model.threshold, scalars);
    // As the scalar loop: a comparison, or x != 0 && x == x.
    if ('op' in th && th.op in F64_COMPARE) truth(th);
    else {
      expr(th);
      zero();
      simd(F64X2_COMPARE['!=']!);
      expr(th);
      expr(th);
      simd(F64X2_COMPARE['==']!);
      simd(V128_AND);
    }
    get('rm');
    simd(V128_ANDNOT); // spiking and not refractory
    set('spk');
    get('spk');
    simd(V128_ANY_TRUE);
    emit(0x04, 0x40);
    assign(model.reset, 'spk');
    for (const lane of [0, 1]) {
      get('spk');
      emit(...op(I32X4_EXTRACT_LANE), 2 * lane);
      emit(0x04, 0x40);
      // out[count] = i + lane; count++; refr[i + lane] = refSteps[i + lane]
      emit(0x20, ...uleb(COUNT), 0x41, 2, 0x74, 0x20, ...uleb(I));
      if (lane) emit(0x41, 1, 0x6a);
      emit(0x36, 0x02, ...uleb(ctx.outOffset));
      emit(0x20, ...uleb(COUNT), 0x41, 1, 0x6a, 0x21, ...uleb(COUNT));
      emit(0x20, ...uleb(I4), 0x20, ...uleb(I8), 0x2b, 0x03, ...uleb(lay.refSteps + 8 * lane), 0xaa, 0x36, 0x02, ...uleb(lay.refr + 4 * lane));
      emit(0x0b);
    }
    emit(0x0b);
  }
  for (const x of written) store(I8, lay.state.get(x)!, () => get(`s:${x}`));
  emit(0x20, ...uleb(I), 0x41, 2, 0x6a, 0x21, ...uleb(I), 0x0c, 0); // i += 2; br $top
  emit(0x0b, 0x0b);
}
