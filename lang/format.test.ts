import { expect } from 'chai';
import fc from 'fast-check';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from './format.js';
import { parse } from './parse.js';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** Every `.snn` file below `dir` (relative to the repository root), if the folder exists. */
function snnFiles(dir: string): string[] {
  const abs = path.join(ROOT, dir);
  if (!existsSync(abs)) return [];
  const out: string[] = [];
  for (const name of readdirSync(abs).sort()) {
    const p = path.join(abs, name);
    if (statSync(p).isDirectory()) out.push(...snnFiles(path.join(dir, name)));
    else if (name.endsWith('.snn')) out.push(path.join(dir, name));
  }
  return out;
}

/** The AST without positions: what formatting must never change. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(shape);
  if (v === null || typeof v !== 'object') return v;
  const isDocument = (v as { kind?: unknown }).kind === 'Document';
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === 'range' || k === 'resetRange' || k === 'comments' || (isDocument && k === 'path')) continue;
    out[k] = shape(x);
  }
  return out;
}

function formatted(text: string): string {
  const r = format(text, 'test.snn');
  if ('error' in r) throw new Error(`unexpected syntax errors: ${r.error.map((d) => d.message).join('; ')}`);
  return r.output;
}

function commentTexts(text: string): string[] {
  return parse(text, 'test.snn').ast.comments.map((c) => c.text.trimEnd()).sort();
}

const CUBA = `use "other.snn"                 # everything from another file
use LIF, LI from "models.snn"   # selected names
use stdlib.pynn                 # stdlib modules are always in scope

network cuba {
  dt = 0.1 ms
  seed = 42
  exc = Population(3200, IF_curr_exp(tau_m: 20 ms, v_rest: -49 mV), initial: {v: uniform(-60 mV, -50 mV)})
  inh = Population(800, IF_curr_exp, structure: Grid2D(aspect_ratio: 1, dx: 1 um))
  input = Population(100, SpikeSourceArray) from randman(classes: 2, seed: 42)
  noise = Population(10, SpikeSourcePoisson(rate: 5 Hz))
  first = exc[0:100]                       # a view
  all = Assembly(exc, inh)                 # an assembly (exc + inh also works)
  Projection(exc -> all, FixedProbability(0.02), syn: StaticSynapse(weight: 0.27 nA, delay: 0.1 ms),
             receptor: excitatory)
  ee = Projection(input -> exc, AllToAll, weight: normal(0 nA, 0.2 nA), rule: STDP(A_plus: 0.01), trainable)
  inject DCSource(amplitude: 0.5 nA, start: 100 ms, stop: 200 ms) into exc[0:10]
  record exc.spikes, exc[0:10].v every 1 ms
  train { readout: max_over_time(output.v); loss: cross_entropy; optimizer: adam(lr: 2e-3); epochs: 30; batch: 256 }
  target bss2 { speedup: 1000 }
}
`;

const MODELS = `# Models in several styles.
neuron IF_curr_exp {
  parameters {
    cm = 1 nF          # membrane capacitance
    tau_m = 20 ms


    v_rest = -65 mV
  }
  state { v = -65 mV; isyn_exc = 0 nA; isyn_inh = 0 nA }
  equations {
    i_syn = isyn_exc + isyn_inh              # alias
    v' = (v_rest - v) / tau_m + (i_syn + i_offset) / cm
    isyn_exc' = -isyn_exc / tau_syn_E
    x'' = -x*omega^2 - 2*zeta*omega*dx + (a*b)+c
  }
  on input excitatory(w) { isyn_exc += w }   # receptor port
  on input inhibitory(w) { isyn_inh -= w }
  spike when v >= v_thresh and not (v < -100 mV) reset { v = v_reset }
  refractory tau_refrac                      # clamp
}
synapse TsodyksMarkram {
  parameters { U = 0.5; tau_rec = 100 ms; tau_facil = 0 ms; g = 1 nA*ms; r = 2 ms^-1; k = 3 mV/ms; A = 2 um^2 }
  state { u = 0; x = 1 }
  equations { x' = (1 - x) / tau_rec }
  on pre { u += U * (1 - u); deliver(w * u * x); x -= u * x }   # deliver sends to the receptor
}
plasticity TripletSTDP {
  parameters { tau_plus = 16.8 ms; A2_plus = 5e-3; tau_x = .5e2 ms }
  pre  traces { r1: tau_plus; r2: tau_x }
  post traces { o1: tau_minus; o2: tau_y }
  on pre  { w -= o1 * (A2_minus + A3_minus * r2) }
  on post { w += r1 * (A2_plus + A3_plus * o2) }
  bounds w in [w_min, w_max]
}
`;

/** Odd corners: comments everywhere, empty blocks, tricky tokens, multi-line expressions. */
const CORNERS = `use A.B, C from stdlib.pynn
use "lib/x.snn";use D from "a \\"quoted\\" path.snn"
# a comment between uses
use E


neuron N {  # header comment
  # leading comment of the parameters
  parameters {}
  state {
  }  # after an empty block
  state {  # on the brace
  }  # after the brace
  equations {
    a = 2 um ^ 2 + (2 um)^2 + x^-2 + -(-y) + - -z + +q + 2^3^4 + (2^3)^4
    b = f(g)(h)[1][2:3][::2][:][1:][:2].k + 5 .real + ((c))
    c = [1 ms, 2 ms,] + {v: -65 mV, i: 0 nA,} + "s\\tr" + true - false % 3
  }
  on input(w) { i += w; -i; (f)(i); [i]; +i }
  on post() {}
  spike when v >
     # inside the condition
     th  # after the condition
  spike when (a -> b) or c reset {}
  refractory (1 ms)
}

network net {
  big = Projection(population_one -> population_two, FixedProbability(0.02),  # inside the call
                   syn: StaticSynapse(weight: 0.27 nA),  # second inner comment
                   receptor: excitatory)  # after the call
  x = a; -b
  y = q; (r)
  z = s from t; every = 1; from = 2
  record z; every = 3
  p = Population(10, Foo) from bar(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb)
  train {
    a: 1,
    b: 2
    # before the closing brace
  }
}
# at the end of the file`;

