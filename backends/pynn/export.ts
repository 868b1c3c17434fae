/**
 * Network IR -> a runnable PyNN 0.10 script (spec/interchange.md): the way onto NEST (with MPI),
 * NEURON, Brian2 and SpiNNaker.
 *
 * PyNN's standard cell types (stdlib/pynn.snn has their names, parameters and units, which are
 * the IR's) map one to one. A user's neuron model maps when its equations are a leaky
 * integrate-and-fire neuron with exponentially decaying synaptic variables
 * (compiler/analyse/lif-form.ts): it becomes IF_curr_exp with cm = 1 nF, its weights rescaled so
 * each spike changes dv/dt exactly as in snn. Connectors, distributions, synapse types, the STDP
 * rules of stdlib/plasticity.snn, current sources and recordings map to PyNN's own, so random
 * connectivity is drawn again by PyNN (same statistics, not the same instance: SNN5109).
 * Anything without a PyNN equivalent is an error (SNN5001), never a silent change.
 */
import { recogniseLif, type LifForm } from '../../compiler/analyse/lif-form.js';
import type { IRCurrentSource, IRExpr, IRPopulation, IRProjection, IRSlice, IRValue, NetworkIR } from '../../compiler/ir/types.js';
import { ExportError, type Finding } from '../findings.js';

const TARGET = 'PyNN';

/** PyNN's standard cell types that stdlib/pynn.snn defines with PyNN's names and units. */
const CELL_TYPES = new Set([
  'IF_curr_exp', 'IF_curr_alpha', 'IF_curr_delta', 'IF_cond_exp', 'IF_cond_alpha',
  'EIF_cond_exp_isfa_ista', 'EIF_cond_alpha_isfa_ista', 'Izhikevich', 'HH_cond_exp', 'SpikeSourcePoisson',
]);

/** stdlib/plasticity.snn's rules as PyNN timing and weight dependences. */
const STDP_RULES: Readonly<Record<string, { timing: (p: Record<string, number>) => string; weight: (p: Record<string, number>) => string }>> = {
  STDP: { timing: pairRule, weight: (p) => `sim.AdditiveWeightDependence(w_min=${py(p.w_min)}, w_max=${py(p.w_max)})` },
  STDPMultiplicative: { timing: pairRule, weight: (p) => `sim.MultiplicativeWeightDependence(w_min=${py(p.w_min)}, w_max=${py(p.w_max)})` },
  STDPAdditivePotentiationMultiplicativeDepression: {
    timing: pairRule,
    weight: (p) => `sim.AdditivePotentiationMultiplicativeDepression(w_min=${py(p.w_min)}, w_max=${py(p.w_max)})`,
  },
  STDPGutig: {
    timing: pairRule,
    weight: (p) => `sim.GutigWeightDependence(w_min=${py(p.w_min)}, w_max=${py(p.w_max)}, mu_plus=${py(p.mu_plus)}, mu_minus=${py(p.mu_minus)})`,
  },
  Vogels2011: {
    timing: (p) => `sim.Vogels2011Rule(tau=${py(p.tau)}, eta=${py(p.eta)}, rho=${py(p.rho)})`,
    weight: (p) => `sim.AdditiveWeightDependence(w_min=${py(p.w_min)}, w_max=${py(p.w_max)})`,
  },
};

function pairRule(p: Record<string, number>): string {
  return `sim.SpikePairRule(tau_plus=${py(p.tau_plus)}, tau_minus=${py(p.tau_minus)}, A_plus=${py(p.A_plus)}, A_minus=${py(p.A_minus)})`;
}

/** A Python literal for a number. */
function py(x: number | undefined): string {
  if (x === undefined || Number.isNaN(x)) return 'float("nan")';
  if (x === Infinity) return 'float("inf")';
  if (x === -Infinity) return '-float("inf")';
  return Number.isInteger(x) ? `${x}.0` : String(x);
}

function pyList(xs: readonly number[]): string {
  return `[${xs.map(py).join(', ')}]`;
}

function pyString(s: string): string {
  return JSON.stringify(s);
}

export interface PynnExport {
  script?: string;
  findings: Finding[];
}

export function exportPynn(ir: NetworkIR, opts: { sourceName?: string; snnVersion?: string } = {}): PynnExport {
  const findings: Finding[] = [];
  try {
    return { script: new PynnWriter(ir, findings, opts).run(), findings };
  } catch (e) {
    if (!(e instanceof ExportError)) throw e;
    findings.push({ name: 'CannotExport', args: [TARGET, e.reason], ...(e.at ? { at: e.at } : {}) });
    return { findings };
  }
}

