/**
 * NIR graph -> a readable .snn model (spec/interchange.md).
 *
 * Every Input and neuron node becomes a population; each NIR neuron type used becomes a
 * `neuron` declaration written as NIR's equations (nir/ir/neuron.py) with NIR's parameter names,
 * under the conventions the exporter writes (backends/nir/export.ts): a spike of weight w adds
 * w_in*w to I, or r*w to v; reset to v_reset when v > v_threshold; times in ms, everything else
 * dimensionless. The chains of Linear / Scale / Delay nodes between two populations become one
 * projection whose connections (pre, post, weight, delay) go to a text file that `FromFile`
 * reads, so the .snn stays short. Output nodes become recordings.
 *
 * What the graph does not say is taken from snn's metadata when the file came from snn (dt,
 * spike sources, duration, seed), else defaults: dt = 1 ms, 1000 ms, the membrane starting at v_leak.
 */
import { format } from '../../lang/format.js';
import { NirImportError } from './errors.js';
import { NEURON_TYPES, NODE_FIELDS, nodeSize, type NirGraph, type NirMeta, type NirNode, type NirTensor } from './graph.js';

export { NirImportError };

export interface NirImport {
  /** The model's text. */
  text: string;
  /** Connection files the model reads with FromFile, by path relative to the model. */
  dataFiles: Map<string, string>;
}

export interface NirImportOptions {
  /** The network's name (default: the graph's snn metadata, else `imported`). */
  name?: string;
  /** The folder, relative to the model file, for connection files. */
  dataDir: string;
  /** Where the graph came from, for the header comment. */
  sourceName?: string;
}

/** The .snn declaration of each NIR neuron type, with NIR's defaults where it has them. */
const MODELS: Readonly<Record<string, { name: string; text: string }>> = {
  LIF: {
    name: 'NirLIF',
    text: `# NIR LIF: tau v' = (v_leak - v) + r I; spike when v > v_threshold, then v = v_reset.
# A spike of weight w adds r * w to v.
neuron NirLIF {
  parameters {
    tau = 10 ms            # membrane time constant
    r = 1                  # resistance
    v_leak = 0             # leak potential
    v_threshold = 1        # firing threshold
    v_reset = 0            # reset potential
  }
  state {
    v = v_leak             # membrane potential
  }
  equations {
    v' = (v_leak - v) / tau
  }
  on input(w) { v += r * w }
  spike when v > v_threshold reset { v = v_reset }
}`,
  },
  CubaLIF: {
    name: 'NirCubaLIF',
    text: `# NIR CubaLIF: tau_syn I' = -I + w_in S; tau_mem v' = (v_leak - v) + r I; spike when v > v_threshold, then v = v_reset.
# A spike of weight w adds w_in * w to I.
neuron NirCubaLIF {
  parameters {
    tau_syn = 5 ms         # synaptic time constant
    tau_mem = 10 ms        # membrane time constant
    r = 1                  # resistance
    v_leak = 0             # leak potential
    v_threshold = 1        # firing threshold
    v_reset = 0            # reset potential
    w_in = 1               # input weight (elementwise)
  }
  state {
    v = v_leak             # membrane potential
    I = 0                  # synaptic current
  }
  equations {
    v' = (v_leak - v + r * I) / tau_mem
    I' = -I / tau_syn
  }
  on input(w) { I += w_in * w }
  spike when v > v_threshold reset { v = v_reset }
}`,
  },
  LI: {
    name: 'NirLI',
    text: `# NIR LI: tau v' = (v_leak - v) + r I, no spikes. A spike of weight w adds r * w to v.
neuron NirLI {
  parameters {
    tau = 10 ms            # time constant
    r = 1                  # resistance
    v_leak = 0             # leak potential
  }
  state {
    v = v_leak             # membrane potential (the readout)
  }
  equations {
    v' = (v_leak - v) / tau
  }
  on input(w) { v += r * w }
}`,
  },
  CubaLI: {
    name: 'NirCubaLI',
    text: `# NIR CubaLI: tau_syn I' = -I + w_in S; tau_mem v' = (v_leak - v) + r I, no spikes.
# A spike of weight w adds w_in * w to I.
neuron NirCubaLI {
  parameters {
    tau_syn = 5 ms         # synaptic time constant
    tau_mem = 10 ms        # membrane time constant
    r = 1                  # resistance
    v_leak = 0             # leak potential
    w_in = 1               # input weight (elementwise)
  }
  state {
    v = v_leak             # membrane potential (the readout)
    I = 0                  # synaptic current
  }
  equations {
    v' = (v_leak - v + r * I) / tau_mem
    I' = -I / tau_syn
  }
  on input(w) { I += w_in * w }
}`,
  },
  IF: {
    name: 'NirIF',
    text: `# NIR IF: v' = r I; spike when v > v_threshold, then v = v_reset. A spike of weight w adds r * w to v.
neuron NirIF {
  parameters {
    r = 1                  # resistance
    v_threshold = 1        # firing threshold
    v_reset = 0            # reset potential
  }
  state {
    v = 0                  # membrane potential
  }
  equations {
    v' = 0 / 1 ms
  }
  on input(w) { v += r * w }
  spike when v > v_threshold reset { v = v_reset }
}`,
  },
  I: {
    name: 'NirI',
    text: `# NIR I (integrator): v' = r I, no spikes. A spike of weight w adds r * w to v.
neuron NirI {
  parameters {
    r = 1                  # resistance
  }
  state {
    v = 0                  # the integral
  }
  equations {
    v' = 0 / 1 ms
  }
  on input(w) { v += r * w }
}`,
  },
};

