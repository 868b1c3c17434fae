/**
 * The tangent program's Jacobians against central finite differences of the step itself,
 * evaluated in float64 from the same forward program, for a linear model (LIF, exact
 * propagator), a nonlinear one written in .snn (QIF, RK4) and AdEx (exponential term, RK4).
 */
import { expect } from 'chai';
import { evaluate } from '../ir/eval.js';
import type { IRAssign } from '../ir/types.js';
import { planTraining } from '../../backends/training/plan.js';
import { compileTrain } from '../../backends/training/testing.js';
import { STEP, stepProgram, type StepProgram } from './step.js';
import { TANGENT, tangentProgram } from './tangent.js';

const QIF = `
neuron QIF {
  parameters { tau = 8 ms; tau_s = 4 ms; v_th = 1 }
  state { v = 0; i = 0 }
  equations {
    v' = (v * v / 2 - v + i) / tau
    i' = -i / tau_s
  }
  on input(w) { i += w }
  spike when v > v_th reset { v = 0 }
}`;

const net = (model: string, unit = ''): string => `${model === 'QIF' ? QIF : ''}
network t {
  dt = 1 ms
  input = Population(3, SpikeSourceArray) from randman(classes: 2, samples: 4, seed: 1)
  hidden = Population(2, ${model})
  output = Population(2, LI)
  Projection(input -> hidden, AllToAll, weight: 1${unit}, trainable)
  Projection(hidden -> output, AllToAll, weight: 1, trainable)
  train { readout: max_over_time(output.v) }
}`;

/** Runs assignments over an environment of state, arrivals, the spike and scalar parameters. */
function run(list: IRAssign[], env: Map<string, number>): Map<string, number> {
  const out = new Map(env);
  for (const a of list) {
    out.set(
      a.target,
      evaluate(a.expr, (n) => {
        const v = out.get(n);
        if (v === undefined) throw new Error(`unbound ${n}`);
        return v;
      }),
    );
  }
  return out;
}

function check(src: string, point: Record<string, number>, spike: 0 | 1, resetGradient = false): void {
  const plan = planTraining(compileTrain(src));
  const pop = plan.populations[1]!;
  const model = pop.model;
  const opts = { dt: plan.ir.dt, surrogate: { kind: 'fast_sigmoid' as const, params: { beta: 2 } }, resetGradient };
  const prog: StepProgram = stepProgram(model, opts);
  const tan = tangentProgram(prog, opts);
  const params = new Map<string, number>();
  for (const [k, v] of Object.entries(pop.params)) params.set(k, typeof v === 'number' ? v : v[0]!);
  const env = (p: Record<string, number>): Map<string, number> => new Map([...params, ...Object.entries(p), [STEP.spike, spike]]);
  const got = run(tan.assignments, env(point));
  /** x¹ for the fixed spike, and the margin. */
  const step = (p: Record<string, number>): Map<string, number> => {
    const e = run(prog.forward, env(p));
    const res = new Map<string, number>();
    for (const x of prog.state) {
      const u = e.get(prog.updated[x]!)!;
      const r = prog.reset[x];
      res.set(x, r ? spike * e.get(r)! + (1 - spike) * u : u);
    }
    if (prog.margin) res.set('$m', e.get(prog.margin)!);
    return res;
  };
  const independents = [...prog.state.map((y) => [y, y] as const), ...prog.ports.map((p) => [STEP.input(p), p] as const)];
  let compared = 0;
  for (const [v, label] of independents) {
    const h = 1e-6 * Math.max(1, Math.abs(point[v]!));
    const plus = step({ ...point, [v]: point[v]! + h });
    const minus = step({ ...point, [v]: point[v]! - h });
    const isPort = v !== label || v.startsWith('$');
    for (const x of prog.state) {
      const fd = (plus.get(x)! - minus.get(x)!) / (2 * h);
      const name = isPort ? TANGENT.input(x, label) : TANGENT.state(x, label);
      expect(got.get(name), `${name} at ${JSON.stringify(point)}`).to.be.closeTo(fd, 1e-6 * Math.max(1, Math.abs(fd)));
      compared++;
    }
    if (prog.margin) {
      const fd = (plus.get('$m')! - minus.get('$m')!) / (2 * h);
      const name = isPort ? TANGENT.marginInput(label) : TANGENT.marginState(label);
      expect(got.get(name), name).to.be.closeTo(fd, 1e-6 * Math.max(1, Math.abs(fd)));
      compared++;
    }
  }
  expect(compared).to.be.at.least(prog.state.length * (prog.state.length + prog.ports.length));
  expect(tan.outputs.every((o) => got.has(o))).to.equal(true);
}

describe('tangent program (forward-mode Jacobians of a step, for eligibility traces)', () => {
  it('LIF (exact propagator): J, Jin and the margin’s gradient equal central differences, with and without a spike', () => {
    for (const s of [0, 1] as const) check(net('LIF'), { v: 0.7, i: 0.3, [STEP.input('')]: 0.2 }, s);
  });

  it('QIF written in .snn (RK4, nonlinear): the same', () => {
    for (const s of [0, 1] as const) check(net('QIF'), { v: 0.6, i: 0.4, [STEP.input('')]: 0.1 }, s);
  });

  it('AdEx (EIF_cond_exp_isfa_ista, exponential term): the same', () => {
    const point = { v: -60, w: 0.1, gsyn_exc: 0.01, gsyn_inh: 0.005, [STEP.input('excitatory')]: 0.002, [STEP.input('inhibitory')]: 0.001 };
    check(net('EIF_cond_exp_isfa_ista(tau_refrac: 0 ms)', ' uS'), point, 0);
  });
});
