import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { compileFile, compileText } from './compile.js';
import { validateIR } from './ir/validate.js';
import type { NetworkIR } from './ir/types.js';

const scalar = (ir: NetworkIR, pop: string, name: string): number => {
  const v = ir.populations.find((p) => p.name === pop)!.params[name];
  expect(v, `${pop}.${name}`).to.be.a('number');
  return v as number;
};

describe('compiling to the Network IR', () => {
  it('compiles examples/cuba.snn to an IR that validates against the schema', () => {
    const r = compileFile('examples/cuba.snn');
    expect(r.diagnostics.filter((d) => d.severity === 'error')).to.deep.equal([]);
    const ir = r.ir!;
    expect(validateIR(ir)).to.deep.equal([]);
    expect(ir.format).to.equal('snn-ir');
    expect([ir.dt, ir.duration, ir.seed]).to.deep.equal([0.1, 1000, 1]);
    expect(ir.populations.map((p) => [p.name, p.size])).to.deep.equal([['neurons', 4000]]);
    expect(ir.projections.map((p) => [p.pre[0]!.start, p.pre[0]!.stop, p.receptor])).to.deep.equal([[0, 3200, 'excitatory'], [3200, 4000, 'inhibitory']]);
    expect((ir.projections[0]!.weight as { const: number }).const).to.be.closeTo((60 * 0.27) / 10, 1e-12);
    expect((ir.projections[1]!.weight as { const: number }).const).to.be.closeTo((-20 * 4.5) / 10, 1e-12);
    // Initial v drawn per neuron from uniform(-60 mV, -50 mV).
    const v0 = ir.populations[0]!.initial.v as number[];
    expect(v0).to.have.length(4000);
    expect(Math.min(...v0)).to.be.at.least(-60);
    expect(Math.max(...v0)).to.be.below(-50);
  });

  it('the schema rejects what is not an IR', () => {
    const ir = compileFile('examples/cuba.snn').ir!;
    const broken = JSON.parse(JSON.stringify(ir)) as Record<string, unknown>;
    delete broken.dt;
    (broken.populations as { size: number }[])[0]!.size = -3;
    const problems = validateIR(broken);
    expect(problems.join('\n')).to.match(/dt/).and.to.match(/size/);
  });

  it('gives the exact propagator of a linear model: the closed-form solution of CUBA\'s equations', () => {
    const ir = compileFile('examples/cuba.snn').ir!;
    expect(ir.models.CubaLIF!.integrator.method).to.equal('exact');
    const [dt, tm, te, ti, el] = [0.1, 20, 5, 10, -49];
    const c = (n: string): number => scalar(ir, 'neurons', n);
    expect(c('P[v,v]')).to.be.closeTo(Math.exp(-dt / tm), 1e-15);
    expect(c('P[ge,ge]')).to.be.closeTo(Math.exp(-dt / te), 1e-15);
    // v' = (ge - v + e_l) / tm, ge' = -ge / te: the response of v to ge.
    expect(c('P[v,ge]')).to.be.closeTo((te / (te - tm)) * (Math.exp(-dt / te) - Math.exp(-dt / tm)), 1e-14);
    expect(c('P[v,gi]')).to.be.closeTo((ti / (ti - tm)) * (Math.exp(-dt / ti) - Math.exp(-dt / tm)), 1e-14);
    expect(c('P[ge,v]')).to.equal(0);
    expect(c('q[v]')).to.be.closeTo(el * (1 - Math.exp(-dt / tm)), 1e-12);
  });

  it('converts every quantity to the internal units (ms, mV, nA, nF, uS, Hz)', () => {
    const src = `
network units {
  dt = 100 us
  duration = 0.5 s
  a = Population(2, IF_cond_exp(tau_m: 0.03 s, cm: 250 pF, v_thresh: -0.05 V, e_rev_E: 0 mV, tau_syn_E: 2000 us))
  b = Population(3, SpikeSourcePoisson(rate: 0.02 kHz))
  Projection(b -> a, AllToAll, receptor: excitatory, weight: 4 nS, delay: 1.5 ms)
}`;
    const r = compileText(src, 'units.snn');
    expect(r.diagnostics.filter((d) => d.severity === 'error')).to.deep.equal([]);
    const ir = r.ir!;
    expect([ir.dt, ir.duration]).to.deep.equal([0.1, 500]);
    expect([scalar(ir, 'a', 'tau_m'), scalar(ir, 'a', 'cm'), scalar(ir, 'a', 'v_thresh'), scalar(ir, 'a', 'tau_syn_E')]).to.deep.equal([30, 0.25, -50, 2]);
    expect(scalar(ir, 'b', 'rate')).to.equal(20);
    expect(ir.projections[0]!.weight).to.deep.equal({ const: 0.004 });
    expect(ir.projections[0]!.delay).to.deep.equal({ const: 15 }); // 1.5 ms in steps of 0.1 ms
  });

  it('chooses the integrator per model: exact for linear equations, RK4 for nonlinear ones', () => {
    const src = `
network choice {
  duration = 10 ms
  a = Population(1, IF_curr_exp)
  b = Population(1, IF_curr_alpha)
  c = Population(1, Izhikevich)
  d = Population(1, EIF_cond_exp_isfa_ista)
  e = Population(1, IF_cond_exp)
}`;
    const ir = compileText(src, 'choice.snn').ir!;
    const method = (m: string): string => ir.models[m]!.integrator.method;
    expect(['IF_curr_exp', 'IF_curr_alpha', 'Izhikevich', 'EIF_cond_exp_isfa_ista', 'IF_cond_exp'].map(method)).to.deep.equal(['exact', 'exact', 'rk4', 'rk4', 'rk4']);
    expect(ir.models.Izhikevich!.integrator.reason).to.match(/nonlinear in v/);
  });

  it('reports SNN4001, with the construct, for what it cannot lower yet', () => {
    const unsupported = compileText(
      `network x {
  duration = 10 ms
  a = Population(10, IF_curr_exp)
  Projection(a -> a, AllToAll, weight: gamma(k: 2, theta: 0.1 nA))
}`,
      'x.snn',
    );
    expect(unsupported.ir).to.equal(undefined);
    const d = unsupported.diagnostics.find((x) => x.code === 'SNN4001')!;
    expect(d.message).to.match(/distribution 'gamma'/);
    expect(d.range.start.line).to.equal(4);
    const none = compileText('neuron N { parameters { tau = 10 ms } state { v = 0 } equations { v\' = -v / tau } }', 'n.snn');
    expect(none.diagnostics.map((x) => x.code)).to.include('SNN4001');
    expect(none.diagnostics.find((x) => x.code === 'SNN4001')!.message).to.match(/no network/);
  });

  it('does not lower a model that does not check', () => {
    const r = compileText(readFileSync('examples/cuba.snn', 'utf8').replace('tau_m = 20 ms', 'tau_m = 20 mV'), 'bad.snn');
    expect(r.ir).to.equal(undefined);
    expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code)).to.deep.equal(['SNN2002']);
  });
});