/** Parameters of each type that carry a time unit. */
const TIME_FIELDS = new Set(['tau', 'tau_syn', 'tau_mem']);
/** Node types that sit on an edge between two populations. */
const EDGE_TYPES = new Set(['Linear', 'Affine', 'Scale', 'Delay']);

/** The shortest text that reads back as the same float64. */
const num = (x: number): string => String(x);

function metaNumber(meta: NirMeta, key: string): number | undefined {
  const v = meta[key];
  return v !== undefined && typeof v !== 'string' && v.data.length > 0 ? v.data[0] : undefined;
}

function metaString(meta: NirMeta, key: string): string | undefined {
  const v = meta[key];
  return typeof v === 'string' ? v : undefined;
}

/** A snn identifier for a node name. */
function ident(name: string, taken: Set<string>): string {
  let id = name.replace(/[^A-Za-z0-9_]/g, '_');
  if (!/^[A-Za-z_]/.test(id)) id = `n_${id}`;
  let out = id;
  for (let k = 2; taken.has(out); k++) out = `${id}_${k}`;
  taken.add(out);
  return out;
}

/** What flows along a chain of edge nodes from a population: a matrix [out, pre] and a delay per output. */
interface Flow {
  /** null: the identity (nothing but Delays and Scales so far, applied elementwise). */
  weight: Float64Array | null;
  rows: number;
  cols: number;
  scale: number[] | null;
  delay: number[];
}

