/**
 * The conformance suite for the checker: each file in spec/conformance/{valid,invalid} is one case
 * (see spec/conformance/cases.ts for the header format).
 *   valid:   no error anywhere, and the warnings reported in the file are exactly its
 *            `# expect-warning:` lines (none if it declares none);
 *   invalid: the (code, line) pairs reported in the file are exactly its `# expect:` lines.
 * Diagnostics in other files (an imported helper, the stdlib) are not part of a case's set; an
 * invalid case that imports a broken file expects SNN1016 on its own `use` line instead.
 */
import { assert } from 'chai';
import * as path from 'node:path';
import { checkText } from '../compiler/check/index.js';
import type { Diagnostic } from '../lang/diagnostics.js';
import { diffExpectations, formatExpectation, loadCases, REPO_DIR, type ConformanceCase, type Expectation } from './conformance/cases.js';

const MIN_CASES = 45;

interface Reported extends Expectation {
  diagnostic: Diagnostic;
}

function show(d: Diagnostic): string {
  const file = path.relative(REPO_DIR, path.resolve(d.file)).split(path.sep).join('/');
  return `${d.code} @ ${d.range.start.line}  (${d.severity} at ${file}:${d.range.start.line}:${d.range.start.column}: ${d.message})`;
}

function run(c: ConformanceCase): { own: Reported[]; all: Diagnostic[] } {
  const { diagnostics } = checkText(c.text, c.path);
  const own = diagnostics
    .filter((d) => path.resolve(d.file) === c.path)
    .map((d) => ({ code: d.code, line: d.range.start.line, diagnostic: d }));
  return { own, all: diagnostics };
}

function report(c: ConformanceCase, missing: Expectation[], extra: Reported[], all: Diagnostic[], extraLabel: string): string {
  const lines = [`${c.rel}: reported diagnostics differ from the header`];
  if (missing.length) lines.push('  missing (expected, not reported):', ...missing.map((e) => `    ${formatExpectation(e)}`));
  if (extra.length) lines.push(`  ${extraLabel}:`, ...extra.map((e) => `    ${show(e.diagnostic)}`));
  lines.push('  all reported:', ...(all.length ? all.map((d) => `    ${show(d)}`) : ['    (none)']));
  return lines.join('\n');
}

const cases = loadCases();

describe('conformance', () => {
  it(`has at least ${MIN_CASES} valid and ${MIN_CASES} invalid cases`, () => {
    const count = (k: ConformanceCase['kind']) => cases.filter((c) => c.kind === k && !c.isLib).length;
    assert.isAtLeast(count('valid'), MIN_CASES, 'valid cases');
    assert.isAtLeast(count('invalid'), MIN_CASES, 'invalid cases');
  });

  describe('valid', () => {
    for (const c of cases.filter((x) => x.kind === 'valid')) {
      it(`${c.name}${c.description ? `: ${c.description}` : ''}`, () => {
        assert.deepEqual(c.headerErrors, [], `${c.rel}: bad header`);
        const { own, all } = run(c);
        const errors = all.filter((d) => d.severity === 'error');
        if (errors.length) {
          assert.fail([`${c.rel}: a valid case must have no errors, got:`, ...errors.map((d) => `    ${show(d)}`)].join('\n'));
        }
        const warnings = own.filter((r) => r.diagnostic.severity === 'warning');
        const { missing, extra } = diffExpectations(c.expect, warnings);
        if (missing.length || extra.length) {
          assert.fail(report(c, missing, extra, all, "unexpected warnings (declare them with '# expect-warning: CODE @ LINE' if intended)"));
        }
      });
    }
  });

  describe('invalid', () => {
    for (const c of cases.filter((x) => x.kind === 'invalid')) {
      it(`${c.name}: ${c.expect.map(formatExpectation).join(', ') || '(no expectations)'}`, () => {
        assert.deepEqual(c.headerErrors, [], `${c.rel}: bad header`);
        const { own, all } = run(c);
        const { missing, extra } = diffExpectations(c.expect, own);
        if (missing.length || extra.length) assert.fail(report(c, missing, extra, all, 'extra (reported, not expected)'));
      });
    }
  });
});
