/**
 * The online engine's inner loop, generated per trainable projection (backends/cpu/online.ts):
 * one step of every synapse's eligibility trace e = ∂x_post/∂w and of the gradient it gives.
 * The Jacobians that are constants of the model (the exact propagator of a linear model: all
 * but the reset's rows) become literals and the zeros vanish, so a LIF synapse costs a handful
 * of multiplications per step.
 */
import { TANGENT, type TangentProgram } from '../../compiler/grad/tangent.js';
import type { IRExpr } from '../../compiler/ir/types.js';
import { specialize } from './codegen.js';

/** The arguments of a trace kernel, in order. */
export interface TraceArgs {
  /** Traces [B][rows][cols][nx]; filtered traces [B][rows][cols][nr] (spiking targets). */
  E: Float64Array;
  F: Float64Array;
  /** The weight gradient [rows][cols]. */
  G: Float64Array;
  /** The tangent program's outputs of this step, [B][N] each. */
  OUT: Float64Array[];
  /** Presynaptic spikes arriving this step [B][Npre] (zeros when none). */
  S: Float64Array;
  /** The readout's error this step (readout targets) or the learning signal of the previous step, [B][N]. */
  SIG: Float64Array;
  preIndex: Int32Array;
  postIndex: Int32Array;
  B: number;
  Npre: number;
  N: number;
  /** 1 at the end of a sample: only the last Σ L f term. */
  last: number;
}

export type TraceKernel = (a: TraceArgs) => void;

const lit = (x: number): string => (Object.is(x, -0) ? '0' : String(x));

/**
 * `readout`: the post population is the readout and `v` its readout variable; otherwise the post
 * population spikes and the readout model's Jacobians RJ [nr][nr] and RJin [nr] filter the
 * spike's eligibility, `v` being the readout variable's index among the readout's state.
 */
export function compileTraceKernel(
  tan: TangentProgram,
  port: string,
  scalars: ReadonlyMap<string, number>,
  opts: { readout: true; v: number } | { readout: false; v: number; RJ: Float64Array; RJin: Float64Array },
): TraceKernel {
  const exprOf = new Map(tan.assignments.filter((a) => tan.outputs.includes(a.target)).map((a) => [a.target, a.expr]));
  const outIndex = new Map(tan.outputs.map((o, i) => [o, i]));
  /** A per-neuron value: a literal when the model makes it constant. */
  const value = (name: string): string => {
    const e: IRExpr | undefined = exprOf.get(name);
    if (e) {
      const s = specialize(e, scalars);
      if ('num' in s) return lit(s.num);
    }
    return `O${outIndex.get(name)}[n]`;
  };
  const nx = tan.state.length;
  const lines: string[] = [];
  const sum = (terms: [string, string][]): string => {
    const kept = terms.filter(([c]) => c !== '0');
    if (kept.length === 0) return '0';
    return kept.map(([c, x]) => (c === '1' ? x : `${c} * ${x}`)).join(' + ');
  };
  const J = (x: number, y: number): string => value(TANGENT.state(tan.state[x]!, tan.state[y]!));
  const Jin = (x: number): string => value(TANGENT.input(tan.state[x]!, port));
  lines.push(...tan.outputs.map((_, i) => `const O${i} = OUT[${i}];`));
  lines.push('for (let b = 0; b < B; b++) {');
  lines.push('  for (let r = 0; r < rows; r++) {');
  lines.push('    const sp = last ? 0 : S[b * Npre + preIndex[r]];');
  lines.push('    for (let q = 0; q < cols; q++) {');
  lines.push('      const n = b * N + postIndex[q];');
  lines.push('      const at = (b * rows + r) * cols + q;');
  lines.push(`      const eo = at * ${nx};`);
  for (let y = 0; y < nx; y++) lines.push(`      const e${y} = E[eo + ${y}];`);
  if (!opts.readout) {
    const nr = opts.RJin.length;
    lines.push(`      const fo = at * ${nr};`);
    // Σ_k L(k) f(k): the previous step's signal with the filtered trace it saw
    lines.push(`      G[r * cols + q] += SIG[n] * F[fo + ${opts.v}];`);
    lines.push('      if (last) continue;');
    const mw = sum([...tan.state.map((y, i): [string, string] => [value(TANGENT.marginState(y)), `e${i}`]), [value(TANGENT.marginInput(port)), 'sp']]);
    lines.push(`      const g = ${value(TANGENT.surrogate)} * (${mw});`);
    for (let x = 0; x < nr; x++) lines.push(`      const f${x} = F[fo + ${x}];`);
    for (let x = 0; x < nr; x++) {
      const terms: [string, string][] = [[lit(opts.RJin[x]!), 'g']];
      for (let y = 0; y < nr; y++) terms.push([lit(opts.RJ[x * nr + y]!), `f${y}`]);
      lines.push(`      F[fo + ${x}] = ${sum(terms)};`);
    }
  }
  for (let x = 0; x < nx; x++) {
    const terms: [string, string][] = [[Jin(x), 'sp']];
    for (let y = 0; y < nx; y++) terms.push([J(x, y), `e${y}`]);
    lines.push(`      const n${x} = ${sum(terms)};`);
  }
  for (let x = 0; x < nx; x++) lines.push(`      E[eo + ${x}] = n${x};`);
  if (opts.readout) lines.push(`      G[r * cols + q] += SIG[n] * n${opts.v};`);
  lines.push('    }', '  }', '}');
  const body = ['"use strict";', 'const { E, F, G, OUT, S, SIG, preIndex, postIndex, B, Npre, N, last } = a;', 'const rows = preIndex.length, cols = postIndex.length;', ...lines].join('\n');
  return new Function('a', body) as TraceKernel;
}
