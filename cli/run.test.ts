/** `snn compile` and `snn run` end to end, as a user runs them (the built CLI in dist/). */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateIR } from '../compiler/ir/validate.js';
import { parseDuration } from './run.js';

const CLI = join(process.cwd(), 'dist', 'cli', 'snn.js');

function snn(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const dir = (): string => mkdtempSync(join(tmpdir(), 'snn-run-'));

describe('snn compile and snn run', function () {
  this.timeout(60_000);
  before(function () {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm ci does it) before the tests`);
  });

  it('compile --emit ir writes an IR that validates against the schema', () => {
    const out = join(dir(), 'cuba.ir.json');
    const r = snn('compile', 'examples/cuba.snn', '--emit', 'ir', '-o', out);
    expect(r.code, r.stderr).to.equal(0);
    expect(validateIR(JSON.parse(readFileSync(out, 'utf8')))).to.deep.equal([]);
  });

  it('run --json prints one JSON object with the rate of every population, the same for the same seed', () => {
    const a = snn('run', 'examples/cuba.snn', '--json', '--duration', '200ms', '-o', dir());
    const b = snn('run', 'examples/cuba.snn', '--json', '--duration', '0.2 s', '-o', dir());
    expect(a.code, a.stderr).to.equal(0);
    const ja = JSON.parse(a.stdout.trim().split('\n').pop()!) as { duration_ms: number; populations: Record<string, { size: number; spikes: number; rate_hz: number }>; results: string };
    const jb = JSON.parse(b.stdout.trim().split('\n').pop()!) as typeof ja;
    expect(ja.duration_ms).to.equal(200);
    expect(ja.populations.neurons!.size).to.equal(4000);
    expect(ja.populations.neurons!.rate_hz).to.be.closeTo(ja.populations.neurons!.spikes / 4000 / 0.2, 1e-9);
    expect(jb.populations).to.deep.equal(ja.populations);
    expect(existsSync(ja.results)).to.equal(true);
    const c = snn('run', 'examples/cuba.snn', '--json', '--duration', '200ms', '--seed', '2', '-o', dir());
    expect((JSON.parse(c.stdout.trim().split('\n').pop()!) as typeof ja).populations).to.not.deep.equal(ja.populations);
  });

  it('reports a model with errors with its diagnostics, exit 1, and writes no results', () => {
    const d = dir();
    const bad = join(d, 'bad.snn');
    writeFileSync(bad, readFileSync('examples/cuba.snn', 'utf8').replace("v' = (ge + gi - (v - e_l)) / tau_m", "v' = (ge + gi - (v - e_l))"));
    const out = join(d, 'out');
    const r = snn('run', bad, '-o', out);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/error SNN2002/);
    expect(r.stderr).to.not.match(/at .*\.js:\d+/);
    expect(existsSync(out) ? readdirSync(out) : []).to.deep.equal([]);
  });

  it('gives usage errors exit 2: an unreadable file, a bad seed, a bad duration', () => {
    expect(snn('run', 'no/such/file.snn').code).to.equal(2);
    const seed = snn('run', 'examples/cuba.snn', '--seed', 'abc');
    expect(seed.code).to.equal(2);
    expect(seed.stderr).to.match(/--seed/);
    const dur = snn('run', 'examples/cuba.snn', '--duration', '5 mV');
    expect(dur.code).to.equal(2);
    expect(dur.stderr).to.match(/not a unit of time/);
  });

  it('parses durations with and without units', () => {
    expect([parseDuration('250'), parseDuration('250ms'), parseDuration('2 s'), parseDuration('1.5e3 us')]).to.deep.equal([250, 250, 2000, 1.5]);
    expect(() => parseDuration('soon')).to.throw(/expected a time/);
  });
});
