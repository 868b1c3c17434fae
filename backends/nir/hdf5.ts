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
import { closeSync, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import type { Dataset as H5Dataset, Group as H5Group } from 'h5wasm';
import { NIR_VERSION, type NirGraph, type NirMeta, type NirNode, type NirTensor } from './graph.js';

type H5Module = typeof import('h5wasm/node').default;

async function h5(): Promise<H5Module> {
  const { default: m } = await import('h5wasm/node');
  await m.ready;
  return m;
}

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
  const m = await h5();
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    const f = new m.File(tmp, 'w');
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
    f.close();
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
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

/** HDF5's signature sits at byte 0, 512, 1024, 2048, … (HDF5 file format spec, superblock). */
function isHdf5(path: string): boolean {
  const sig = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
  const size = statSync(path).size;
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(8);
    for (let at = 0; at + 8 <= size; at = at === 0 ? 512 : at * 2) {
      if (readSync(fd, buf, 0, 8, at) === 8 && buf.equals(sig)) return true;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

export async function readNir(path: string): Promise<NirGraph> {
  // h5wasm prints HDF5's error stack for files that are not HDF5: check the signature first.
  if (!isHdf5(path)) throw new NirReadError('not an HDF5 file');
  const m = await h5();
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
