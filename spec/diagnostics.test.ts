/**
 * The diagnostics catalogue cannot drift: spec/diagnostics.md is what gen-diagnostics.ts makes
 * of lang/messages.ts and the conformance cases, codes and names are unique and well-formed,
 * and every code that a model file can trigger has an invalid conformance case.
 */
import { assert } from 'chai';
import { readFileSync } from 'node:fs';
import { Messages, type MessageDef } from '../lang/messages.js';
import { loadCases } from './conformance/cases.js';
import { catalogue, DIAGNOSTICS_MD, generate, NOT_FROM_A_FILE } from './gen-diagnostics.js';

const defs = Object.entries(Messages).map(([name, def]) => ({ name, ...(def as MessageDef) }));
const cases = loadCases();
const invalid = cases.filter((c) => c.kind === 'invalid');

function duplicates(xs: readonly string[]): string[] {
  return [...new Set(xs.filter((x, i) => xs.indexOf(x) !== i))];
}

describe('diagnostics catalogue', () => {
  it('spec/diagnostics.md is up to date (regenerate with `npx tsx spec/gen-diagnostics.ts`)', () => {
    let committed = '';
    try {
      committed = readFileSync(DIAGNOSTICS_MD, 'utf8');
    } catch {
      assert.fail('spec/diagnostics.md is missing: run `npx tsx spec/gen-diagnostics.ts`');
    }
    if (committed !== generate(cases)) {
      assert.fail('spec/diagnostics.md differs from a fresh generation: run `npx tsx spec/gen-diagnostics.ts` and commit the result');
    }
  });

  it('codes are well-formed (SNN + four digits) and unique', () => {
    const bad = defs.filter((d) => !/^SNN\d{4}$/.test(d.code)).map((d) => `${d.name}: '${d.code}'`);
    assert.deepEqual(bad, [], 'malformed codes');
    assert.deepEqual(duplicates(defs.map((d) => d.code)), [], 'codes used by more than one message');
  });

  it('names are unique, even ignoring case', () => {
    assert.deepEqual(duplicates(defs.map((d) => d.name.toLowerCase())), [], 'names used by more than one message');
  });

  it('every message has a severity, a message template and a one-sentence doc', () => {
    const bad = defs
      .filter((d) => !['error', 'warning', 'info'].includes(d.severity) || d.message.trim() === '' || !/^[^\n]+[.!?]$/.test(d.doc.trim()))
      .map((d) => d.code);
    assert.deepEqual(bad, [], 'messages with a bad severity, an empty template or no doc sentence');
  });

  it('the codes that no file can trigger are in the catalogue', () => {
    const known = new Set(defs.map((d) => d.code));
    assert.deepEqual(Object.keys(NOT_FROM_A_FILE).filter((c) => !known.has(c)), []);
  });

  it('conformance cases expect only codes in the catalogue, and no retired code', () => {
    const live = new Set(defs.filter((d) => !d.retired).map((d) => d.code));
    const bad = cases.flatMap((c) => c.expect.filter((e) => !live.has(e.code)).map((e) => `${c.rel}: ${e.code} @ ${e.line}`));
    assert.deepEqual(bad, [], 'expectations naming unknown or retired codes');
  });

  it('every code a model file can trigger has an invalid conformance case', () => {
    const expected = new Set(invalid.flatMap((c) => c.expect.map((e) => e.code)));
    const uncovered = catalogue()
      .filter((e) => !e.retired && !(e.code in NOT_FROM_A_FILE) && !expected.has(e.code))
      .map((e) => `${e.code} ${e.name}`);
    assert.deepEqual(uncovered, [], `codes no invalid case expects: ${uncovered.join(', ')}`);
  });
});
