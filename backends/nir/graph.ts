/**
 * NIR graphs in memory (neuromorphs/NIR, `nir/ir/*.py`; Pedersen et al. 2024, Nat. Commun. 15,
 * 8122): nodes with a `type` and one array per field, edges between node names. Arrays are
 * float64 with an explicit shape (row-major); integer fields (`shape` of Input and Output) are
 * int64 on disk.
 */
export interface NirTensor {
  shape: number[];
  data: number[];
  /** int64 on disk (Input/Output shapes); float64 otherwise. */
  integer?: boolean;
}

export type NirMeta = Record<string, NirTensor | string>;

export interface NirNode {
  type: string;
  fields: Record<string, NirTensor>;
  metadata: NirMeta;
}

export interface NirGraph {
  nodes: Record<string, NirNode>;
  edges: [string, string][];
  metadata: NirMeta;
}

/** The NIR release whose layout the files follow. */
export const NIR_VERSION = '1.0.7';

/** The fields each supported node type must have, in the order nir/ir declares them. */
export const NODE_FIELDS: Readonly<Record<string, readonly string[]>> = {
  Input: ['shape'],
  Output: ['shape'],
  LIF: ['tau', 'r', 'v_leak', 'v_threshold', 'v_reset'],
  CubaLIF: ['tau_syn', 'tau_mem', 'r', 'v_leak', 'v_threshold', 'v_reset', 'w_in'],
  LI: ['tau', 'r', 'v_leak'],
  CubaLI: ['tau_syn', 'tau_mem', 'r', 'v_leak', 'w_in'],
  IF: ['r', 'v_threshold', 'v_reset'],
  I: ['r'],
  Linear: ['weight'],
  Affine: ['weight', 'bias'],
  Scale: ['scale'],
  Delay: ['delay'],
  Threshold: ['threshold'],
};

/** Neuron node types: one population each. */
export const NEURON_TYPES = new Set(['LIF', 'CubaLIF', 'LI', 'CubaLI', 'IF', 'I']);

export function vector(xs: readonly number[]): NirTensor {
  return { shape: [xs.length], data: [...xs] };
}

export function intVector(xs: readonly number[]): NirTensor {
  return { shape: [xs.length], data: [...xs], integer: true };
}

/** The number of neurons a node stands for: its first field's length (Input/Output: the shape's product). */
export function nodeSize(node: NirNode): number {
  if (node.type === 'Input' || node.type === 'Output') return node.fields.shape!.data.reduce((a, b) => a * b, 1);
  if (node.type === 'Linear' || node.type === 'Affine') return node.fields.weight!.shape[0]!;
  const first = Object.values(node.fields)[0];
  return first ? first.data.length : 0;
}
