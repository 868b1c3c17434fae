import { expect } from 'chai';
import * as path from 'node:path';
import type { Diagnostic, Severity } from '../lang/diagnostics.js';
import { SourceFile } from '../lang/source.js';
import {
  escapeGithubData,
  escapeGithubProperty,
  renderDiagnostics,
  summaryLine,
  type JsonDiagnostic,
  type SarifLog,
} from './render-diagnostics.js';

const MODEL = ['model Lif {', '  tau = 10 ms', '\tv = foo + 1', '}'].join('\n');
const src = new SourceFile('models/lif.snn', MODEL);
const other = new SourceFile('models/other.snn', 'x = 1\n');
const sources = new Map<string, SourceFile>([
  [src.path, src],
  [other.path, other],
]);

/** A diagnostic over `text`'s first occurrence in `file` (offsets → 1-based positions). */
function diagAt(
  file: SourceFile,
  needle: string,
  severity: Severity,
  code: string,
  message: string,
  extra: Partial<Diagnostic> = {},
): Diagnostic {
  const at = file.text.indexOf(needle);
  if (at < 0) throw new Error(`'${needle}' not in ${file.path}`);
  return {
    code,
    name: 'UnexpectedToken',
    severity,
    message,
    file: file.path,
    range: file.rangeOf(at, at + needle.length),
    ...extra,
  };
}

const stripAnsi = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, '');

describe('renderDiagnostics: text', () => {
  it('prints the header, the source line and a caret under the exact columns', () => {
    const d = diagAt(src, '10 ms', 'error', 'SNN2001', 'bad unit');
    const out = renderDiagnostics([d], 'text', sources);
    const lines = out.split('\n');
    expect(lines[0]).to.equal('models/lif.snn:2:9: error SNN2001: bad unit');
    expect(lines[1]).to.equal('  2 |   tau = 10 ms');
    expect(lines[2]).to.equal('    |         ^~~~~');
    // The underline covers exactly the characters of the range.
    const codeStart = lines[1].indexOf('| ') + 2;
    const caret = lines[2].indexOf('^');
    expect(lines[1].slice(caret, caret + 5)).to.equal('10 ms');
    expect(caret - codeStart + 1).to.equal(9);
    expect(lines[2].trimEnd().length - caret).to.equal(5);
    expect(out).to.not.include('\x1b[');
  });

  it('expands tabs so the caret stays under the right characters', () => {
    const d = diagAt(src, 'foo', 'error', 'SNN1001', "unknown name 'foo'");
    const lines = renderDiagnostics([d], 'text', sources).split('\n');
    expect(lines[0]).to.equal("models/lif.snn:3:6: error SNN1001: unknown name 'foo'");
    expect(lines[1]).to.not.include('\t');
    const caret = lines[2].indexOf('^');
    expect(lines[1].slice(caret, caret + 3)).to.equal('foo');
    expect(lines[2].slice(caret)).to.equal('^~~');
  });

  it('draws at least one caret for an empty range and clips ranges to the line', () => {
    const eof = src.text.indexOf('}') + 1;
    const empty: Diagnostic = { ...diagAt(src, '}', 'error', 'SNN0003', 'unexpected end'), range: src.rangeOf(eof, eof) };
    let lines = renderDiagnostics([empty], 'text', sources).split('\n');
    expect(lines[1]).to.equal('  4 | }');
    expect(lines[2]).to.equal('    |  ^');

    const start = src.text.indexOf('tau');
    const multi: Diagnostic = { ...diagAt(src, 'tau', 'warning', 'SNN3001', 'spans lines'), range: src.rangeOf(start, src.text.indexOf('foo')) };
    lines = renderDiagnostics([multi], 'text', sources).split('\n');
    expect(lines[1]).to.equal('  2 |   tau = 10 ms');
    expect(lines[2]).to.equal('    |   ^~~~~~~~~~~'); // to the end of line 2 only
  });

  it('prints hint and related notes, and a summary', () => {
    const d = diagAt(src, 'foo', 'error', 'SNN1001', "unknown name 'foo'", {
      hint: 'did you mean "tau"?',
      related: [{ file: src.path, range: src.rangeOf(src.text.indexOf('tau'), src.text.indexOf('tau') + 3), message: "'tau' declared here" }],
    });
    const out = renderDiagnostics([d], 'text', sources);
    expect(out).to.include('\n  = hint: did you mean "tau"?\n');
    expect(out).to.include("\nmodels/lif.snn:2:3: note: 'tau' declared here\n");
    expect(out.trimEnd().split('\n').at(-1)).to.equal('1 error in 1 file');
  });

  it('survives a missing source file', () => {
    const d: Diagnostic = { ...diagAt(src, 'foo', 'error', 'SNN1001', 'x'), file: 'gone.snn' };
    const out = renderDiagnostics([d], 'text', new Map());
    expect(out).to.equal('gone.snn:3:6: error SNN1001: x\n\n1 error in 1 file\n');
  });

  it('colours only when asked, without changing the text', () => {
    const d = diagAt(src, 'foo', 'warning', 'SNN1002', 'w', { hint: 'h' });
    const plain = renderDiagnostics([d], 'text', sources);
    const coloured = renderDiagnostics([d], 'text', sources, { color: true });
    expect(coloured).to.include('\x1b[');
    expect(stripAnsi(coloured)).to.equal(plain);
  });

  it('escapes control characters in messages', () => {
    const d = diagAt(src, 'foo', 'error', 'SNN0001', "unexpected character '\x1b'");
    expect(renderDiagnostics([d], 'text', sources)).to.include("unexpected character '\\x1b'");
  });

  it('says "no problems" when there is nothing to report', () => {
    expect(renderDiagnostics([], 'text', sources)).to.equal('no problems\n');
  });
});