/** How a population's ports map onto PyNN receptors. */
interface Ports {
  receptor: Map<string, string>;
  /** Weight multiplier per port (1 for PyNN's own cell types). */
  factor: Map<string, number>;
}

class PynnWriter {
  private readonly out: string[] = [];
  private readonly ports = new Map<string, Ports>();
  private readonly forms = new Map<string, LifForm>();
  private readonly vars = new Map<string, string>();

  constructor(
    private readonly ir: NetworkIR,
    private readonly findings: Finding[],
    private readonly opts: { sourceName?: string; snnVersion?: string },
  ) {}

  private info(what: string, of: string, at: string): void {
    this.findings.push({ name: 'RandomnessRedrawn', args: [TARGET, what, of], at });
  }

  run(): string {
    const ir = this.ir;
    const o = this.out;
    o.push(
      '#!/usr/bin/env python3',
      `"""The network '${ir.name}'${this.opts.sourceName ? ` of ${this.opts.sourceName}` : ''}, exported by snn${this.opts.snnVersion ? ` ${this.opts.snnVersion}` : ''} as a PyNN 0.10 script.`,
      '',
      '    python3 THIS.py --simulator nest                  # or brian2, neuron, spiNNaker (sPyNNaker)',
      '    mpirun -np 8 python3 THIS.py --simulator nest     # NEST across 8 MPI processes',
      '',
      'Units are PyNN\'s (ms, mV, nA, nF, uS, Hz). Random connectivity, weights and Poisson spikes are',
      "drawn by PyNN's NumpyRNG: the same distributions as in snn, not the same instance.",
      'Prints one JSON line with the spike count and rate of each population whose spikes are recorded.',
      '"""',
      'import argparse',
      'import importlib',
      'import json',
      'import os',
      '',
      'import numpy as np',
      'from pyNN.random import NumpyRNG, RandomDistribution',
      'from pyNN.parameters import Sequence',
      '',
      'parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])',
      "parser.add_argument('--simulator', default='nest', help='the pyNN backend module: nest, brian2, neuron, spiNNaker, ... (default: nest)')",
      `parser.add_argument('--duration', type=float, default=${py(ir.duration)}, help='simulated time in ms (default: %(default)s)')`,
      `parser.add_argument('--seed', type=int, default=${ir.seed}, help='seed of the random numbers (default: %(default)s)')`,
      "parser.add_argument('--output', help='folder for the recorded data (neo pickle files, one per recording)')",
      'args = parser.parse_args()',
      '',
      "sim = importlib.import_module(args.simulator if args.simulator.startswith('pyNN.') else 'pyNN.' + args.simulator)",
      `sim.setup(timestep=${py(ir.dt)}, min_delay=${py(ir.dt)})`,
      'rng = NumpyRNG(seed=args.seed)',
      '',
    );
    o.push('# Populations');
    for (const p of ir.populations) this.population(p);
    o.push('', '# Projections');
    for (const proj of ir.projections) this.projection(proj);
    if (ir.currentSources.length > 0) o.push('', '# Current sources');
    ir.currentSources.forEach((c, k) => this.current(c, k));
    o.push('', '# Recordings');
    const spikeRecs: { key: string; view: string; size: number }[] = [];
    ir.recordings.forEach((r, k) => {
      const view = this.view(r.target);
      const name = `rec${k}`;
      const pops = [...new Set(r.target.map((s) => s.population))];
      const whole = pops.length === 1 && r.target.length === 1 && r.target[0]!.start === 0 && r.target[0]!.step === 1 && r.target[0]!.stop === this.pop(pops[0]!).size;
      const variable = this.variable(r.target, r.variable, `recording:${k}`);
      o.push(`${name} = ${view}`);
      if (variable === 'spikes') {
        o.push(`${name}.record('spikes')`);
        spikeRecs.push({ key: whole ? pops[0]! : r.label, view: name, size: r.target.reduce((a, s) => a + Math.ceil((s.stop - s.start) / s.step), 0) });
      } else {
        o.push(`${name}.record(${pyString(variable)}, sampling_interval=${py(r.everySteps * ir.dt)})`);
      }
    });
    o.push(
      '',
      'sim.run(args.duration)',
      '',
      'summary = {}',
      ...spikeRecs.flatMap((s) => [
        `n = sum(len(st) for st in ${s.view}.get_data('spikes').segments[0].spiketrains)`,
        `summary[${pyString(s.key)}] = {'size': ${s.size}, 'spikes': int(n), 'rate_hz': n / ${s.size} / (args.duration / 1000.0)}`,
      ]),
      'if args.output:',
      '    os.makedirs(args.output, exist_ok=True)',
      ...ir.recordings.map((r, k) => `    rec${k}.write_data(os.path.join(args.output, ${pyString(`${k}_${r.label.replace(/[^A-Za-z0-9_.]/g, '_')}.pkl`)}))`),
      'if sim.rank() == 0:',
      "    print(json.dumps({'simulator': args.simulator, 'duration_ms': args.duration, 'populations': summary}))",
      'sim.end()',
      '',
    );
    return o.join('\n');
  }

