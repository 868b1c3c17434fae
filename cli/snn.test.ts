/**
 * End-to-end tests of the `snn` command as a user runs it: the built CLI in dist/ (built by
 * `npm ci` through the prepare script, or `npm run build`), in a child process.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = join(process.cwd(), 'dist', 'cli', 'snn.js');

function snn(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function tmp(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'snn-cli-'));
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** The acceptance model: tau_m given in mV (line 3) and a projection onto an undeclared population (line 4). */
const TWO_MISTAKES = `network mistakes {
  dt = 0.1 ms
  exc = Population(100, IF_curr_exp(tau_m: 10 mV))
  Projection(exc -> inhibitory_cells, FixedProbability(0.1), weight: 0.5 nA)
}
`;

describe('snn CLI', function () {
  before(function () {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm ci does it) before the tests`);
  });

  it('runs as the package bin, directly (what `npx snn` does)', function () {
    const r = spawnSync(CLI, ['--version'], { encoding: 'utf8' });
    expect(r.error?.message).to.equal(undefined);
    expect(r.status).to.equal(0);
    expect(r.stdout.trim()).to.match(/^\d+\.\d+\.\d+$/);
  });

  it('exits 0 on every example and reports no errors', function () {
    const files = readdirSync('examples').filter((f) => f.endsWith('.snn')).map((f) => join('examples', f));
    expect(files.length).to.be.greaterThan(0);
    const r = snn('check', ...files);
    expect(r.stdout).to.not.match(/error SNN/);
    expect(r.code, r.stdout).to.equal(0);
  });

  it('finds the examples already in canonical format (fmt --check exits 0)', function () {
    const files = readdirSync('examples').filter((f) => f.endsWith('.snn')).map((f) => join('examples', f));
    const r = snn('fmt', '--check', ...files);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
  });

  describe('a model with a time constant in mV and an undeclared population', function () {
    const file = tmp('mistakes.snn', TWO_MISTAKES);

    it('text: exit 1, one diagnostic on each line, with source line and caret', function () {
      const r = snn('check', file);
      expect(r.code).to.equal(1);
      expect(r.stdout).to.include(`${file}:3:44: error SNN2004:`);
      expect(r.stdout).to.include(`${file}:4:21: error SNN1001: cannot find name 'inhibitory_cells'`);
      expect(r.stdout).to.match(/ 3 \|   exc = Population\(100, IF_curr_exp\(tau_m: 10 mV\)\)\n\s+\| {44}\^~~~~/);
      expect(r.stdout).to.include('2 errors');
    });

    it('json: exit 1, an array with one entry per line and 1-based positions', function () {
      const r = snn('check', '--format', 'json', file);
      expect(r.code).to.equal(1);
      const diags = JSON.parse(r.stdout) as { file: string; line: number; column: number; endLine: number; endColumn: number; severity: string; code: string; message: string }[];
      expect(diags.map((d) => [d.line, d.column, d.code, d.severity])).to.deep.equal([
        [3, 44, 'SNN2004', 'error'],
        [4, 21, 'SNN1001', 'error'],
      ]);
      expect(diags[0]!.endColumn).to.equal(49);
      expect(diags[0]!.file).to.equal(file);
    });

    it('sarif: exit 1, SARIF 2.1.0 with a result per line', function () {
      const r = snn('check', '--format', 'sarif', file);
      expect(r.code).to.equal(1);
      const log = JSON.parse(r.stdout) as { version: string; runs: { tool: { driver: { name: string; rules: { id: string }[] } }; results: { ruleId: string; ruleIndex: number; level: string; locations: { physicalLocation: { region: { startLine: number; startColumn: number } } }[] }[] }[] };
      expect(log.version).to.equal('2.1.0');
      const run = log.runs[0]!;
      expect(run.tool.driver.name).to.equal('snn');
      expect(run.results.map((x) => [x.ruleId, x.level, x.locations[0]!.physicalLocation.region.startLine])).to.deep.equal([
        ['SNN2004', 'error', 3],
        ['SNN1001', 'error', 4],
      ]);
      for (const res of run.results) expect(run.tool.driver.rules[res.ruleIndex]!.id).to.equal(res.ruleId);
    });

    it('github: exit 1, one ::error workflow command per line', function () {
      const r = snn('check', '--format', 'github', file);
      expect(r.code).to.equal(1);
      const lines = r.stdout.trim().split('\n');
      expect(lines).to.have.length(2);
      expect(lines[0]).to.match(/^::error file=[^,]+,line=3,col=44,endLine=3,endColumn=49,title=SNN2004::/);
      expect(lines[1]).to.match(/^::error file=[^,]+,line=4,col=21,endLine=4,endColumn=37,title=SNN1001::cannot find name 'inhibitory_cells'/);
    });
  });

  it('a truncated file gets exit 1 and a diagnostic, never a stack trace', function () {
    const full = readFileSync('examples/cuba.snn', 'utf8');
    for (const cut of [0.3, 0.5, 0.9]) {
      const file = tmp('truncated.snn', full.slice(0, Math.floor(full.length * cut)));
      const r = snn('check', file);
      expect(r.code, r.stdout).to.equal(1);
      expect(r.stdout).to.match(/error SNN0003: unexpected end of file/);
      expect(r.stdout + r.stderr).to.not.match(/\n\s+at .+\(.*:\d+:\d+\)/);
    }
  });

  it('an unreadable file is a usage error (exit 2) with a diagnostic', function () {
    const r = snn('check', '/nonexistent/model.snn');
    expect(r.code).to.equal(2);
    expect(r.stdout).to.include('SNN6001');
  });

  it('bad arguments are a usage error (exit 2)', function () {
    expect(snn('check').code).to.equal(2);
    expect(snn('check', '--format', 'xml', 'examples/cuba.snn').code).to.equal(2);
    expect(snn('frobnicate').code).to.equal(2);
  });

  it('warnings alone exit 0', function () {
    const file = tmp('warn.snn', 'neuron N {\n  parameters {\n    tau = 10 ms\n    unused = 1 mV\n  }\n  state {\n    v = 0\n  }\n  equations {\n    v\' = -v / tau\n  }\n}\n');
    const r = snn('check', file);
    expect(r.stdout).to.include('warning SNN1101');
    expect(r.code).to.equal(0);
  });

  describe('fmt', function () {
    it('rewrites a file into canonical form, and --check then passes', function () {
      const file = tmp('messy.snn', 'network n { dt = 0.1 ms; a = Population(10, IF_curr_exp)   # cells\n record a.spikes }\n');
      expect(snn('fmt', '--check', file).code).to.equal(1);
      const r = snn('fmt', file);
      expect(r.code).to.equal(0);
      expect(readFileSync(file, 'utf8')).to.equal('network n {\n  dt = 0.1 ms\n  a = Population(10, IF_curr_exp)  # cells\n  record a.spikes\n}\n');
      expect(snn('fmt', '--check', file).code).to.equal(0);
    });

    it('leaves a file with syntax errors untouched and exits 1', function () {
      const text = 'network n {\n  a = Population(10,\n';
      const file = tmp('broken.snn', text);
      const r = snn('fmt', file);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.include('SNN0003');
      expect(readFileSync(file, 'utf8')).to.equal(text);
      expect(readdirSync(join(file, '..'))).to.deep.equal(['broken.snn']);
    });
  });
});
