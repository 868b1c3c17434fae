/**
 * Generates spec/diagnostics.md, the diagnostics catalogue, from lang/messages.ts and the invalid
 * conformance cases (each code's example is a real case that the suite checks).
 *
 *   npx tsx spec/gen-diagnostics.ts          writes spec/diagnostics.md
 *
 * spec/diagnostics.test.ts fails when the committed file differs from a fresh generation.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Messages, type MessageDef } from '../lang/messages.js';
import { formatExpectation, loadCases, REPO_DIR, SPEC_DIR, type ConformanceCase } from './conformance/cases.js';

export const DIAGNOSTICS_MD = path.join(SPEC_DIR, 'diagnostics.md');

/** Codes that no single .snn file can trigger, with how they arise instead. */
export const NOT_FROM_A_FILE: Readonly<Record<string, string>> = {
  SNN6001:
    'Reported by the command line, before any checking, when a path given to `snn check` (or any ' +
    'other command that reads models) does not exist or cannot be read, e.g. `snn check missing.snn`. ' +
    'The second placeholder is the operating system\'s reason (`ENOENT`, `EACCES`, `EISDIR`). ' +
    'A file named in a `use` inside a model is SNN1005 instead.',
  SNN4001:
    'Reported by `snn compile` and `snn run`, never by `snn check`: the model is valid, but lowering ' +
    'it to the Network IR needs a construct the compiler does not support yet (the placeholder says ' +
    'which, e.g. "the distribution \'gamma\' is not supported by the compiler yet"), ' +
    'or the file has no network, or several and none was picked. compiler/compile.test.ts triggers it.',
  SNN5001:
    'Reported by `snn export`, never by `snn check`: the target cannot express a construct of the model ' +
    'and an approximation would change its meaning (e.g. a neuron model with an adaptation variable ' +
    'exported to NIR, or a user-defined neuron exported to PyNN). backends/nir/export.test.ts and ' +
    'backends/pynn/export.test.ts trigger it.',
  SNN5101: 'Reported by `snn export --target nir` for each projection with plasticity; backends/nir/export.test.ts triggers it.',
  SNN5102: 'Reported by `snn export --target nir` for each population of a conductance-based cell type, e.g. IF_cond_exp; backends/nir/export.test.ts triggers it.',
  SNN5103: 'Reported by `snn export --target nir` for a projection whose delays differ from synapse to synapse into the same neuron; backends/nir/export.test.ts triggers it.',
  SNN5104: 'Reported by `snn export --target nir` for each population with a refractory period, e.g. any PyNN cell type; backends/nir/export.test.ts triggers it.',
  SNN5105: 'Reported by `snn export --target nir` for each spike source (Poisson, spike array or data source); backends/nir/export.test.ts triggers it.',
  SNN5106: 'Reported by `snn export --target nir` for each `inject` statement; backends/nir/export.test.ts triggers it.',
  SNN5107: 'Reported by `snn export --target nir` for each projection with a synapse model that has state, e.g. TsodyksMarkram; backends/nir/export.test.ts triggers it.',
  SNN5108: 'Reported by `snn export --target nir` for a population whose initial membrane potential differs from its resting potential; backends/nir/export.test.ts triggers it.',
  SNN5109: 'Reported by `snn export --target pynn` for each random connector, random weight or delay, random initial value and Poisson source; backends/pynn/export.test.ts triggers it.',
  SNN5201: 'Reported by `snn import` for a file that is not a NIR graph it can read; backends/nir/import.test.ts triggers it.',
  SNN5301: 'Reported by `snn train` for a network it cannot train (e.g. a projection with a synapse model or plasticity, a refractory period of a whole step, no train block); backends/training/train.test.ts triggers it.',
  SNN5302: 'Reported by `snn train` when the data source cannot be read (a missing SHD file, a spike file with a bad line); cli/train.test.ts triggers it.',
  SNN5303: 'Reported by `snn train --backend webgpu` when no WebGPU adapter can be opened; `--backend auto` falls back to the CPU instead.',
  SNN9001:
    'Reported when a checker rule throws instead of reporting a diagnostic: a bug in snn, never ' +
    'in the model. The rule\'s name and the exception\'s message fill the placeholders; the node ' +
    'the rule was checking gives the range, and the other rules still run, so the rest of the ' +
    'diagnostics are complete. No conformance case can trigger it: a case that did would be a bug to fix.',
};

export interface CatalogueEntry extends MessageDef {
  name: string;
}

/** The catalogue in numeric order of code. */
export function catalogue(): CatalogueEntry[] {
  return Object.entries(Messages)
    .map(([name, def]): CatalogueEntry => ({ name, ...(def as MessageDef) }))
    .sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}

/** The case that illustrates `code`: one named after the code if there is one, else the first case expecting it. */
export function exampleFor(code: string, cases: readonly ConformanceCase[]): ConformanceCase | undefined {
  const expecting = cases.filter((c) => c.kind === 'invalid' && c.expect.some((e) => e.code === code));
  return expecting.find((c) => !c.isLib && c.name.startsWith(`${code}-`)) ?? expecting[0];
}

const PHASES: readonly [string, string, string][] = [
  ['SNN0xxx', 'lexing and parsing', 'the file is not well-formed text of the language. Checking stops after these: a broken tree would only produce follow-on noise.'],
  ['SNN1xxx', 'names and scopes', 'declarations, references, imports and options; SNN11xx are warnings about things declared but never used.'],
  ['SNN2xxx', 'units and types', 'physical dimensions, argument kinds and counts, sizes and ranges of values.'],
  ['SNN3xxx', 'model structure', 'state, equations, spike rules, resets, refractoriness, traces and bounds, and how a network uses its models.'],
  ['SNN4xxx', 'IR and lowering', 'problems found while lowering a checked model to the Network IR.'],
  ['SNN5xxx', 'backend capability', 'what a target cannot represent (reported by that backend).'],
  ['SNN6xxx', 'CLI and configuration', 'command-line arguments, files given on the command line, configuration.'],
  ['SNN9xxx', 'internal errors', 'bugs in snn itself.'],
];