describe('what the compiler refuses with SNN4001 rather than simulate wrongly', () => {
  it('an input handler that is not linear in the weight', () => {
    const r = compileText(`neuron Square {
  parameters { tau = 10 ms }
  state { v = 0 }
  equations { v' = -v / tau }
  on input(w) { v += w * w }
  spike when v > 1 reset { v = 0 }
}
network sq {
  duration = 10 ms
  src = Population(1, SpikeSourceArray(spike_times: [1 ms]))
  cell = Population(1, Square)
  Projection(src -> cell, OneToOne, weight: 0.5)
}`, 'sq.snn');
    const d = r.diagnostics.find((x) => x.code === 'SNN4001')!;
    expect(d.message).to.match(/linear in its weight/);
    expect(d.range.start.line).to.equal(5);
  });
});

describe('connector mistakes the compiler reports with SNN4001 at the connector', () => {
  const body = (line: string): string => `network c {\n  duration = 10 ms\n  a = Population(3, IF_curr_exp)\n  b = Population(4, IF_curr_exp)\n${line}\n}`;
  for (const [line, pattern] of [
    ['  Projection(a -> b, OneToOne, weight: 0.1 nA)', /same size, got 3 and 4/],
    ['  Projection(a -> b, FromList([[0, 1], [3, 0]]), weight: 0.1 nA)', /\[3, 0\] is outside/],
    ['  Projection(a -> b, DistanceDependentProbability(d < 10 um), weight: 0.1 nA)', /give population 'a' a structure/],
  ] as const) {
    it(pattern.source, () => {
      const r = compileText(body(line), 'c.snn');
      const d = r.diagnostics.find((x) => x.code === 'SNN4001');
      expect(d?.message).to.match(pattern);
      expect(d?.range.start.line).to.equal(5);
    });
  }
});