const MESSY = `neuron   Tiny{parameters{tau=10   ms;v0=-65mV}  # params
state{v=v0}
equations{v'=(v0-v)/tau}
on input(w){v+=w}
spike when v>=-50 mV reset{v=v0}}
network  n{ p=Population(2,Tiny)
record p.v every 1  ms;train{epochs:3}}
`;

const MESSY_EXPECTED = `neuron Tiny {
  parameters {  # params
    tau = 10 ms
    v0 = -65 mV
  }
  state {
    v = v0
  }
  equations {
    v' = (v0 - v) / tau
  }
  on input(w) {
    v += w
  }
  spike when v >= -50 mV reset {
    v = v0
  }
}

network n {
  p = Population(2, Tiny)
  record p.v every 1 ms
  train {
    epochs: 3
  }
}
`;

const INLINE: [string, string][] = [
  ['cuba network', CUBA],
  ['models', MODELS],
  ['corners', CORNERS],
  ['messy', MESSY],
  ['empty file', ''],
  ['only comments', '# one\n\n\n# two   \n'],
];
const FILES: [string, string][] = [...snnFiles('stdlib'), ...snnFiles('examples'), ...snnFiles('spec/conformance')]
  .map((f): [string, string] => [f, readFileSync(path.join(ROOT, f), 'utf8')])
  .filter(([, text]) => !parse(text, 'test.snn').diagnostics.some((d) => d.severity === 'error'));
const ALL = [...INLINE, ...FILES];

