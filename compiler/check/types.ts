/** The types the checker infers for expressions. Units are dimensions; values are internal-unit numbers. */
import type { ModelDecl, ModelKind } from '../../lang/ast.js';
import type { Range } from '../../lang/source.js';
import { dimName, formatDim, isDimensionless, type Dim } from '../units.js';

export interface ModelInfo {
  name: string;
  kind: ModelKind;
  decl: ModelDecl;
  /** The file that declares it. */
  file: string;
  fromStdlib: boolean;
  params: Map<string, VarInfo>;
  state: Map<string, VarInfo>;
  aliases: Map<string, VarInfo>;
  traces: Map<string, VarInfo>;
  /** Input ports: '' for `on input(w)`, else the port name; value = the weight's dimension (undefined: any). */
  ports: Map<string, Dim | undefined>;
  hasSpikeRule: boolean;
  /** Neurons with no input handler, state or equations (SpikeSourcePoisson, SpikeSourceArray). */
  isSpikeSource: boolean;
}

export interface VarInfo {
  name: string;
  range: Range;
  /** Undefined when it could not be inferred (an error was reported or it is polymorphic). */
  dim?: Dim;
  /** Internal-unit value of a constant default, when it is one. */
  value?: number;
  doc?: string;
}

export type Type =
  /** A number with a dimension; `dim` undefined means any dimension (a bare 0, the weight w, …). */
  | { kind: 'quantity'; dim?: Dim; value?: number }
  | { kind: 'bool' }
  | { kind: 'string'; value: string }
  | { kind: 'list' }
  | { kind: 'object' }
  /** A population, view or assembly; `models` lists the cell types involved. */
  | { kind: 'population'; name: string; size?: number; models: ModelInfo[] }
  | { kind: 'projection' }
  /** A model used as a value: `IF_curr_exp` or `IF_curr_exp(tau_m: 10 ms)`. */
  | { kind: 'model'; model: ModelInfo }
  /** A built-in used as a value (`AllToAll`) or the result of calling one (`FixedProbability(0.1)`). */
  | { kind: 'builtin'; builtinKind: string; name: string }
  /** An arrow `pre -> post`. */
  | { kind: 'arrow'; pre: Type; post: Type }
  /** Not known: an error was already reported, or nothing can be said. Never reported again. */
  | { kind: 'unknown' };

export const UNKNOWN: Type = { kind: 'unknown' };
export const quantity = (dim?: Dim, value?: number): Type => (value === undefined ? { kind: 'quantity', dim } : { kind: 'quantity', dim, value });

/** A unit for messages: 'mV', 'a plain number', 'time (ms)' when `named`. */
export function describeDim(d: Dim | undefined, named = false): string {
  if (d === undefined) return 'any unit';
  if (isDimensionless(d)) return 'a plain number';
  const unit = formatDim(d);
  const name = dimName(d);
  return named && name ? `${name} (${unit})` : unit;
}

export function describeType(t: Type): string {
  switch (t.kind) {
    case 'quantity':
      return describeDim(t.dim, true);
    case 'bool':
      return 'a condition';
    case 'string':
      return 'a string';
    case 'list':
      return 'a list';
    case 'object':
      return 'a set of named values';
    case 'population':
      return `population '${t.name}'`;
    case 'projection':
      return 'a projection';
    case 'model':
      return `the ${t.model.kind} model '${t.model.name}'`;
    case 'builtin':
      return `the ${t.builtinKind} '${t.name}'`;
    case 'arrow':
      return "an arrow 'pre -> post'";
    case 'unknown':
      return 'an unknown value';
  }
}
