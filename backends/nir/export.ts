/**
 * Network IR -> NIR graph (spec/interchange.md).
 *
 * Each population becomes one node: spike sources an `Input`, neurons the NIR primitive their
 * equations match (compiler/analyse/lif-form.ts): LIF, CubaLIF, LI, CubaLI, IF or I. Each
 * projection becomes a `Linear` node (weight[post, pre], the connections generated exactly as
 * the CPU backend generates them, duplicates summed), followed by a `Delay` node when its delay
 * is longer than one step. Populations nothing projects from get an `Output` node.
 *
 * Conventions, written into the graph's metadata because NIR stores none (anchors.md §4.5):
 * times in ms; a spike of weight w arriving at a CubaLIF/CubaLI node adds w_in * w to I, and at
 * a LIF/LI/IF/I node adds r * w to v, at the spike (the discrete-time reading of NIR's
 * equations used by snnTorch and hxtorch); reset sets v to v_reset; the spike test is v > v_threshold.
 * A delay of one step (dt) is the implicit delay of every edge and gets no Delay node.
 */
import { connect, expandSlices } from '../../compiler/connect.js';
import { recogniseLif, uniform, type LifForm } from '../../compiler/analyse/lif-form.js';
import type { IRPopulation, IRProjection, NetworkIR } from '../../compiler/ir/types.js';
import { ExportError, type Finding } from '../findings.js';
import { intVector, vector, type NirGraph, type NirMeta, type NirNode, type NirTensor } from './graph.js';

const TARGET = 'NIR';

export interface NirExport {
  graph?: NirGraph;
  findings: Finding[];
}

export function exportNir(ir: NetworkIR, opts: { snnVersion?: string } = {}): NirExport {
  const findings: Finding[] = [];
  try {
    const graph = new NirExporter(ir, findings).run(opts.snnVersion ?? '');
    return { graph, findings };
  } catch (e) {
    if (!(e instanceof ExportError)) throw e;
    findings.push({ name: 'CannotExport', args: [TARGET, e.reason], ...(e.at ? { at: e.at } : {}) });
    return { findings };
  }
}

class NirExporter {
  private readonly nodes: Record<string, NirNode> = {};
  private readonly edges: [string, string][] = [];
  /** Per population and port: the multiplier of an arriving weight, per neuron (see the file comment). */
  private readonly scales = new Map<string, Map<string, number[]>>();
  private readonly sizes = new Map<string, number>();

  constructor(
    private readonly ir: NetworkIR,
    private readonly findings: Finding[],
  ) {}

  private warn(name: Finding['name'], args: (string | number)[], at?: string): void {
    this.findings.push({ name, args: [TARGET, ...args], ...(at ? { at } : {}) });
  }

  run(snnVersion: string): NirGraph {
    for (const p of this.ir.populations) {
      this.sizes.set(p.name, p.size);
      this.nodes[p.name] = this.population(p);
    }
    for (const proj of this.ir.projections) this.projection(proj);
    this.ir.currentSources.forEach((c, k) => {
      const targets = [...new Set(c.target.map((s) => s.population))].join(', ');
      this.warn('CurrentSourceDropped', [c.kind, targets], `current:${k}`);
    });
    this.outputs();
    const metadata: NirMeta = {
      source: 'snn',
      network: this.ir.name,
      dt: vector([this.ir.dt]),
      time_unit: 'ms',
      unit_system: Object.entries(this.ir.units).map(([q, u]) => `${q}: ${u}`).join(', '),
      reset: 'v is set to v_reset when v > v_threshold',
      input_convention: 'a spike of weight w adds w_in*w to I (CubaLIF, CubaLI) or r*w to v (LIF, LI, IF, I) at the spike; an edge without a Delay node delays by one step (dt)',
    };
    if (snnVersion) metadata.snn_version = snnVersion;
    if (this.ir.duration > 0) metadata.duration = vector([this.ir.duration]);
    metadata.seed = vector([this.ir.seed]);
    return { nodes: this.nodes, edges: this.edges, metadata };
  }

  // ------------------------------------------------------------------ populations
  private population(p: IRPopulation): NirNode {
    const model = this.ir.models[p.model]!;
    const at = `population:${p.name}`;
    if (model.kind !== 'neuron' || p.source) return this.input(p, model.kind);
    const r = recogniseLif(model, p);
    if (!r.ok) throw new ExportError(`population '${p.name}': the neuron model '${p.model}' is not one of NIR's neurons (LIF, CubaLIF, LI, CubaLI, IF, I): ${r.reason}`, at);
    const f = r.form;
    if (f.linearised) this.warn('ConductanceLinearised', [p.name, p.model], at);
    const refr = Math.max(...f.refractory);
    if (refr > 0) this.warn('RefractoryDropped', [p.name, refr], at);
    const { node, factor } = this.neuronNode(p, f);
    const restV = f.tauMem.every(Number.isFinite) ? f.vLeak : f.v0.map(() => 0);
    if (f.v0.some((v, i) => Math.abs(v - restV[i]!) > 1e-9 * (1 + Math.abs(v)))) {
      const shown = uniform(f.v0) ? String(f.v0[0]) : 'values that differ from neuron to neuron';
      this.warn('InitialStateDropped', [p.name, f.v, shown], at);
    }
    this.scales.set(p.name, factor);
    node.metadata = { snn_model: p.model, ...this.recorded(p.name) };
    return node;
  }