  private pop(name: string): IRPopulation {
    return this.ir.populations.find((p) => p.name === name)!;
  }

  // ------------------------------------------------------------------ populations
  private population(p: IRPopulation): void {
    const at = `population:${p.name}`;
    const model = this.ir.models[p.model]!;
    const v = p.name.replace(/[^A-Za-z0-9_]/g, '_');
    this.vars.set(p.name, v);
    const label = pyString(p.name);
    const value = (x: number | number[]): string => (typeof x === 'number' ? py(x) : `np.array(${pyList(x)})`);
    if (p.source) throw new ExportError(`population '${p.name}' takes its spikes from the data source '${p.source.kind}', which PyNN cannot read; give it spike_times or export to NIR`, at);
    if (model.kind === 'array') {
      const lists = p.spikeTimes ?? [[]];
      const per = Array.from({ length: p.size }, (_, i) => (lists.length === 1 ? lists[0]! : lists[i] ?? []));
      const same = per.every((l) => l.length === per[0]!.length && l.every((t, k) => t === per[0]![k]));
      const times = same ? `Sequence(${pyList(per[0]!)})` : `[${per.map((l) => `Sequence(${pyList(l)})`).join(', ')}]`;
      this.out.push(`${v} = sim.Population(${p.size}, sim.SpikeSourceArray(spike_times=${times}), label=${label})`);
      this.ports.set(p.name, { receptor: new Map(), factor: new Map() });
      return;
    }
    if (CELL_TYPES.has(p.model)) {
      const names = model.params.filter((n) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(n) && p.params[n] !== undefined);
      const args = names.map((n) => `${n}=${value(p.params[n]!)}`).join(', ');
      this.out.push(`${v} = sim.Population(${p.size}, sim.${p.model}(${args}), label=${label})`);
      if (model.kind === 'poisson') this.info('the Poisson spikes', p.name, at);
      const init = model.state.filter((x) => p.initial[x] !== undefined);
      if (init.length > 0) this.out.push(`${v}.initialize(${init.map((x) => `${x}=${value(p.initial[x]!)}`).join(', ')})`);
      const ports = new Map(model.inputs.map((h) => [h.port, h.port || 'excitatory']));
      this.ports.set(p.name, { receptor: ports, factor: new Map(model.inputs.map((h) => [h.port, 1])) });
      return;
    }
    if (model.kind !== 'neuron') throw new ExportError(`population '${p.name}': '${p.model}' has no PyNN equivalent`, at);
    const r = recogniseLif(model, p);
    if (!r.ok) throw new ExportError(`population '${p.name}': the neuron model '${p.model}' is neither a PyNN standard cell type nor a leaky integrate-and-fire neuron with exponential synapses (IF_curr_exp): ${r.reason}`, at);
    const f = r.form;
    this.forms.set(p.name, f);
    if (!f.spike) throw new ExportError(`population '${p.name}': '${p.model}' never spikes; PyNN has no non-spiking integrator`, at);
    if (f.linearised) throw new ExportError(`population '${p.name}': '${p.model}' has conductance synapses but is not a PyNN cell type`, at);
    if (f.tauMem.some((t) => !Number.isFinite(t))) throw new ExportError(`population '${p.name}': '${p.model}' does not leak; IF_curr_exp needs a finite tau_m`, at);
    if (f.synapses.length === 0 || f.synapses.length > 2) {
      throw new ExportError(`population '${p.name}': '${p.model}' has ${f.synapses.length} synaptic variables; IF_curr_exp has one excitatory and one inhibitory`, at);
    }
    if (f.ports.some((q) => q.target === f.v)) throw new ExportError(`population '${p.name}': an input of '${p.model}' jumps the membrane directly, which IF_curr_exp cannot express`, at);
    // Which synaptic variable is PyNN's excitatory one: the first port's, unless named inhibitory.
    const byVar = new Map<string, string>();
    const inhPort = f.ports.find((q) => /inh/i.test(q.port));
    for (const q of f.ports) {
      if (byVar.has(q.target)) continue;
      const isInh = f.synapses.length === 2 && (inhPort ? q.target === inhPort.target : byVar.size === 1);
      byVar.set(q.target, isInh ? 'inhibitory' : 'excitatory');
    }
    const tauOf = (kind: string): number[] => {
      const s = f.synapses.find((x) => byVar.get(x.name) === kind) ?? f.synapses[0]!;
      return s.tau;
    };
    const receptor = new Map<string, string>();
    const factor = new Map<string, number>();
    for (const q of f.ports) {
      const s = f.synapses.find((x) => x.name === q.target)!;
      // dv/dt jumps by gain * c * w in snn; by w' / cm in IF_curr_exp (cm = 1 nF): w' = gain * c * w.
      const k = s.gain.map((g, i) => g * q.c[i]!);
      if (!k.every((x) => x === k[0])) throw new ExportError(`population '${p.name}': the weight scale of port '${q.port}' differs from neuron to neuron`, at);
      receptor.set(q.port, byVar.get(q.target)!);
      factor.set(q.port, k[0]!);
    }
    this.ports.set(p.name, { receptor, factor });
    const pv = (xs: number[]): string => (xs.every((x) => x === xs[0]) ? py(xs[0]) : `np.array(${pyList(xs)})`);
    const args = [
      `tau_m=${pv(f.tauMem)}`, 'cm=1.0', `v_rest=${pv(f.vLeak)}`, `v_thresh=${pv(f.spike.threshold)}`, `v_reset=${pv(f.spike.reset)}`,
      `tau_refrac=${pv(f.refractory)}`, `tau_syn_E=${pv(tauOf('excitatory'))}`, `tau_syn_I=${pv(tauOf('inhibitory'))}`, 'i_offset=0.0',
    ];
    this.out.push(`# '${p.model}' is a leaky integrate-and-fire neuron with exponential synapses: IF_curr_exp with cm = 1 nF`);
    this.out.push(`${v} = sim.Population(${p.size}, sim.IF_curr_exp(${args.join(', ')}), label=${label})`);
    this.out.push(`${v}.initialize(v=${value(p.initial[f.v] ?? f.vLeak)})`);
  }

