/**
 * The fast path (lang/fast-parse.ts) against the chevrotain parser, the definition: on every
 * corpus file and on fuzzed mutants, the fast path either gives up on a file that has a syntax
 * error, or builds exactly the AST that the chevrotain parser and cst-to-ast.ts build.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { applyPlan, loadCorpus, planArb, type CorpusFile } from '../spec/mutate.js';
import type * as A from './ast.js';
import { fastParse } from './fast-parse.js';
import { parse } from './parse.js';
import { SourceFile } from './source.js';
import { SnnLexer } from './tokens.js';

function fastPath(text: string, path: string): A.Document | undefined {
  const lexed = SnnLexer.tokenize(text);
  if (lexed.errors.length > 0) return undefined;
  return fastParse(lexed.tokens, new SourceFile(path, text), lexed.groups.comments ?? []);
}

const isSyntaxCode = (code: string): boolean => /^SNN0\d{3}$/.test(code);

/** '' when the two paths agree on `text`, else what differs. */
function disagreement(text: string, path: string): string {
  const slow = parse(text, path, { fast: false });
  const syntaxErrors = slow.diagnostics.filter((d) => isSyntaxCode(d.code));
  const fast = fastPath(text, path);
  if (fast === undefined) return syntaxErrors.length > 0 ? '' : 'the fast path gave up on a file without syntax errors';
  if (syntaxErrors.length > 0) return `the fast path accepted a file with ${syntaxErrors[0]!.code}: ${syntaxErrors[0]!.message}`;
  try {
    expect(fast).to.deep.equal(slow.ast);
    return '';
  } catch (e) {
    return `the ASTs differ: ${(e as Error).message.slice(0, 2000)}`;
  }
}

describe('the fast parse path', function () {
  this.timeout(120_000);
  let corpus: CorpusFile[] = [];
  before(() => {
    corpus = loadCorpus();
  });

  it('builds the same AST as the chevrotain parser on every example, conformance case and stdlib file', () => {
    expect(corpus.length).to.be.greaterThan(100);
    const problems = corpus.map((f) => [f.rel, disagreement(f.text, f.mutantPath)]).filter(([, p]) => p !== '');
    expect(problems).to.deep.equal([]);
  });

  it('is taken for every file without a syntax error (so the speed-up is real)', () => {
    const valid = corpus.filter((f) => !parse(f.text, f.mutantPath, { fast: false }).diagnostics.some((d) => isSyntaxCode(d.code)));
    expect(valid.length).to.be.greaterThan(80);
    expect(valid.filter((f) => fastPath(f.text, f.mutantPath) === undefined).map((f) => f.rel)).to.deep.equal([]);
  });

  it('agrees with the chevrotain parser on 2,000 mutants (gives up exactly on syntax errors)', () => {
    const plans = fc.sample(planArb(corpus.length), { numRuns: 2000, seed: 20261123 });
    let accepted = 0;
    for (const plan of plans) {
      const m = applyPlan(corpus, plan);
      const d = disagreement(m.text, m.source.mutantPath);
      if (d !== '') expect.fail(`${m.source.rel} with ${JSON.stringify(plan.mutations)}: ${d}\nmutant: ${JSON.stringify(m.text)}`);
      if (fastPath(m.text, m.source.mutantPath) !== undefined) accepted++;
    }
    // Many mutants stay syntactically valid (a swapped name, a changed digit): both paths see them.
    expect(accepted).to.be.greaterThan(100);
  });
});