describe('summaryLine', () => {
  const e = diagAt(src, 'foo', 'error', 'SNN1001', 'e');
  const w = diagAt(src, 'tau', 'warning', 'SNN1002', 'w');
  const i = diagAt(other, 'x', 'info', 'SNN1003', 'i');
  it('pluralises each count', () => {
    expect(summaryLine([])).to.equal('no problems');
    expect(summaryLine([e])).to.equal('1 error in 1 file');
    expect(summaryLine([e, e])).to.equal('2 errors in 1 file');
    expect(summaryLine([w])).to.equal('1 warning in 1 file');
    expect(summaryLine([e, e, w, { ...w, file: 'c.snn' }])).to.equal('2 errors, 2 warnings in 2 files');
    expect(summaryLine([e, i])).to.equal('1 error, 1 info in 2 files');
    expect(summaryLine([e, { ...e, file: 'b.snn' }, { ...w, file: 'c.snn' }])).to.equal('2 errors, 1 warning in 3 files');
  });
});

describe('renderDiagnostics: json', () => {
  it('emits 1-based positions with an exclusive end, and hint only when present', () => {
    const a = diagAt(src, 'foo', 'error', 'SNN1001', "unknown name 'foo'", { hint: 'declare it' });
    const b = diagAt(other, 'x', 'warning', 'SNN1002', 'unused');
    const out = renderDiagnostics([a, b], 'json', sources);
    expect(out).to.match(/^\[\n  \{\n    "file"/);
    const parsed = JSON.parse(out) as JsonDiagnostic[];
    expect(parsed).to.deep.equal([
      {
        file: 'models/lif.snn',
        line: 3,
        column: 6,
        endLine: 3,
        endColumn: 9,
        severity: 'error',
        code: 'SNN1001',
        message: "unknown name 'foo'",
        hint: 'declare it',
      },
      { file: 'models/other.snn', line: 1, column: 1, endLine: 1, endColumn: 2, severity: 'warning', code: 'SNN1002', message: 'unused' },
    ]);
    expect(parsed[1]).to.not.have.property('hint');
  });

  it('is an empty array when there is nothing to report', () => {
    expect(JSON.parse(renderDiagnostics([], 'json', sources))).to.deep.equal([]);
  });
});

describe('renderDiagnostics: sarif', () => {
  const a = diagAt(src, 'foo', 'error', 'SNN1001', "unknown name 'foo'", { hint: 'declare it' });
  const b = diagAt(other, 'x', 'info', 'SNN1003', 'note this');
  const c = diagAt(src, 'tau', 'error', 'SNN1001', "unknown name 'tau'");
  const rules = [{ code: 'SNN1001', name: 'UnknownName', doc: 'A name is used but never declared.', severity: 'error' }];

  it('is SARIF 2.1.0 with one run and consistent rules', () => {
    const log = JSON.parse(renderDiagnostics([a, b, c], 'sarif', sources, { toolVersion: '0.1.0', rules })) as SarifLog;
    expect(log.version).to.equal('2.1.0');
    expect(log.$schema).to.equal('https://json.schemastore.org/sarif-2.1.0.json');
    expect(log.runs).to.have.length(1);
    const run = log.runs[0];
    expect(run.tool.driver.name).to.equal('snn');
    expect(run.tool.driver.version).to.equal('0.1.0');
    expect(run.tool.driver.rules.map((r) => r.id)).to.deep.equal(['SNN1001', 'SNN1003']);
    expect(run.tool.driver.rules[0]).to.deep.equal({
      id: 'SNN1001',
      name: 'UnknownName',
      shortDescription: { text: 'A name is used but never declared.' },
      defaultConfiguration: { level: 'error' },
    });
    expect(run.tool.driver.rules[1].name).to.equal('UnexpectedToken'); // falls back to the diagnostic
    expect(run.tool.driver.rules[1].defaultConfiguration.level).to.equal('note');
    expect(run.results).to.have.length(3);
    for (const r of run.results) expect(run.tool.driver.rules[r.ruleIndex].id).to.equal(r.ruleId);
    expect(run.results.map((r) => r.level)).to.deep.equal(['error', 'note', 'error']);
  });

  it('gives regions and relative forward-slash uris', () => {
    const log = JSON.parse(renderDiagnostics([a], 'sarif', sources)) as SarifLog;
    const r = log.runs[0].results[0];
    expect(r.message.text).to.equal("unknown name 'foo' Hint: declare it");
    expect(r.locations[0].physicalLocation.artifactLocation).to.deep.equal({ uri: 'models/lif.snn', uriBaseId: '%SRCROOT%' });
    expect(r.locations[0].physicalLocation.region).to.deep.equal({ startLine: 3, startColumn: 6, endLine: 3, endColumn: 9 });
    expect(log.runs[0].tool.driver).to.not.have.property('version');
  });

  it('makes absolute paths relative to baseDir', () => {
    const base = path.resolve('/work/proj');
    const abs: Diagnostic = { ...a, file: path.join(base, 'sub', 'my model.snn') };
    const log = JSON.parse(renderDiagnostics([abs], 'sarif', sources, { baseDir: base })) as SarifLog;
    expect(log.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).to.equal('sub/my%20model.snn');
  });

  it('has an empty result list when there is nothing to report', () => {
    const log = JSON.parse(renderDiagnostics([], 'sarif', sources)) as SarifLog;
    expect(log.runs[0].results).to.deep.equal([]);
    expect(log.runs[0].tool.driver.rules).to.deep.equal([]);
  });
});

describe('renderDiagnostics: github', () => {
  it('emits one workflow command per diagnostic', () => {
    const a = diagAt(src, 'foo', 'error', 'SNN1001', 'e');
    const b = diagAt(src, 'tau', 'warning', 'SNN1002', 'w');
    const c = diagAt(other, 'x', 'info', 'SNN1003', 'i');
    const out = renderDiagnostics([a, b, c], 'github', sources);
    expect(out.split('\n')).to.deep.equal([
      '::error file=models/lif.snn,line=3,col=6,endLine=3,endColumn=9,title=SNN1001::e',
      '::warning file=models/lif.snn,line=2,col=3,endLine=2,endColumn=6,title=SNN1002::w',
      '::notice file=models/other.snn,line=1,col=1,endLine=1,endColumn=2,title=SNN1003::i',
      '',
    ]);
    expect(renderDiagnostics([], 'github', sources)).to.equal('');
  });

  it('escapes % CR LF in the message and also : , in properties', () => {
    expect(escapeGithubData('100% a:b,c\r\nd')).to.equal('100%25 a:b,c%0D%0Ad');
    expect(escapeGithubProperty('a:b,c%d\ne')).to.equal('a%3Ab%2Cc%25d%0Ae');
    const d: Diagnostic = {
      ...diagAt(src, 'foo', 'error', 'SNN1001', 'rate is 50%, expected: 1\nsecond line', { hint: 'use a,b' }),
      file: 'dir,x/a:b%.snn',
    };
    const out = renderDiagnostics([d], 'github', sources);
    expect(out).to.equal(
      '::error file=dir%2Cx/a%3Ab%25.snn,line=3,col=6,endLine=3,endColumn=9,title=SNN1001::rate is 50%25, expected: 1%0Asecond line%0Ahint: use a,b\n',
    );
    expect(out.trimEnd()).to.not.include('\n');
  });

  it('leaves out columns for a range over several lines', () => {
    const start = src.text.indexOf('tau');
    const d: Diagnostic = { ...diagAt(src, 'tau', 'error', 'SNN3001', 'm'), range: src.rangeOf(start, src.text.indexOf('foo')) };
    expect(renderDiagnostics([d], 'github', sources)).to.equal('::error file=models/lif.snn,line=2,endLine=3,title=SNN3001::m\n');
  });
});