  /** A PyNN population, view or assembly for a list of slices. */
  private view(slices: readonly IRSlice[]): string {
    const parts = slices.map((s) => {
      const v = this.vars.get(s.population)!;
      const size = this.pop(s.population).size;
      if (s.start === 0 && s.stop === size && s.step === 1) return v;
      return `${v}[${s.start}:${s.stop}${s.step !== 1 ? `:${s.step}` : ''}]`;
    });
    return parts.length === 1 ? parts[0]! : `sim.Assembly(${parts.join(', ')})`;
  }

  private variable(slices: readonly IRSlice[], variable: string, at: string): string {
    if (variable === 'spikes') return variable;
    for (const s of slices) {
      const f = this.forms.get(s.population);
      if (f && variable !== f.v) throw new ExportError(`the recording of '${variable}' in '${s.population}': IF_curr_exp records v, not the model's '${variable}'`, at);
    }
    return variable;
  }

  // ------------------------------------------------------------------ projections
  private projection(proj: IRProjection): void {
    const at = `projection:${proj.name}`;
    const posts = [...new Set(proj.post.map((s) => s.population))];
    const ports = posts.map((q) => this.ports.get(q)!);
    const receptors = [...new Set(ports.map((pt) => pt.receptor.get(proj.receptor)))];
    const factors = [...new Set(ports.map((pt) => pt.factor.get(proj.receptor)))];
    if (receptors.length !== 1 || receptors[0] === undefined || factors.length !== 1 || factors[0] === undefined) {
      throw new ExportError(`projection '${proj.name}': its targets do not agree on what the receptor '${proj.receptor}' means in PyNN`, at);
    }
    const factor = factors[0];
    for (const pre of proj.pre) if (!this.vars.has(pre.population)) throw new ExportError(`projection '${proj.name}': unknown population`, at);
    this.positions(proj);
    const weight = this.valueExpr(proj.weight, factor, 'weights', proj.name, at);
    const delay = this.valueExpr(proj.delay, this.ir.dt, 'delays', proj.name, at);
    const connector = this.connector(proj, factor, at);
    let synapse: string;
    if (proj.plasticity) {
      const rule = STDP_RULES[proj.plasticity.rule];
      if (!rule) throw new ExportError(`projection '${proj.name}': the plasticity rule '${proj.plasticity.rule}' has no PyNN equivalent (PyNN has SpikePairRule and Vogels2011Rule with additive, multiplicative and Gutig weight dependences)`, at);
      if (proj.synapse !== 'static') throw new ExportError(`projection '${proj.name}': PyNN cannot combine the synapse model '${proj.synapse.model}' with STDP`, at);
      if (factor !== 1) throw new ExportError(`projection '${proj.name}': STDP onto a converted model would rescale its weight bounds`, at);
      synapse = `sim.STDPMechanism(timing_dependence=${rule.timing(proj.plasticity.params)}, weight_dependence=${rule.weight(proj.plasticity.params)}, weight=${weight}, delay=${delay}, dendritic_delay_fraction=0)`;
    } else if (proj.synapse === 'static') {
      synapse = `sim.StaticSynapse(weight=${weight}, delay=${delay})`;
    } else if (proj.synapse.model === 'TsodyksMarkram') {
      const p = proj.synapse.params;
      synapse = `sim.TsodyksMarkramSynapse(U=${py(p.U)}, tau_rec=${py(p.tau_rec)}, tau_facil=${py(p.tau_facil)}, weight=${weight}, delay=${delay})`;
    } else {
      throw new ExportError(`projection '${proj.name}': the synapse model '${proj.synapse.model}' has no PyNN equivalent`, at);
    }
    this.out.push(
      `${proj.name.replace(/[^A-Za-z0-9_]/g, '_')} = sim.Projection(${this.view(proj.pre)}, ${this.view(proj.post)}, ${connector}, synapse_type=${synapse}, receptor_type=${pyString(receptors[0])}, label=${pyString(proj.name)})`,
    );
  }

