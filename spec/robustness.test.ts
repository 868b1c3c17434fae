/**
 * Robustness of the checker under mutation (property-based, fast-check): corpus files
 * (examples, conformance cases, stdlib) mutated by deleting, inserting, swapping and duplicating
 * tokens, truncating, inserting random bytes and replacing characters. See spec/mutate.ts for the
 * operators and the oracle; bench/fuzz.ts runs the same property at scale.
 *
 * Reproducible: the seed is fixed (SNN_FUZZ_SEED overrides it) and printed in the test title;
 * SNN_FUZZ_CASES sets the number of cases (default 1000). A failure prints the shrunk case: the
 * corpus file, the mutations and the mutant as a JSON string.
 */
import { assert } from 'chai';
import * as fc from 'fast-check';
import { checkText } from '../compiler/check/index.js';
import { brokenReasons, checkMutant, describeCase, loadCorpus, MUTATION_OPS, planArb, rangeProblem, runCase, type CorpusFile } from './mutate.js';

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`${name} must be a whole number, got '${raw}'`);
  return n;
}

const SEED = envInt('SNN_FUZZ_SEED', 20260611);
const CASES = envInt('SNN_FUZZ_CASES', 1000);

describe('robustness: mutation fuzzing of checkText', function () {
  // ~20 ms a case on a slow core; leave room for fast-check shrinking a failure.
  this.timeout(Math.max(120_000, CASES * 200));

  let corpus: CorpusFile[] = [];

  before(() => {
    corpus = loadCorpus();
    // Warm up: load and check the stdlib once, and JIT-compile the checker, so the first case is not timed cold.
    for (const f of corpus) checkText(f.text, f.mutantPath);
  });

  it('has a corpus of examples, conformance cases and stdlib files', () => {
    const rels = corpus.map((f) => f.rel);
    assert.isAtLeast(rels.filter((r) => r.startsWith('examples/')).length, 1, 'examples');
    assert.isAtLeast(rels.filter((r) => r.startsWith('spec/conformance/')).length, 1, 'conformance cases');
    assert.isAtLeast(rels.filter((r) => r.startsWith('stdlib/')).length, 1, 'stdlib files');
  });

  it('the oracle: what counts as certainly broken', () => {
    assert.deepEqual(brokenReasons('network n {\n  a = Population(1, LIF)\n}\n', false), []);
    assert.deepEqual(brokenReasons('network n { # } in a comment\n}', false), []);
    assert.deepEqual(brokenReasons('network n { x = "}" }', false), []);
    assert.match(brokenReasons('network n {', false).join(), /not properly nested/);
    assert.match(brokenReasons('network n {', true).join(), /truncated inside/);
    assert.match(brokenReasons('f(]', false).join(), /not properly nested/);
    assert.match(brokenReasons('x = 1 \u0000', false).join(), /lexer rejects/);
    assert.match(brokenReasons('x = "abc', false).join(), /unterminated string/);
    const text = 'a\r\nbc\n';
    assert.isUndefined(rangeProblem({ start: { offset: 2, line: 1, column: 3 }, end: { offset: 6, line: 3, column: 1 } }, text));
    assert.match(String(rangeProblem({ start: { offset: 5, line: 2, column: 2 }, end: { offset: 5, line: 2, column: 2 } }, text)), /is offset 4/);
    assert.match(String(rangeProblem({ start: { offset: 0, line: 1, column: 1 }, end: { offset: 6, line: 3, column: 2 } }, text)), /outside/);
    assert.match(String(rangeProblem({ start: { offset: 3, line: 2, column: 1 }, end: { offset: 2, line: 1, column: 3 } }, text)), /after end/);
  });

  it('the judge flags a certainly-broken input that gets no error, and accepts a valid one', () => {
    const valid = corpus.find((f) => f.rel.startsWith('examples/'))!;
    assert.deepEqual(checkMutant(valid.text, valid.mutantPath, []).failures, []);
    const flagged = checkMutant(valid.text, valid.mutantPath, ['(forced for this test)']).failures;
    assert.deepEqual(flagged.map((f) => f.kind), ['missing-diagnostic']);
  });

  it('every corpus file truncated just inside its first { … } block gets an error', () => {
    for (const f of corpus) {
      const at = f.text.search(/^[a-z]+ [A-Za-z_]\w* \{/m);
      if (at < 0) continue;
      const cut = f.text.indexOf('{', at) + 1;
      const text = f.text.slice(0, cut);
      const reasons = brokenReasons(text, true);
      assert.isNotEmpty(reasons, `${f.rel} cut at ${cut}`);
      const { failures } = checkMutant(text, f.mutantPath, reasons);
      assert.deepEqual(failures, [], `${f.rel} cut at ${cut}`);
    }
  });

  it(`survives ${CASES} mutants (seed ${SEED}): no throw, < 1 s under 10 kB, valid ranges and codes, no SNN9001, an error for broken input`, () => {
    const seen = new Set<string>();
    let broken = 0;
    fc.assert(
      fc.property(planArb(corpus.length), (plan) => {
        for (const m of plan.mutations) seen.add(m.op);
        const { mutant, reasons, result } = runCase(corpus, plan);
        if (reasons.length > 0) broken++;
        if (result.failures.length > 0) throw new Error(describeCase(mutant, result.failures));
      }),
      { seed: SEED, numRuns: CASES },
    );
    // The cases must exercise every operator and include certainly-broken mutants, or the property says little.
    if (CASES >= 200) {
      assert.sameMembers([...seen], [...MUTATION_OPS], 'operators exercised');
      assert.isAtLeast(broken, Math.floor(CASES / 10), 'certainly-broken mutants');
    }
  });
});
