/**
 * Generates a large, realistic .snn model for the checker's speed bench (bench/check-speed.ts):
 * a few user-defined neuron and synapse models with equations and units at the top, then one
 * network of N populations (default 2,000) in areas, using those models and stdlib cell types
 * (IF_curr_exp, IF_cond_exp, IF_curr_alpha, EIF_cond_exp_isfa_ista, Izhikevich, LIF, Poisson and
 * array spike sources), with parameter overrides, initial values and structures; views and
 * assemblies; M projections (default 5,000) with every connector, receptors, weights with units
 * and distributions, delays, synapse types and plasticity; records and current sources.
 * About 20,000 lines at the defaults. The output is deterministic (seeded) and checks with no error
 * and no warning.
 *
 *   npx tsx bench/gen-large-model.ts [--populations 2000] [--projections 5000] [--seed 1] [--out FILE]
 * (without --out the model goes to stdout)
 */
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { benchArgs, wholeNumber } from './common.js';

export interface LargeModelOptions {
  populations?: number;
  projections?: number;
  seed?: number;
}

export interface LargeModel {
  text: string;
  lines: number;
  populations: number;
  projections: number;
  views: number;
  assemblies: number;
}

/** mulberry32: a small seeded PRNG, so the model is the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MODELS = `# A large generated model for the checker's speed bench (bench/gen-large-model.ts).

# Current-based LIF whose inputs are voltage jumps (Brette et al. 2007, CUBA).
neuron CubaLIF {
  parameters {
    tau_m = 20 ms        # membrane time constant
    tau_e = 5 ms         # excitatory synaptic time constant
    tau_i = 10 ms        # inhibitory synaptic time constant
    v_t = -50 mV         # threshold
    v_r = -60 mV         # reset
    e_l = -49 mV         # resting potential
    t_ref = 5 ms         # refractory period
  }
  state {
    v = -60 mV
    ge = 0 mV
    gi = 0 mV
  }
  equations {
    v' = (ge + gi - (v - e_l)) / tau_m
    ge' = -ge / tau_e
    gi' = -gi / tau_i
  }
  on input excitatory(w) { ge += w }
  on input inhibitory(w) { gi += w }
  spike when v > v_t reset { v = v_r }
  refractory t_ref
}

# Conductance-based LIF (COBA): weights are conductances in nS.
neuron CobaLIF {
  parameters {
    cm = 200 pF
    g_L = 10 nS
    E_L = -60 mV
    E_e = 0 mV
    E_i = -80 mV
    tau_e = 5 ms
    tau_i = 10 ms
    v_th = -50 mV
    v_reset = -60 mV
    t_ref = 5 ms
  }
  state {
    v = -60 mV
    g_e = 0 nS
    g_i = 0 nS
  }
  equations {
    i_syn = g_e * (E_e - v) + g_i * (E_i - v)      # synaptic current (an alias)
    v' = (g_L * (E_L - v) + i_syn) / cm
    g_e' = -g_e / tau_e
    g_i' = -g_i / tau_i
  }
  on input excitatory(w) { g_e += w }
  on input inhibitory(w) { g_i += w }
  spike when v > v_th reset { v = v_reset }
  refractory t_ref
}

# Adaptive exponential integrate-and-fire with a single current input (Brette & Gerstner 2005).
neuron AdExCurr {
  parameters {
    C = 281 pF
    g_L = 30 nS
    E_L = -70.6 mV
    V_T = -50.4 mV
    Delta_T = 2 mV
    V_peak = 0 mV
    V_r = -70.6 mV
    a = 4 nS
    b = 80.5 pA
    tau_w = 144 ms
    tau_syn = 5 ms
  }
  state {
    v = -70.6 mV
    w_ad = 0 pA          # adaptation current
    i_syn = 0 pA
  }
  equations {
    i_spike = g_L * Delta_T * exp((v - V_T) / Delta_T)
    v' = (g_L * (E_L - v) + i_spike - w_ad + i_syn) / C
    w_ad' = (a * (v - E_L) - w_ad) / tau_w
    i_syn' = -i_syn / tau_syn
  }
  on input(weight) { i_syn += weight }
  spike when v >= V_peak reset {
    v = V_r
    w_ad += b
  }
}

# Quadratic integrate-and-fire with compound units (mV^-1*ms^-1) and a current-based synapse.
neuron QuadraticIF {
  parameters {
    k = 0.04 mV^-1*ms^-1
    v_rest = -65 mV
    v_crit = -50 mV
    v_peak = 30 mV
    v_reset = -60 mV
    cm = 1 nF
    tau_s = 4 ms
  }
  state {
    v = -65 mV
    i_s = 0 nA
  }
  equations {
    v' = k * (v - v_rest) * (v - v_crit) + i_s / cm
    i_s' = -i_s / tau_s
  }
  on input(w) { i_s += w }
  spike when v >= v_peak reset { v = v_reset }
}

# Short-term facilitation: each spike raises the release probability u towards 1.
synapse Facilitating {
  parameters {
    U = 0.1              # baseline release probability
    tau_f = 500 ms       # facilitation decay
  }
  state { u = 0.1 }
  equations { u' = (U - u) / tau_f }
  on pre {
    u += U * (1 - u)
    deliver(w * u)
  }
}
`;

/** A cell type the generator uses, with what its projections need. */
interface Cell {
  key: string;
  /** a cell type expression, with overrides drawn from r */
  decl: (r: () => number) => string;
  /** receptors; [] for a single unnamed input; undefined for a spike source */
  receptors?: ('excitatory' | 'inhibitory')[];
  /** weight of one input: unit and typical magnitude; inhibitory weights are negative when `signed` */
  unit: string;
  scale: number;
  signed: boolean;
  /** recordable state variables besides spikes */
  vars: string[];
  initial?: (r: () => number) => string;
  weight: number;
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const round = (x: number, digits = 3): string => String(Number(x.toPrecision(digits)));
const between = (r: () => number, lo: number, hi: number): number => lo + (hi - lo) * r();

const CELLS: Cell[] = [
  {
    key: 'cuba', weight: 4, unit: 'mV', scale: 1, signed: true, receptors: ['excitatory', 'inhibitory'], vars: ['v', 'ge', 'gi'],
    decl: (r) => (r() < 0.5 ? 'CubaLIF' : `CubaLIF(tau_m: ${round(between(r, 15, 25), 2)} ms, e_l: ${round(between(r, -52, -47), 3)} mV)`),
    initial: (r) => `{v: uniform(${round(between(r, -62, -60), 3)} mV, -50 mV)}`,
  },
  {
    key: 'coba', weight: 3, unit: 'nS', scale: 5, signed: false, receptors: ['excitatory', 'inhibitory'], vars: ['v', 'g_e', 'g_i', 'i_syn'],
    decl: (r) => (r() < 0.5 ? 'CobaLIF' : `CobaLIF(g_L: ${round(between(r, 8, 12), 2)} nS, tau_e: ${round(between(r, 3, 6), 2)} ms)`),
    initial: (r) => `{v: normal(-60 mV, ${round(between(r, 1, 4), 2)} mV), g_e: 0 nS}`,
  },
  {
    key: 'adex', weight: 2, unit: 'pA', scale: 50, signed: true, receptors: [], vars: ['v', 'w_ad', 'i_syn'],
    decl: (r) => (r() < 0.5 ? 'AdExCurr' : `AdExCurr(a: ${round(between(r, 2, 6), 2)} nS, b: ${round(between(r, 60, 90), 3)} pA, tau_w: ${round(between(r, 100, 200), 3)} ms)`),
  },
  {
    key: 'qif', weight: 1, unit: 'nA', scale: 0.2, signed: true, receptors: [], vars: ['v', 'i_s'],
    decl: (r) => (r() < 0.5 ? 'QuadraticIF' : `QuadraticIF(tau_s: ${round(between(r, 2, 6), 2)} ms)`),
  },
  {
    key: 'ice', weight: 6, unit: 'nA', scale: 0.3, signed: true, receptors: ['excitatory', 'inhibitory'], vars: ['v', 'isyn_exc', 'isyn_inh', 'i_syn'],
    decl: (r) => (r() < 0.4 ? 'IF_curr_exp' : `IF_curr_exp(tau_m: ${round(between(r, 10, 30), 2)} ms, v_rest: ${round(between(r, -70, -60), 3)} mV, tau_syn_E: ${round(between(r, 2, 8), 2)} ms)`),
    initial: (r) => `{v: uniform(-65 mV, ${round(between(r, -55, -51), 3)} mV)}`,
  },
  {
    key: 'ica', weight: 2, unit: 'nA', scale: 0.3, signed: true, receptors: ['excitatory', 'inhibitory'], vars: ['v'],
    decl: (r) => (r() < 0.5 ? 'IF_curr_alpha' : `IF_curr_alpha(tau_syn_E: ${round(between(r, 0.3, 2), 2)} ms, i_offset: ${round(between(r, 0, 0.2), 2)} nA)`),
  },
  {
    key: 'icond', weight: 4, unit: 'uS', scale: 0.005, signed: false, receptors: ['excitatory', 'inhibitory'], vars: ['v', 'gsyn_exc', 'gsyn_inh'],
    decl: (r) => (r() < 0.4 ? 'IF_cond_exp' : `IF_cond_exp(tau_m: ${round(between(r, 10, 30), 2)} ms, e_rev_I: ${round(between(r, -80, -70), 3)} mV, v_thresh: ${round(between(r, -55, -48), 3)} mV)`),
    initial: (r) => `{v: uniform(-65 mV, ${round(between(r, -60, -55), 3)} mV), gsyn_exc: 0 uS}`,
  },
  {
    key: 'eif', weight: 1, unit: 'uS', scale: 0.004, signed: false, receptors: ['excitatory', 'inhibitory'], vars: ['v'],
    decl: (r) => (r() < 0.5 ? 'EIF_cond_exp_isfa_ista' : `EIF_cond_exp_isfa_ista(a: ${round(between(r, 2, 6), 2)} nS, b: ${round(between(r, 0.05, 0.1), 2)} nA)`),
  },
  {
    key: 'izh', weight: 2, unit: 'mV', scale: 2, signed: true, receptors: ['excitatory', 'inhibitory'], vars: ['v', 'u'],
    decl: (r) => (r() < 0.5 ? 'Izhikevich' : `Izhikevich(a: ${pick(r, ['0.02', '0.1'])} ms^-1, d: ${pick(r, ['2', '8'])} mV/ms)`),
    initial: () => '{v: -70 mV, u: -14 mV/ms}',
  },
  {
    key: 'lif', weight: 1, unit: '', scale: 0.2, signed: true, receptors: [], vars: ['v', 'i'],
    decl: (r) => (r() < 0.5 ? 'LIF' : `LIF(tau_mem: ${round(between(r, 5, 20), 2)} ms, tau_syn: ${round(between(r, 2, 10), 2)} ms)`),
  },
  {
    key: 'poisson', weight: 3, unit: '', scale: 0, signed: false, vars: [],
    decl: (r) => `SpikeSourcePoisson(rate: ${round(between(r, 1, 40), 2)} Hz${r() < 0.3 ? `, start: ${Math.floor(between(r, 0, 10)) * 10} ms` : ''})`,
  },
  {
    key: 'array', weight: 1, unit: '', scale: 0, signed: false, vars: [],
    decl: (r) => `SpikeSourceArray(spike_times: [${Array.from({ length: 4 }, (_, i) => `${(i + 1) * 10 + Math.floor(r() * 10)} ms`).join(', ')}])`,
  },
];

const SIZES = [20, 40, 50, 80, 100, 100, 200, 250, 400, 500, 800, 1000];

interface Pop {
  name: string;
  cell: Cell;
  size: number;
  structured: boolean;
}

/** A projection end: a population, a view or an assembly, all of one cell type. */
interface End {
  text: string;
  cell: Cell;
  size: number;
  structured: boolean;
}

export function generateLargeModel(opts: LargeModelOptions = {}): LargeModel {
  const nPops = opts.populations ?? 2000;
  const nProj = opts.projections ?? 5000;
  const r = rng(opts.seed ?? 1);
  const out: string[] = [MODELS.trimEnd(), ''];
  const line = (s: string): void => {
    out.push(s);
  };

  const totalWeight = CELLS.reduce((s, c) => s + c.weight, 0);
  const drawCell = (): Cell => {
    let x = r() * totalWeight;
    for (const c of CELLS) if ((x -= c.weight) < 0) return c;
    return CELLS[CELLS.length - 1]!;
  };

  line('network large {');
  line('  dt = 0.1 ms');
  line('  seed = 20260611');
  line('  duration = 1000 ms');
  line('  min_delay = 0.1 ms');
  line('  max_delay = 20 ms');

  // ---- populations, in areas of 50
  const AREA = 50;
  const pops: Pop[] = [];
  for (let i = 0; i < nPops; i++) {
    if (i % AREA === 0) {
      line('');
      line(`  # ---- area ${i / AREA}: populations ${i} to ${Math.min(nPops, i + AREA) - 1}`);
    }
    // Every area has sources and cells: the first population of an area is a Poisson source.
    const cell = i % AREA === 0 ? CELLS.find((c) => c.key === 'poisson')! : drawCell();
    const size = pick(r, SIZES);
    const name = `p${i}_${cell.key}`;
    const parts = [String(size), cell.decl(r)];
    if (cell.initial && r() < 0.5) parts.push(`initial: ${cell.initial(r)}`);
    const structured = cell.receptors !== undefined && r() < 0.15;
    if (structured) parts.push(r() < 0.5 ? `structure: Grid2D(aspect_ratio: 1, dx: ${pick(r, [10, 20, 25])} um, dy: 20 um)` : 'structure: Line(dx: 10 um)');
    if (r() < 0.05) parts.push(`label: "population ${i}"`);
    line(`  ${name} = Population(${parts.join(', ')})`);
    pops.push({ name, cell, size, structured });
  }
  const cells = pops.filter((p) => p.cell.receptors !== undefined);
  const sources = pops.filter((p) => p.cell.receptors === undefined);
  const spiking = pops.filter((p) => p.cell.key !== 'li');

  // ---- views (a fifth of the cell populations) and assemblies (one per area, of one cell type)
  line('');
  line('  # ---- views');
  const views: End[] = [];
  for (const p of cells) {
    if (r() >= 0.2) continue;
    const n = Math.max(2, Math.floor(p.size / pick(r, [2, 4, 5, 10])));
    const form = r();
    let expr: string;
    let size: number;
    if (form < 0.5) {
      expr = `${p.name}[0:${n}]`;
      size = n;
    } else if (form < 0.75) {
      expr = `${p.name}[${p.size - n}:]`;
      size = n;
    } else {
      expr = `${p.name}[::2]`;
      size = Math.ceil(p.size / 2);
    }
    const name = `${p.name}_v`;
    line(`  ${name} = ${expr}`);
    views.push({ text: name, cell: p.cell, size, structured: false });
  }
  line('');
  line('  # ---- assemblies');
  const assemblies: End[] = [];
  for (let a = 0; a * AREA < pops.length; a++) {
    const area = pops.slice(a * AREA, (a + 1) * AREA).filter((p) => p.cell.receptors !== undefined);
    const byKey = new Map<string, Pop[]>();
    for (const p of area) byKey.set(p.cell.key, [...(byKey.get(p.cell.key) ?? []), p]);
    const group = [...byKey.values()].find((g) => g.length >= 2);
    if (!group) continue;
    const members = group.slice(0, 3);
    const name = `area${a}_${members[0]!.cell.key}`;
    line(r() < 0.5 ? `  ${name} = Assembly(${members.map((p) => p.name).join(', ')})` : `  ${name} = ${members.map((p) => p.name).join(' + ')}`);
    assemblies.push({ text: name, cell: members[0]!.cell, size: members.reduce((s, p) => s + p.size, 0), structured: false });
  }

  // ---- projections
  line('');
  line('  # ---- projections');
  const asEnd = (p: Pop): End => ({ text: p.name, cell: p.cell, size: p.size, structured: p.structured });
  const nearby = <T>(xs: readonly T[], centre: number): T => {
    // mostly within the same area, sometimes anywhere
    if (r() < 0.2 || xs.length === 0) return pick(r, xs);
    const i = Math.min(xs.length - 1, Math.max(0, centre + Math.floor((r() - 0.5) * 60)));
    return xs[i]!;
  };
  const weightOf = (post: Cell, inhibitory: boolean): string => {
    const u = post.unit ? ` ${post.unit}` : '';
    const sign = inhibitory && post.signed ? -1 : 1;
    const mu = sign * post.scale * between(r, 0.5, 1.5);
    const x = r();
    if (x < 0.45) return `${round(mu)}${u}`;
    if (x < 0.65) return `normal(${round(mu)}${u}, ${round(Math.abs(mu) * 0.2)}${u})`;
    if (x < 0.85) {
      const [lo, hi] = sign > 0 ? [mu * 0.5, mu * 1.5] : [mu * 1.5, mu * 0.5];
      return `uniform(${round(lo)}${u}, ${round(hi)}${u})`;
    }
    if (sign > 0) return `normal_clipped(mu: ${round(mu)}${u}, sigma: ${round(mu * 0.3)}${u}, low: 0${u}, high: ${round(mu * 3)}${u})`;
    return `${round(mu)}${u}`;
  };
  const delay = (): string => {
    const x = r();
    if (x < 0.6) return `${round(Math.round(between(r, 1, 50)) / 10, 3)} ms`;
    if (x < 0.8) return `uniform(0.5 ms, ${pick(r, ['2', '3', '5'])} ms)`;
    return `${pick(r, ['1', '2', '1.5', '0.8'])} ms`;
  };
  const connector = (pre: End, post: End): string => {
    const x = r();
    if (pre.structured && post.structured && x < 0.5) return `DistanceDependentProbability(${pick(r, ['exp(-d / 100 um)', '0.5 * exp(-(d / 150 um)^2)', 'd < 80 um'])})`;
    if (pre.size === post.size && x < 0.15) return 'OneToOne';
    if (x < 0.55) return `FixedProbability(${pick(r, ['0.01', '0.02', '0.05', '0.1', '0.2'])})`;
    if (x < 0.65) return pre.size * post.size <= 40_000 ? 'AllToAll' : 'FixedProbability(0.02)';
    if (x < 0.72) return `FixedProbability(p_connect: ${pick(r, ['0.02', '0.1'])}, allow_self_connections: false)`;
    if (x < 0.82) return `FixedNumberPre(${Math.max(1, Math.min(pre.size, pick(r, [5, 10, 20])))})`;
    if (x < 0.92) return `FixedNumberPost(n: ${Math.max(1, Math.min(post.size, pick(r, [5, 10])))}, with_replacement: ${pick(r, ['true', 'false'])})`;
    return `FixedTotalNumber(${pick(r, [100, 500, 1000])})`;
  };

  const cellEnds = cells.map(asEnd);
  const preEnds = spiking.map(asEnd);
  // Every source feeds a projection, so nothing is unused; then random wiring.
  const plan: { pre: End; post: End }[] = sources.map((s) => ({ pre: asEnd(s), post: nearby(cellEnds, cells.findIndex((c) => pops.indexOf(c) > pops.indexOf(s))) }));
  for (const v of views) if (r() < 0.6) plan.push(r() < 0.5 ? { pre: v, post: pick(r, cellEnds) } : { pre: pick(r, preEnds), post: v });
  for (const a of assemblies) plan.push(r() < 0.5 ? { pre: a, post: pick(r, cellEnds) } : { pre: pick(r, preEnds), post: a });
  while (plan.length < nProj) {
    const post = pick(r, cellEnds);
    const centre = preEnds.findIndex((p) => p.text === post.text);
    plan.push({ pre: nearby(preEnds, centre), post });
  }
  plan.length = Math.min(plan.length, nProj);

  const usedViews = new Set<string>();
  plan.forEach(({ pre, post }, j) => {
    usedViews.add(pre.text).add(post.text);
    const receptors = post.cell.receptors ?? [];
    const inhibitory = receptors.includes('inhibitory') && (pre.cell.key === 'poisson' ? r() < 0.1 : r() < 0.25);
    const args: string[] = [`${pre.text} -> ${post.text}`, connector(pre, post)];
    if (receptors.length > 0 && (inhibitory || r() < 0.7)) args.push(`receptor: ${inhibitory ? 'inhibitory' : 'excitatory'}`);
    const w = weightOf(post.cell, inhibitory);
    const syn = r();
    if (syn < 0.15) {
      args.push(`synapse: StaticSynapse(weight: ${w}, delay: ${delay()})`);
    } else if (syn < 0.22) {
      args.push(`synapse: TsodyksMarkram(U: ${pick(r, ['0.2', '0.5'])}, tau_rec: ${pick(r, ['100', '200', '800'])} ms, weight: ${w}, delay: ${delay()})`);
    } else if (syn < 0.27) {
      args.push(`synapse: Facilitating(weight: ${w}, delay: ${delay()}, tau_f: ${pick(r, ['300', '500'])} ms)`);
    } else {
      args.push(`weight: ${w}`);
      if (r() < 0.8) args.push(`delay: ${delay()}`);
    }
    if (!inhibitory && syn >= 0.27 && post.cell.signed === false && r() < 0.15) {
      const u = post.cell.unit ? ` ${post.cell.unit}` : '';
      args.push(`plasticity: STDP(tau_plus: 20 ms, tau_minus: 20 ms, A_plus: 0.01, A_minus: 0.012, w_max: ${round(post.cell.scale * 3)}${u})`);
    } else if (!inhibitory && syn >= 0.27 && post.cell.key === 'lif' && r() < 0.5) {
      args.push('trainable');
    }
    if (r() < 0.03) args.push(`label: "projection ${j}"`);
    const bind = r() < 0.2 ? `proj${j} = ` : '';
    if (r() < 0.45) {
      line(`  ${bind}Projection(`);
      args.forEach((a, k) => line(`      ${a}${k < args.length - 1 ? ',' : ''}`));
      line('  )');
    } else {
      line(`  ${bind}Projection(${args.join(', ')})`);
    }
  });

  // ---- current sources into a twentieth of the cell populations
  line('');
  line('  # ---- current sources');
  for (const p of cells) {
    if (r() >= 0.05) continue;
    const target = r() < 0.5 ? p.name : `${p.name}[0:${Math.max(1, Math.floor(p.size / 2))}]`;
    const src = pick(r, [
      `DCSource(amplitude: ${round(between(r, 0.1, 0.6), 2)} nA, start: ${Math.floor(between(r, 1, 5)) * 100} ms, stop: ${Math.floor(between(r, 6, 9)) * 100} ms)`,
      `ACSource(amplitude: 0.2 nA, offset: 0.1 nA, frequency: ${pick(r, [4, 8, 40])} Hz, phase: 90 deg)`,
      `NoisyCurrentSource(mean: 0.3 nA, stdev: 0.1 nA, dt: 1 ms)`,
      `StepCurrentSource(times: [50 ms, 150 ms, 250 ms], amplitudes: [0.4 nA, 0.6 nA, 0.2 nA])`,
    ]);
    line(`  inject ${src} into ${target}`);
  }

  // ---- records: spikes of every population (ten a line), state variables of some, every view and assembly
  line('');
  line('  # ---- recording');
  for (let i = 0; i < pops.length; i += 10) line(`  record ${pops.slice(i, i + 10).map((p) => `${p.name}.spikes`).join(', ')}`);
  for (const p of cells) {
    if (r() >= 0.1 || p.cell.vars.length === 0) continue;
    const v = pick(r, p.cell.vars);
    line(`  record ${p.name}[0:${Math.min(10, p.size)}].${v}${r() < 0.7 ? ` every ${pick(r, ['0.5', '1', '2'])} ms` : ''}`);
  }
  for (const v of [...views, ...assemblies]) if (!usedViews.has(v.text) || r() < 0.2) line(`  record ${v.text}.spikes`);
  line('}');
  out.push('');

  const text = out.join('\n');
  return {
    text,
    lines: out.length - 1,
    populations: pops.length,
    projections: plan.length,
    views: views.length,
    assemblies: assemblies.length,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = benchArgs(
    { populations: { type: 'string' }, projections: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' } },
    'npx tsx bench/gen-large-model.ts [--populations N] [--projections N] [--seed N] [--out FILE]',
  );
  const num = (name: 'populations' | 'projections' | 'seed'): number | undefined => (args[name] === undefined ? undefined : wholeNumber(args[name], name, 0));
  const model = generateLargeModel({ populations: num('populations'), projections: num('projections'), seed: num('seed') });
  const outFile = args.out;
  if (outFile) {
    writeFileSync(outFile, model.text);
    console.error(`${outFile}: ${model.lines} lines, ${model.populations} populations, ${model.projections} projections`);
  } else process.stdout.write(model.text);
}