  private positions(proj: IRProjection): void {
    if (proj.connector.kind !== 'DistanceDependentProbability') return;
    for (const name of new Set([...proj.pre, ...proj.post].map((s) => s.population))) {
      const p = this.pop(name);
      if (!p.positions) continue;
      const xyz = [0, 1, 2].map((d) => pyList(p.positions!.filter((_, k) => k % 3 === d)));
      this.out.push(`${this.vars.get(name)}.positions = np.array([${xyz.join(', ')}])`);
    }
  }

  /** A constant or a RandomDistribution, times `scale` (weights of converted models, delays in steps -> ms). */
  private valueExpr(v: IRValue, scale: number, what: string, of: string, at: string): string {
    if ('const' in v) return py(v.const * scale);
    this.info(`the random ${what}`, of, at);
    const p = v.params;
    switch (v.dist) {
      case 'uniform': {
        const [a, b] = [p.low! * scale, p.high! * scale].sort((x, y) => x - y);
        return `RandomDistribution('uniform', low=${py(a)}, high=${py(b)}, rng=rng)`;
      }
      case 'normal':
        return `RandomDistribution('normal', mu=${py(p.mu! * scale)}, sigma=${py(p.sigma! * Math.abs(scale))}, rng=rng)`;
      case 'exponential':
        if (scale <= 0) break;
        return `RandomDistribution('exponential', beta=${py(p.beta! * scale)}, rng=rng)`;
      case 'normal_clipped':
      case 'normal_clipped_to_boundary': {
        if (scale <= 0) break;
        return `RandomDistribution(${pyString(v.dist)}, mu=${py(p.mu! * scale)}, sigma=${py(p.sigma! * scale)}, low=${py(p.low! * scale)}, high=${py(p.high! * scale)}, rng=rng)`;
      }
    }
    throw new ExportError(`the ${what} of '${of}' follow the distribution '${v.dist}', which cannot be rescaled for PyNN`, at);
  }

