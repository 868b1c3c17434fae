/**
 * NIR graphs to and from HDF5 in the layout of `nir.write` / `nir.read` (nir/serialization.py):
 *
 *   /version                       string
 *   /node/type                     "NIRGraph"
 *   /node/nodes/NAME/type          string, e.g. "CubaLIF"
 *   /node/nodes/NAME/FIELD         float64 array (Input/Output: `shape`, int64)
 *   /node/nodes/NAME/metadata/KEY  optional
 *   /node/edges                    string [n_edges, 2]: source, target
 *   /node/metadata/KEY             optional
 *
 * Strings are variable-length UTF-8, as h5py's string_dtype() writes them. The file is written
 * under a temporary name and renamed into place.
 */
import { NirImportError as NirReadError } from './errors.js';
import { h5wasm, isHdf5, writeHdf5Atomically, type H5Module } from '../files.js';
import type { Dataset as H5Dataset, Group as H5Group } from 'h5wasm';
import { NIR_VERSION, type NirGraph, type NirMeta, type NirNode, type NirTensor } from './graph.js';


function writeTensor(g: H5Group, name: string, t: NirTensor): void {
  if (t.integer) {
    g.create_dataset({ name, data: BigInt64Array.from(t.data.map((x) => BigInt(Math.round(x)))), shape: t.shape });
    return;
  }
  const data = Float64Array.from(t.data);
  // Large arrays (weight matrices) are chunked and gzipped, as nir.write does.
  if (data.length >= 4096) g.create_dataset({ name, data, shape: t.shape, chunks: t.shape, compression: 'gzip', compression_opts: 4 });
  else g.create_dataset({ name, data, shape: t.shape });
}

function writeMeta(g: H5Group, meta: NirMeta): void {
  const keys = Object.keys(meta);
  if (keys.length === 0) return;
  const m = g.create_group('metadata');
  for (const k of keys) {
    const v = meta[k]!;
    if (typeof v === 'string') m.create_dataset({ name: k, data: v });
    else writeTensor(m, k, v);
  }
}

export async function writeNir(path: string, graph: NirGraph): Promise<void> {
  await writeHdf5Atomically(path, (f) => {
    f.create_dataset({ name: 'version', data: NIR_VERSION });
    const root = f.create_group('node');
    root.create_dataset({ name: 'type', data: 'NIRGraph' });
    const nodes = root.create_group('nodes');
    for (const [name, node] of Object.entries(graph.nodes)) {
      const g = nodes.create_group(name);
      g.create_dataset({ name: 'type', data: node.type });
      for (const [k, t] of Object.entries(node.fields)) writeTensor(g, k, t);
      writeMeta(g, node.metadata);
    }
    root.create_dataset({ name: 'edges', data: graph.edges.flat(), shape: [graph.edges.length, 2] });
    writeMeta(root, graph.metadata);
  });
}


function readTensor(d: H5Dataset): NirTensor | string {
  const v = d.value;
  if (typeof v === 'string') return v;
  const shape = d.shape ?? [];
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) return { shape, data: Array.from(v, Number), integer: true };
  if (ArrayBuffer.isView(v)) return { shape, data: Array.from(v as unknown as ArrayLike<number>) };
  if (typeof v === 'number' || typeof v === 'bigint') return { shape: [], data: [Number(v)] };
  if (typeof v === 'boolean') return { shape: [], data: [v ? 1 : 0] };
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return { shape, data: v as number[] };
  throw new NirReadError(`dataset '${d.path}' holds a value snn cannot read`);
}

function readMeta(g: H5Group, m: H5Module): NirMeta {
  const mg = g.get('metadata');
  const out: NirMeta = {};
  if (!(mg instanceof m.Group)) return out;
  for (const k of mg.keys()) {
    const d = mg.get(k);
    if (d instanceof m.Dataset) out[k] = readTensor(d);
  }
  return out;
}

function readString(g: H5Group, name: string, m: H5Module): string | undefined {
  const d = g.get(name);
  if (!(d instanceof m.Dataset)) return undefined;
  const v = d.value;
  return typeof v === 'string' ? v : undefined;
}

export async function readNir(path: string): Promise<NirGraph> {
  if (!isHdf5(path)) throw new NirReadError('not an HDF5 file');
  const m = await h5wasm();
  let f;
  try {
    f = new m.File(path, 'r');
  } catch {
    throw new NirReadError('not an HDF5 file');
  }
  try {
    if (!f.keys().includes('node')) throw new NirReadError("no 'node' group at the root (not a NIR file)");
    const root = f.get('node');
    if (!(root instanceof m.Group)) throw new NirReadError("'node' is not a group");
    const type = readString(root, 'type', m);
    if (type !== 'NIRGraph') throw new NirReadError(`the root node is a '${type ?? '?'}', not a NIRGraph`);
    const nodesG = root.get('nodes');
    if (!(nodesG instanceof m.Group)) throw new NirReadError("the graph has no 'nodes' group");
    const nodes: Record<string, NirNode> = {};
    for (const name of nodesG.keys()) {
      const g = nodesG.get(name);
      if (!(g instanceof m.Group)) throw new NirReadError(`node '${name}' is not a group`);
      const t = readString(g, 'type', m);
      if (!t) throw new NirReadError(`node '${name}' has no type`);
      const fields: Record<string, NirTensor> = {};
      for (const k of g.keys()) {
        if (k === 'type' || k === 'metadata') continue;
        const d = g.get(k);
        if (!(d instanceof m.Dataset)) continue; // input_type / output_type groups, nested graphs' parts
        const x = readTensor(d);
        if (typeof x !== 'string') fields[k] = x;
      }
      nodes[name] = { type: t, fields, metadata: readMeta(g, m) };
    }
    const ed = root.get('edges');
    if (!(ed instanceof m.Dataset)) throw new NirReadError("the graph has no 'edges'");
    const raw = ed.value;
    const flat = (Array.isArray(raw) ? raw : []).map(String);
    if (flat.length % 2 !== 0) throw new NirReadError("'edges' is not a list of pairs");
    const edges: [string, string][] = [];
    for (let k = 0; k < flat.length; k += 2) edges.push([flat[k]!, flat[k + 1]!]);
    return { nodes, edges, metadata: readMeta(root, m) };
  } finally {
    f.close();
  }
}