export function importNir(graph: NirGraph, opts: NirImportOptions): NirImport {
  validate(graph);
  const meta = graph.metadata;
  const dt = metaNumber(meta, 'dt') ?? 1;
  const duration = metaNumber(meta, 'duration') ?? 1000;
  const seed = metaNumber(meta, 'seed');
  const netName = opts.name ?? metaString(meta, 'network') ?? 'imported';
  const taken = new Set<string>(['network', 'dt', 'duration', 'seed']);
  const popNames = new Map<string, string>();
  const out = new Map<string, string[]>();
  for (const [a, b] of graph.edges) {
    if (!(a in graph.nodes) || !(b in graph.nodes)) throw new NirImportError(`the edge ${a} -> ${b} names a node the graph does not have`);
    out.set(a, [...(out.get(a) ?? []), b]);
  }
  // Populations in the order signals flow: Inputs first, then breadth first along the edges.
  const isPop = (n: NirNode): boolean => n.type === 'Input' || NEURON_TYPES.has(n.type);
  const order: string[] = [];
  const queue = Object.keys(graph.nodes).filter((k) => graph.nodes[k]!.type === 'Input');
  const seen = new Set<string>(queue);
  for (let q = 0; q < queue.length; q++) {
    order.push(queue[q]!);
    for (const next of out.get(queue[q]!) ?? []) if (!seen.has(next)) (seen.add(next), queue.push(next));
  }
  for (const k of Object.keys(graph.nodes)) if (!seen.has(k)) order.push(k);
  const pops = order.filter((k) => isPop(graph.nodes[k]!)).map((k) => [k, graph.nodes[k]!] as const);
  for (const [name] of pops) popNames.set(name, ident(name, taken));

  const lines: string[] = [];
  const used = new Set<string>();
  const popLines: string[] = [];
  for (const [name, node] of pops) {
    const id = popNames.get(name)!;
    const n = nodeSize(node);
    if (node.type === 'Input') {
      popLines.push(...inputPopulation(id, n, node));
      continue;
    }
    used.add(node.type);
    const args: string[] = [];
    for (const f of NODE_FIELDS[node.type]!) {
      const t = node.fields[f];
      if (!t) continue;
      const vals = t.data;
      if (!vals.every((x) => x === vals[0])) {
        throw new NirImportError(`node '${name}' has a different '${f}' for each neuron; snn import needs one value per population (split the layer into populations of equal parameters)`);
      }
      args.push(`${f}: ${num(vals[0]!)}${TIME_FIELDS.has(f) ? ' ms' : ''}`);
    }
    popLines.push(`${id} = Population(${n}, ${MODELS[node.type]!.name}(${args.join(', ')}))`);
  }

  // Projections: every path population -> edge nodes* -> population.
  const projLines: string[] = [];
  const dataFiles = new Map<string, string>();
  for (const [name, node] of pops) {
    const n = nodeSize(node);
    const walk = (at: string, flow: Flow, seen: Set<string>): void => {
      for (const next of out.get(at) ?? []) {
        const nn = graph.nodes[next]!;
        if (nn.type === 'Output') continue;
        if (popNames.has(next)) {
          if (nn.type === 'Input') throw new NirImportError(`the edge ${at} -> ${next} leads into an Input node`);
          const m = nodeSize(nn);
          const rows = flow.weight ? flow.rows : flow.cols;
          if (rows !== m) throw new NirImportError(`the path ${name} -> ${next} delivers ${rows} values to a node of ${m} neurons`);
          const base = `${opts.dataDir}/${popNames.get(name)}_to_${popNames.get(next)}`;
          let file = `${base}.txt`;
          for (let k = 2; dataFiles.has(file); k++) file = `${base}_${k}.txt`;
          dataFiles.set(file, connectionFile(flow, n, dt, `${name} -> ${next}`));
          projLines.push(`Projection(${popNames.get(name)} -> ${popNames.get(next)}, FromFile("${file}"))`);
          continue;
        }
        if (!EDGE_TYPES.has(nn.type)) throw new NirImportError(`node '${next}' of type ${nn.type} cannot sit between two populations in snn import`);
        if (seen.has(next)) throw new NirImportError(`a cycle through '${next}' that passes no population`);
        walk(next, apply(flow, nn, next), new Set([...seen, next]));
      }
    };
    walk(name, { weight: null, rows: n, cols: n, scale: null, delay: new Array<number>(n).fill(0) }, new Set());
  }

  // Recordings: what snn recorded (its metadata), and what feeds the Output nodes.
  const records: string[] = [];
  const recordOnce = (r: string): void => void (records.includes(r) || records.push(r));
  for (const [name, node] of pops) {
    const vars = metaString(node.metadata, 'snn_record');
    const known = new Set(['spikes', 'v', ...(node.type.startsWith('Cuba') ? ['I'] : [])]);
    for (const v of vars?.split(',') ?? []) if (known.has(v) && (v !== 'spikes' || node.type !== 'LI')) recordOnce(`${popNames.get(name)}.${v}`);
  }
  for (const [a, b] of graph.edges) {
    if (graph.nodes[b]!.type !== 'Output' || !popNames.has(a)) continue;
    const t = graph.nodes[a]!.type;
    recordOnce(`${popNames.get(a)}.${t === 'LI' || t === 'CubaLI' || t === 'I' ? 'v' : 'spikes'}`);
  }

  lines.push(`# Imported from the NIR graph ${opts.sourceName ?? ''} by snn import.`.replace('  ', ' '));
  lines.push('# NIR stores no units: times are in ms, everything else is dimensionless (spec/interchange.md).');
  lines.push('');
  for (const t of [...used].sort()) lines.push(MODELS[t]!.text, '');
  lines.push(`network ${ident(netName, new Set())} {`);
  lines.push(`  dt = ${num(dt)} ms`);
  lines.push(`  duration = ${num(duration)} ms`);
  if (seed !== undefined) lines.push(`  seed = ${num(seed)}`);
  for (const l of popLines) lines.push(`  ${l}`);
  for (const l of projLines) lines.push(`  ${l}`);
  if (records.length > 0) lines.push(`  record ${records.join(', ')}`);
  lines.push('}', '');
  const text = lines.join('\n');
  const f = format(text, 'imported.snn');
  if (!('output' in f) || f.output === undefined) throw new NirImportError('the generated model does not parse (a bug in snn import)');
  return { text: f.output, dataFiles };
}