  /** What snn records of a population (whole populations only), for snn import to record again. */
  private recorded(name: string): NirMeta {
    const pop = this.ir.populations.find((p) => p.name === name)!;
    const vars = this.ir.recordings
      .filter((r) => r.target.length === 1 && r.target[0]!.population === name && r.target[0]!.start === 0 && r.target[0]!.stop === pop.size && r.target[0]!.step === 1)
      .map((r) => r.variable);
    return vars.length > 0 ? { snn_record: vars.join(',') } : {};
  }

  private input(p: IRPopulation, kind: string): NirNode {
    const metadata: NirMeta = { snn_model: p.model, ...this.recorded(p.name) };
    let what: string;
    if (p.source) {
      what = `data source ${p.source.kind}`;
      metadata.snn_source = p.source.kind;
      for (const [k, v] of Object.entries(p.source.args)) metadata[`snn_source_${k}`] = typeof v === 'string' ? v : vector([v]);
    } else if (kind === 'poisson') {
      what = 'Poisson';
      for (const k of ['rate', 'start', 'duration']) {
        const v = p.params[k];
        if (v !== undefined) metadata[k] = vector(typeof v === 'number' ? new Array<number>(p.size).fill(v) : v);
      }
    } else {
      what = 'spike times';
      const lists = p.spikeTimes ?? [[]];
      const per = Array.from({ length: p.size }, (_, i) => lists.length === 1 ? lists[0]! : lists[i] ?? []);
      metadata.spike_times = vector(per.flat());
      metadata.spike_counts = intVector(per.map((l) => l.length));
    }
    this.warn('InputSpikesNotCarried', [p.name, what], `population:${p.name}`);
    return { type: 'Input', fields: { shape: intVector([p.size]) }, metadata };
  }

  /** The NIR neuron node of a recognised model, and how each port's weights scale onto its input. */
  private neuronNode(p: IRPopulation, f: LifForm): { node: NirNode; factor: Map<string, number[]> } {
    const at = `population:${p.name}`;
    const n = p.size;
    const leaky = f.tauMem.map(Number.isFinite);
    if (!leaky.every((x) => x === leaky[0])) throw new ExportError(`population '${p.name}' mixes leaky and non-leaky neurons`, at);
    const isLeaky = leaky[0]!;
    const factor = new Map<string, number[]>();
    const fields: Record<string, NirTensor> = {};
    let type: string;
    if (f.synapses.length === 0) {
      // Inputs jump v directly: r is the jump per unit weight of the first port.
      const ref = f.ports[0];
      if (f.ports.some((q) => q.target !== f.v)) throw new ExportError(`population '${p.name}': an input port targets a variable that is not the membrane`, at);
      const r = ref ? ref.c : new Array<number>(n).fill(1);
      if (r.some((x) => x === 0)) throw new ExportError(`population '${p.name}': its input handler adds nothing`, at);
      for (const q of f.ports) factor.set(q.port, q.c.map((c, i) => c / r[i]!));
      if (!isLeaky && f.drift.some((d) => d !== 0)) throw new ExportError(`population '${p.name}': a non-leaky membrane with a constant drive (NIR's IF and I have no bias)`, at);
      type = f.spike ? (isLeaky ? 'LIF' : 'IF') : isLeaky ? 'LI' : 'I';
      if (isLeaky) fields.tau = vector(f.tauMem);
      fields.r = vector(r);
      if (isLeaky) fields.v_leak = vector(f.vLeak);
    } else {
      if (!isLeaky) throw new ExportError(`population '${p.name}': a non-leaky membrane with synaptic currents has no NIR primitive`, at);
      for (let i = 0; i < n; i++) {
        const taus = f.synapses.map((s) => s.tau[i]!);
        if (!uniform(taus, 1e-9)) {
          throw new ExportError(
            `population '${p.name}' has ${f.synapses.length} synaptic variables with different time constants (${f.synapses.map((s) => `${s.name}: ${s.tau[i]} ms`).join(', ')}); NIR's CubaLIF has one synaptic current`,
            at,
          );
        }
      }
      const refPort = f.ports.find((q) => q.target !== f.v) ?? f.ports[0];
      if (!refPort) throw new ExportError(`population '${p.name}' has synaptic variables but no input`, at);
      if (f.ports.some((q) => q.target === f.v)) throw new ExportError(`population '${p.name}' takes input both into the membrane and into synaptic currents`, at);
      const refSyn = f.synapses.find((s) => s.name === refPort.target)!;
      const r = refSyn.gain.map((g, i) => g * f.tauMem[i]!);
      if (r.some((x) => x === 0)) throw new ExportError(`population '${p.name}': the synaptic variable '${refSyn.name}' does not reach the membrane`, at);
      for (const q of f.ports) {
        const s = f.synapses.find((x) => x.name === q.target)!;
        factor.set(q.port, s.gain.map((g, i) => (g * q.c[i]!) / (refSyn.gain[i]! * refPort.c[i]!)));
      }
      type = f.spike ? 'CubaLIF' : 'CubaLI';
      fields.tau_syn = vector(refSyn.tau);
      fields.tau_mem = vector(f.tauMem);
      fields.r = vector(r);
      fields.v_leak = vector(f.vLeak);
      fields.w_in = vector(refPort.c);
    }
    if (f.spike) {
      fields.v_threshold = vector(f.spike.threshold);
      fields.v_reset = vector(f.spike.reset);
    }
    return { node: { type, fields, metadata: {} }, factor };
  }