  private connector(proj: IRProjection, factor: number, at: string): string {
    const c = proj.connector;
    const self = (b: boolean): string => `allow_self_connections=${b ? 'True' : 'False'}`;
    switch (c.kind) {
      case 'AllToAll':
        return `sim.AllToAllConnector(${self(c.allowSelfConnections)})`;
      case 'OneToOne':
        return 'sim.OneToOneConnector()';
      case 'FixedProbability':
        this.info('the connections', proj.name, at);
        return `sim.FixedProbabilityConnector(p_connect=${py(c.p)}, ${self(c.allowSelfConnections)}, rng=rng)`;
      case 'FixedNumberPre':
        this.info('the connections', proj.name, at);
        return `sim.FixedNumberPreConnector(n=${c.n}, ${self(c.allowSelfConnections)}, rng=rng)`;
      case 'FixedNumberPost':
        this.info('the connections', proj.name, at);
        return `sim.FixedNumberPostConnector(n=${c.n}, ${self(c.allowSelfConnections)}, rng=rng)`;
      case 'FixedTotalNumber':
        this.info('the connections', proj.name, at);
        return `sim.FixedTotalNumberConnector(n=${c.n}, ${self(c.allowSelfConnections)}, rng=rng)`;
      case 'DistanceDependentProbability':
        this.info('the connections', proj.name, at);
        return `sim.DistanceDependentProbabilityConnector(${pyString(pyExpr(c.probability))}, ${self(c.allowSelfConnections)}, rng=rng)`;
      case 'FromList': {
        const rows = c.rows.map((r, k) => {
          const cols = [r[0]!, r[1]!];
          if (c.weights) cols.push(c.weights[k]! * factor);
          if (c.delays) cols.push(c.delays[k]! * this.ir.dt);
          return `(${cols.map((x, j) => (j < 2 ? String(x) : py(x))).join(', ')})`;
        });
        const names = [...(c.weights ? ["'weight'"] : []), ...(c.delays ? ["'delay'"] : [])];
        return `sim.FromListConnector([${rows.join(', ')}]${names.length ? `, column_names=[${names.join(', ')}]` : ''})`;
      }
    }
  }

  // ------------------------------------------------------------------ current sources
  private current(c: IRCurrentSource, k: number): void {
    const at = `current:${k}`;
    for (const s of c.target) {
      if (this.forms.has(s.population)) throw new ExportError(`the ${c.kind} current into '${s.population}': its model was converted to IF_curr_exp, whose current input differs`, at);
    }
    const stop = (x: number | undefined): string => (x === undefined ? '' : `, stop=${py(x)}`);
    let src: string;
    switch (c.kind) {
      case 'DC':
        src = `sim.DCSource(amplitude=${py(c.amplitude)}, start=${py(c.start)}${stop(c.stop)})`;
        break;
      case 'AC':
        // PyNN's phase is in degrees, the IR's in radians.
        src = `sim.ACSource(amplitude=${py(c.amplitude)}, offset=${py(c.offset)}, frequency=${py(c.frequency)}, phase=${py((c.phase * 180) / Math.PI)}, start=${py(c.start)}${stop(c.stop)})`;
        break;
      case 'Step':
        src = `sim.StepCurrentSource(times=${pyList(c.times)}, amplitudes=${pyList(c.amplitudes)})`;
        break;
      case 'Noisy':
        this.info('the noise', `current source ${k}`, at);
        src = `sim.NoisyCurrentSource(mean=${py(c.mean)}, stdev=${py(c.stdev)}, start=${py(c.start)}${stop(c.stop)}, dt=${py(c.dt)})`;
        break;
    }
    this.out.push(`current${k} = ${src}`, `current${k}.inject_into(${this.view(c.target)})`);
  }
}

/** An IR expression in `$d` as the string PyNN's DistanceDependentProbabilityConnector evaluates in `d`. */
export function pyExpr(e: IRExpr): string {
  if ('num' in e) return String(e.num);
  if ('ref' in e) {
    if (e.ref === '$d') return 'd';
    throw new ExportError(`the distance expression reads '${e.ref}'; PyNN's reads only d`);
  }
  if ('call' in e) return `${e.call}(${e.args.map(pyExpr).join(', ')})`;
  if (e.op === 'neg') return `(-${pyExpr(e.args[0])})`;
  if (e.op === 'not') return `(not ${pyExpr(e.args[0])})`;
  const op = e.op === '^' ? '**' : e.op;
  return `(${pyExpr(e.args[0])} ${op} ${pyExpr(e.args[1]!)})`;
}