function inputPopulation(id: string, n: number, node: NirNode): string[] {
  const m = node.metadata;
  const model = metaString(m, 'snn_model');
  const source = metaString(m, 'snn_source');
  if (source) {
    const args = Object.keys(m)
      .filter((k) => k.startsWith('snn_source_'))
      .map((k) => `${k.slice('snn_source_'.length)}: ${typeof m[k] === 'string' ? JSON.stringify(m[k]) : num(metaNumber(m, k)!)}`);
    return [`${id} = Population(${n}, SpikeSourceArray) from ${source}(${args.join(', ')})`];
  }
  const rate = m.rate;
  if (model === 'SpikeSourcePoisson' && rate && typeof rate !== 'string' && rate.data.every((x) => x === rate.data[0])) {
    const extra = ['start', 'duration']
      .map((k) => [k, metaNumber(m, k)] as const)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `, ${k}: ${num(v!)} ms`)
      .join('');
    return [`${id} = Population(${n}, SpikeSourcePoisson(rate: ${num(rate.data[0]!)} Hz${extra}))`];
  }
  const times = m.spike_times;
  const counts = m.spike_counts;
  if (times && counts && typeof times !== 'string' && typeof counts !== 'string' && counts.data.length === n) {
    const lists: string[] = [];
    let at = 0;
    for (const c of counts.data) {
      lists.push(`[${times.data.slice(at, at + c).map((t) => `${num(t)} ms`).join(', ')}]`);
      at += c;
    }
    return [`${id} = Population(${n}, SpikeSourceArray(spike_times: [${lists.join(', ')}]))`];
  }
  return [`# NIR Input node: give it spikes (spike_times: […]) or a data source (\`from randman(…)\`).`, `${id} = Population(${n}, SpikeSourceArray)`];
}