function code(s: string): string {
  return s.includes('`') ? `\`\` ${s} \`\`` : `\`${s}\``;
}

function lineList(lines: number[]): string {
  const l = [...new Set(lines)].sort((a, b) => a - b);
  if (l.length === 1) return `line ${l[0]}`;
  return `lines ${l.slice(0, -1).join(', ')} and ${l[l.length - 1]}`;
}

function fence(text: string): string {
  const body = text.replace(/\r\n/g, '\n').replace(/\n+$/, '');
  let ticks = '```';
  while (body.includes(ticks)) ticks += '`';
  return `${ticks}snn\n${body}\n${ticks}`;
}

/** Conformance files a case imports with `use "…"` (those that exist), as repository-relative paths. */
function importedFiles(c: ConformanceCase): string[] {
  const out: string[] = [];
  for (const m of c.text.matchAll(/^\s*use\b[^"\n]*"([^"\n]+)"/gm)) {
    const abs = path.resolve(path.dirname(c.path), m[1]!);
    if (abs !== c.path && existsSync(abs)) out.push(path.relative(REPO_DIR, abs).split(path.sep).join('/'));
  }
  return out;
}

function section(e: CatalogueEntry, cases: readonly ConformanceCase[]): string {
  const out: string[] = [];
  out.push(`### ${e.code} ${e.name} (${e.severity}${e.retired ? ', retired' : ''})`, '');
  if (e.retired) out.push('_Retired: no longer reported. The code is never given to another diagnostic._', '');
  out.push(e.doc, '');
  out.push(`- Message: ${code(e.message)}`);
  if (e.hint !== undefined) out.push(`- Hint: ${code(e.hint)}`);
  out.push('');
  const note = NOT_FROM_A_FILE[e.code];
  const ex = exampleFor(e.code, cases);
  if (note !== undefined) {
    out.push(`How it arises: ${note}`, '');
  } else if (ex) {
    const mine = ex.expect.filter((x) => x.code === e.code).map((x) => x.line);
    const others = ex.expect.filter((x) => x.code !== e.code);
    let intro = `Example: \`${ex.rel}\` is reported at ${lineList(mine)}`;
    if (others.length) intro += `; the same file also gives ${others.map(formatExpectation).join(', ')}`;
    out.push(`${intro}.`, '', fence(ex.text), '');
    for (const rel of importedFiles(ex)) {
      out.push(`It imports \`${rel}\`:`, '', fence(readFileSync(path.join(REPO_DIR, ...rel.split('/')), 'utf8')), '');
    }
  } else if (!e.retired) {
    out.push('_No conformance case triggers this code yet._', '');
  }
  return out.join('\n');
}

/** The full text of spec/diagnostics.md. */
export function generate(cases: readonly ConformanceCase[] = loadCases()): string {
  const entries = catalogue();
  const out: string[] = [];
  out.push(
    '<!-- Generated by `npx tsx spec/gen-diagnostics.ts` from lang/messages.ts and spec/conformance/invalid; do not edit. -->',
    '',
    '# Diagnostics',
    '',
    'Every problem snn reports is a diagnostic with a stable code, a severity, a message, a source range',
    'and, where it helps, a hint. One run reports all of them. This catalogue lists every code; the single',
    'source of the messages is `lang/messages.ts`, and each example below is an invalid conformance case',
    '(`spec/conformance/invalid/`) whose header lists exactly the diagnostics the checker must report.',
    '',
    '## Code ranges',
    '',
    'The first digit of a code names the phase that reports it:',
    '',
    '| codes | phase | what they are about |',
    '|---|---|---|',
    ...PHASES.map(([c, phase, about]) => `| ${c} | ${phase} | ${about} |`),
    '',
    '## Severities',
    '',
    '- **error**: the model is rejected; nothing is compiled or run until it is fixed. `snn check` exits non-zero.',
    '- **warning**: the model is accepted, but probably does not mean what was intended (something declared and',
    '  never used, a value that is rounded). Compilation goes on.',
    '- **info**: a remark; never changes the outcome.',
    '',
    '## Stability',
    '',
    'Codes are stable: tools, editors, suppressions and quick fixes may rely on them. A message\'s wording may',
    'improve, but its code and name stay. A code that is no longer reported is marked retired and kept here;',
    'a retired code is never given to another diagnostic. New codes take the next free number in their phase.',
    'In messages, `{0}`, `{1}`, … are placeholders the reporter fills in.',
    '',
    '## Index',
    '',
    '| code | name | severity |',
    '|---|---|---|',
    ...entries.map((e) => `| [${e.code}](#${e.code.toLowerCase()}-${e.name.toLowerCase()}-${e.severity}${e.retired ? '-retired' : ''}) | ${e.name} | ${e.severity}${e.retired ? ' (retired)' : ''} |`),
    '',
    '## Codes',
    '',
  );
  for (const e of entries) out.push(section(e, cases));
  return `${out.join('\n').replace(/\n+$/, '')}\n`;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(DIAGNOSTICS_MD, generate());
  console.log(`wrote ${path.relative(process.cwd(), DIAGNOSTICS_MD)}`);
}