describe('format', () => {
  describe('is idempotent', () => {
    for (const [name, text] of ALL) {
      it(name, () => {
        const once = formatted(text);
        expect(formatted(once)).to.equal(once);
      });
    }
  });

  describe('leaves the AST unchanged', () => {
    for (const [name, text] of ALL) {
      it(name, () => {
        expect(shape(parse(formatted(text), 'test.snn').ast)).to.deep.equal(shape(parse(text, 'test.snn').ast));
      });
    }
  });

  describe('keeps every comment exactly once', () => {
    for (const [name, text] of ALL) {
      it(name, () => {
        expect(commentTexts(formatted(text))).to.deep.equal(commentTexts(text));
      });
    }
  });

  describe('writes clean lines', () => {
    for (const [name, text] of ALL) {
      it(name, () => {
        const out = formatted(text);
        if (text.trim() === '') expect(out).to.equal('');
        else expect(out.endsWith('\n') && !out.endsWith('\n\n')).to.equal(true, 'exactly one final newline');
        for (const line of out.split('\n')) {
          expect(line).not.to.match(/\s$/);
          expect(line).not.to.match(/^\t/);
          expect(line).not.to.match(/^\s*;$/);
        }
      });
    }
  });

  it('prints a messy file in the canonical form', () => {
    const r = format(MESSY);
    expect(r).to.deep.equal({ output: MESSY_EXPECTED, changed: true });
    expect(format(MESSY_EXPECTED)).to.deep.equal({ output: MESSY_EXPECTED, changed: false });
  });

  it('prints expressions, units and headers canonically', () => {
    const src = [
      'use A.B, C from stdlib.pynn',
      'neuron N { equations { a = 2 um ^ 2 + x^-2 + - -z + 5 .real + ((c)); b = 1 mV/ms*ms^-1 + 2 ms^-1 } ',
      'on input exc(w) { i += w } on post() {} }',
      'network n { x = p[::2] + p[1:] + q[3:7]; y = {v: -65 mV}; z = s from t; record z; every = 3 }',
    ].join('\n');
    expect(formatted(src)).to.equal(`use A, B, C from stdlib.pynn

neuron N {
  equations {
    a = 2 um ^ 2 + x^-2 + --z + 5 .real + (c)
    b = 1 mV/ms/ms + 2 ms^-1
  }
  on input exc(w) {
    i += w
  }
  on post {}
}

network n {
  x = p[::2] + p[1:] + q[3:7]
  y = {v: -65 mV}
  z = s from t
  record z
  ;every = 3
}
`);
  });

  it('breaks long calls one argument per line and moves inner comments to the first line', () => {
    const src = `network n {
  big = Projection(population_one -> population_two, FixedProbability(0.02),  # inner
                   syn: StaticSynapse(weight: 0.27 nA), receptor: excitatory) from somewhere
  short = Projection(a -> b, AllToAll,
    receptor: excitatory)
}
`;
    expect(formatted(src)).to.equal(`network n {
  big = Projection(  # inner
      population_one -> population_two,
      FixedProbability(0.02),
      syn: StaticSynapse(weight: 0.27 nA),
      receptor: excitatory
  ) from somewhere
  short = Projection(a -> b, AllToAll, receptor: excitatory)
}
`);
  });

  it('places own-line, trailing and closing comments', () => {
    const src = `# file header


use "x.snn"
neuron N {  # on the brace
  state { v = 0 }  # after a one-line block
  parameters {
    a = 1


    # about b
    b = 2  # trailing b
    # before the brace
  }  # after the brace
}
# end of file
`;
    expect(formatted(src)).to.equal(`# file header

use "x.snn"

neuron N {  # on the brace
  state {  # after a one-line block
    v = 0
  }
  parameters {
    a = 1

    # about b
    b = 2  # trailing b
    # before the brace
  }  # after the brace
}
# end of file
`);
  });

  it('keeps the AST of random expressions (parentheses, precedence, units, spacing)', () => {
    const { expr } = fc.letrec<{ atom: string; arith: string; cmp: string; logic: string; expr: string }>((tie) => {
      const sp = fc.constantFrom(' ', '', '  ');
      const join = (parts: fc.Arbitrary<string>[]) => fc.tuple(...parts).map((xs) => xs.join(''));
      return {
        atom: fc.oneof(
          { maxDepth: 3, withCrossShrink: true },
          fc.constantFrom('a', 'v_th', '1', '2.5', '.5e2', '10 ms', '1 mV/ms', '2 um^2', '3 ms^-1', '4 nA*ms', '"s"', 'true', 'p.v', 'p[1:2]', 'p[::2]'),
          join([fc.constant('f('), tie('expr'), fc.constant(', k: '), tie('arith'), fc.constant(')')]),
          join([fc.constant('['), tie('arith'), fc.constant(', '), tie('atom'), fc.constant(']')]),
          join([fc.constant('('), tie('expr'), fc.constant(')')]),
        ),
        arith: fc.oneof(
          { maxDepth: 3, withCrossShrink: true },
          tie('atom'),
          join([fc.constantFrom('-', '+', '- '), tie('atom')]),
          join([tie('arith'), sp, fc.constantFrom('+', '-', '*', '/', '%', '^'), sp, tie('arith')]).filter((x) => !/\^\s*[+-]\s*[+-]/.test(x)),
        ),
        cmp: fc.oneof(tie('arith'), join([tie('arith'), sp, fc.constantFrom('<', '<=', '>', '>=', '==', '!='), sp, tie('arith')])),
        logic: fc.oneof(
          { maxDepth: 3, withCrossShrink: true },
          tie('cmp'),
          join([fc.constant('not '), tie('cmp')]),
          join([tie('logic'), fc.constantFrom(' and ', ' or '), tie('logic')]),
        ),
        expr: fc.oneof(tie('logic'), join([tie('logic'), fc.constantFrom(' -> ', '->'), tie('logic')])),
      };
    });
    fc.assert(
      fc.property(expr, (e) => {
        const text = `network n {\n  y = ${e}\n}\n`;
        if (parse(text, 'test.snn').diagnostics.some((d) => d.severity === 'error')) return; // e.g. `a ^ - - b`
        const out = formatted(text);
        expect(shape(parse(out, 'test.snn').ast)).to.deep.equal(shape(parse(text, 'test.snn').ast));
        expect(formatted(out)).to.equal(out);
      }),
      { numRuns: 150, seed: 7 },
    );
  });

  it('refuses to format a file with syntax errors', () => {
    const broken = 'neuron N {\n  state { v = }\n}\n';
    const r = format(broken, 'broken.snn');
    expect(r).to.have.property('error');
    expect(r).not.to.have.property('output');
    if (!('error' in r)) return;
    expect(r.error.length).to.be.greaterThan(0);
    expect(r.error.every((d) => d.severity === 'error' && d.file === 'broken.snn')).to.equal(true);
  });
});