/** The flow after one more edge node. */
function apply(flow: Flow, node: NirNode, name: string): Flow {
  const width = flow.weight ? flow.rows : flow.cols;
  switch (node.type) {
    case 'Linear':
    case 'Affine': {
      const w = node.fields.weight!;
      if (w.shape.length !== 2) throw new NirImportError(`node '${name}': weight must be a matrix, not of shape [${w.shape.join(', ')}]`);
      if (node.type === 'Affine' && node.fields.bias!.data.some((b) => b !== 0)) {
        throw new NirImportError(`node '${name}': an Affine node with a bias (a constant input current) has no snn equivalent here; fold the bias into the neurons' v_leak`);
      }
      if (flow.delay.some((d) => d !== 0)) throw new NirImportError(`node '${name}': a Delay before a Linear node (snn delays are per connection, after the weights)`);
      const [rows, inner] = [w.shape[0]!, w.shape[1]!];
      if (inner !== width) throw new NirImportError(`node '${name}': weight has ${inner} columns for ${width} inputs`);
      const cols = flow.cols;
      const prev = flow.weight;
      const outW = new Float64Array(rows * cols);
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < inner; j++) {
          let wij = w.data[i * inner + j]!;
          if (wij === 0) continue;
          if (flow.scale) wij *= flow.scale[j]!;
          if (prev) for (let c = 0; c < cols; c++) outW[i * cols + c]! += wij * prev[j * cols + c]!;
          else outW[i * cols + j]! += wij;
        }
      }
      return { weight: outW, rows, cols, scale: null, delay: new Array<number>(rows).fill(0) };
    }
    case 'Scale': {
      const s = node.fields.scale!.data;
      if (s.length !== width) throw new NirImportError(`node '${name}': ${s.length} scales for ${width} inputs`);
      const scale = flow.scale ? flow.scale.map((x, i) => x * s[i]!) : [...s];
      return { ...flow, scale };
    }
    case 'Delay': {
      const d = node.fields.delay!.data;
      const ds = d.length === 1 ? new Array<number>(width).fill(d[0]!) : d;
      if (ds.length !== width) throw new NirImportError(`node '${name}': ${d.length} delays for ${width} inputs`);
      return { ...flow, delay: flow.delay.map((x, i) => x + ds[i]!) };
    }
    default:
      throw new NirImportError(`node '${name}' of type ${node.type} cannot sit between two populations`);
  }
}

/** The FromFile text of a flow: `pre, post, weight, delay` per nonzero weight. */
function connectionFile(flow: Flow, n: number, dt: number, what: string): string {
  const out: string[] = [`# ${what}: pre, post, weight, delay (ms)`];
  const delayOf = (i: number): number => {
    const d = flow.delay[i] ?? 0;
    return d > 0 ? d : dt;
  };
  if (!flow.weight) {
    for (let i = 0; i < n; i++) {
      const w = flow.scale ? flow.scale[i]! : 1;
      if (w !== 0) out.push(`${i}, ${i}, ${num(w)}, ${num(delayOf(i))}`);
    }
  } else {
    for (let i = 0; i < flow.rows; i++) {
      for (let j = 0; j < flow.cols; j++) {
        let w = flow.weight[i * flow.cols + j]!;
        if (flow.scale) w *= flow.scale[i]!;
        if (w !== 0) out.push(`${j}, ${i}, ${num(w)}, ${num(delayOf(i))}`);
      }
    }
  }
  return `${out.join('\n')}\n`;
}

/** Node types and fields snn import knows, with consistent shapes. */
function validate(graph: NirGraph): void {
  for (const [name, node] of Object.entries(graph.nodes)) {
    const fields = NODE_FIELDS[node.type];
    if (!fields) throw new NirImportError(`node '${name}' is of type ${node.type}, which snn import does not support (it reads ${Object.keys(NODE_FIELDS).join(', ')})`);
    // NIR's optional fields: v_reset (zeros) and w_in (ones).
    const optional = new Set(['v_reset', 'w_in']);
    for (const f of fields) {
      if (!node.fields[f] && !optional.has(f)) throw new NirImportError(`node '${name}' (${node.type}) has no '${f}'`);
    }
    if (NEURON_TYPES.has(node.type)) {
      const n = node.fields[fields[0]!]!.data.length;
      for (const f of fields) {
        const t: NirTensor | undefined = node.fields[f];
        if (t && t.data.length !== n) throw new NirImportError(`node '${name}': '${f}' has ${t.data.length} values, '${fields[0]}' has ${n}`);
      }
      if (!node.fields.v_reset && fields.includes('v_reset')) node.fields.v_reset = { shape: [n], data: new Array<number>(n).fill(0) };
      if (!node.fields.w_in && fields.includes('w_in')) node.fields.w_in = { shape: [n], data: new Array<number>(n).fill(1) };
    }
  }
}