  // ------------------------------------------------------------------ projections
  private projection(proj: IRProjection): void {
    const at = `projection:${proj.name}`;
    if (proj.plasticity) this.warn('PlasticityDropped', [proj.plasticity.rule, proj.name], at);
    if (proj.synapse !== 'static') this.warn('SynapseDynamicsDropped', [proj.synapse.model, proj.name], at);
    const positions = (name: string) => this.ir.populations.find((p) => p.name === name)?.positions;
    let syn;
    try {
      syn = connect(proj, this.ir.seed, positions);
    } catch (e) {
      throw new ExportError(`projection '${proj.name}': ${(e as Error).message}`, at);
    }
    const pre = expandSlices(proj.pre);
    const post = expandSlices(proj.post);
    // One Linear per (pre population, post population) pair the projection touches.
    const groups = new Map<string, { pre: string; post: string; weight: Float64Array; delays: number[][] }>();
    for (let k = 0; k < syn.pre.length; k++) {
      const a = pre[syn.pre[k]!]!;
      const b = post[syn.post[k]!]!;
      const key = `${a.population}\u0000${b.population}`;
      let g = groups.get(key);
      if (!g) {
        const np = this.sizes.get(a.population)!;
        const nq = this.sizes.get(b.population)!;
        g = { pre: a.population, post: b.population, weight: new Float64Array(np * nq), delays: Array.from({ length: nq }, () => []) };
        groups.set(key, g);
      }
      const scale = this.scales.get(b.population);
      if (!scale) throw new ExportError(`projection '${proj.name}' targets the spike source '${b.population}'`, at);
      const fac = scale.get(proj.receptor);
      if (!fac) throw new ExportError(`projection '${proj.name}': '${b.population}' has no receptor '${proj.receptor}'`, at);
      const np = this.sizes.get(a.population)!;
      g.weight[b.index * np + a.index]! += syn.weight[k]! * fac[b.index]!;
      g.delays[b.index]!.push(syn.delaySteps[k]!);
    }
    const several = groups.size > 1;
    for (const g of groups.values()) {
      const name = this.fresh(several ? `${proj.name}_${g.pre}_${g.post}` : proj.name);
      const np = this.sizes.get(g.pre)!;
      const nq = this.sizes.get(g.post)!;
      this.nodes[name] = { type: 'Linear', fields: { weight: { shape: [nq, np], data: Array.from(g.weight) } }, metadata: { snn_projection: proj.name, snn_receptor: proj.receptor } };
      this.edges.push([g.pre, name]);
      const perNeuron = g.delays.map((ds) => (ds.length === 0 ? 1 : ds.reduce((a, b) => a + b, 0) / ds.length));
      const heterogeneous = g.delays.some((ds) => ds.some((d) => d !== ds[0]));
      if (heterogeneous) {
        this.warn('DelaysNotCarried', [proj.name, 'they differ between synapses onto the same neuron'], at);
      }
      const steps = perNeuron.map((d) => Math.max(1, Math.round(d)));
      if (steps.every((d) => d === 1)) {
        this.edges.push([name, g.post]);
      } else {
        const dname = this.fresh(`${name}_delay`);
        this.nodes[dname] = { type: 'Delay', fields: { delay: vector(steps.map((d) => d * this.ir.dt)) }, metadata: {} };
        this.edges.push([name, dname], [dname, g.post]);
      }
    }
  }

  /** Output nodes: the neuron populations nothing projects from, else the recorded ones. */
  private outputs(): void {
    const sources = new Set(this.edges.map(([a]) => a));
    const neurons = this.ir.populations.filter((p) => this.nodes[p.name]!.type !== 'Input');
    let outs = neurons.filter((p) => !sources.has(p.name));
    if (outs.length === 0) {
      const recorded = new Set(this.ir.recordings.flatMap((r) => r.target.map((s) => s.population)));
      outs = neurons.filter((p) => recorded.has(p.name));
    }
    if (outs.length === 0) outs = neurons;
    for (const p of outs) {
      const name = this.fresh(`${p.name}_output`);
      this.nodes[name] = { type: 'Output', fields: { shape: intVector([p.size]) }, metadata: {} };
      this.edges.push([p.name, name]);
    }
  }

  private fresh(base: string): string {
    let name = base;
    for (let k = 2; name in this.nodes; k++) name = `${base}_${k}`;
    return name;
  }
}
