import { expect } from 'chai';
import {
  DIMENSIONLESS, INTERNAL_UNIT_SYSTEM, dimDiv, dimEquals, dimMul, dimName, dimPow, formatDim,
  internalScale, isDimensionless, knownUnitNames, levenshtein, lookupUnit, normalizeUnitName,
  parseUnitFactors, suggestUnit, toInternal, type Dim,
} from './units.js';

/** Looks up a unit that must exist. */
function u(name: string): { dim: Dim; scale: number } {
  const r = lookupUnit(name);
  if (!r) throw new Error(`unit ${name} not found`);
  return r;
}

/** Combines factors that must all be known. */
function compound(...factors: [string, number][]): { dim: Dim; scale: number } {
  const r = parseUnitFactors(factors.map(([name, power]) => ({ name, power })));
  if ('unknown' in r) throw new Error(`unknown units ${r.unknown.join(', ')}`);
  return r;
}

const close = (a: number, b: number) => expect(a).to.be.closeTo(b, Math.abs(b) * 1e-12 + 1e-300);

describe('units: dimensions', () => {
  it('mV/ms has the dimension of V/s', () => {
    expect(dimEquals(compound(['mV', 1], ['ms', -1]).dim, dimDiv(u('V').dim, u('s').dim))).to.equal(true);
  });
  it('nA/nF has the dimension of mV/ms and the same internal scale', () => {
    const a = compound(['nA', 1], ['nF', -1]);
    const b = compound(['mV', 1], ['ms', -1]);
    expect(dimEquals(a.dim, b.dim)).to.equal(true);
    close(a.scale, b.scale);
    close(a.scale, 1);
  });
  it('ohm*S is dimensionless', () => {
    expect(isDimensionless(dimMul(u('ohm').dim, u('S').dim))).to.equal(true);
    expect(isDimensionless(u('mV').dim)).to.equal(false);
  });
  it('dimPow handles fractional exponents and round-trips', () => {
    const area = dimPow(u('m').dim, 2);
    expect(dimEquals(dimPow(area, 0.5), u('um').dim)).to.equal(true);
    expect(dimEquals(dimPow(dimPow(u('V').dim, 1 / 3), 3), u('mV').dim)).to.equal(true);
    expect(dimEquals(dimMul(u('s').dim, dimPow(u('s').dim, -1)), DIMENSIONLESS)).to.equal(true);
  });
  it('angles are dimensionless', () => {
    expect(isDimensionless(u('rad').dim)).to.equal(true);
    close(u('deg').scale, Math.PI / 180);
  });
  it('names dimensions', () => {
    expect(dimName(u('mV').dim)).to.equal('voltage');
    expect(dimName(u('ms').dim)).to.equal('time');
    expect(dimName(u('pA').dim)).to.equal('current');
    expect(dimName(u('nS').dim)).to.equal('conductance');
    expect(dimName(u('pF').dim)).to.equal('capacitance');
    expect(dimName(u('Mohm').dim)).to.equal('resistance');
    expect(dimName(u('Hz').dim)).to.equal('frequency');
    expect(dimName(u('cm').dim)).to.equal('length');
    expect(dimName(u('mM').dim)).to.equal('concentration');
    expect(dimName(DIMENSIONLESS)).to.equal('dimensionless');
    expect(dimName(compound(['mV', 1], ['ms', -1]).dim)).to.equal(undefined);
  });
});

describe('units: formatDim', () => {
  it('prints internal (PyNN) units', () => {
    expect(formatDim(u('V').dim)).to.equal('mV');
    expect(formatDim(u('s').dim)).to.equal('ms');
    expect(formatDim(u('A').dim)).to.equal('nA');
    expect(formatDim(u('F').dim)).to.equal('nF');
    expect(formatDim(u('S').dim)).to.equal('uS');
    expect(formatDim(u('kHz').dim)).to.equal('Hz');
    expect(formatDim(DIMENSIONLESS)).to.equal('1');
  });
  it('prints compound units', () => {
    expect(formatDim(dimDiv(u('V').dim, u('s').dim))).to.equal('mV/ms');
    expect(formatDim(dimMul(u('A').dim, u('s').dim))).to.equal('nA*ms');
    expect(formatDim(dimDiv(u('S').dim, dimPow(u('m').dim, 2)))).to.equal('uS/um^2');
    expect(formatDim(dimPow(u('s').dim, -2))).to.equal('1/ms^2');
  });
  it('falls back to SI base units', () => {
    expect(formatDim(dimPow(u('V').dim, 0.5))).to.equal('kg^0.5*m/(s^1.5*A^0.5)');
  });
});

describe('units: scales into the internal unit system', () => {
  it('1 s = 1000 ms internally', () => expect(toInternal(1, u('s').scale)).to.equal(1000));
  it('1 V = 1000 mV internally', () => expect(toInternal(1, u('V').scale)).to.equal(1000));
  it('1 uS = 1 internally (conductance)', () => expect(u('uS').scale).to.equal(1));
  it('1 nS = 0.001 uS', () => expect(u('nS').scale).to.equal(0.001));
  it('1 pF = 0.001 nF', () => expect(u('pF').scale).to.equal(0.001));
  it('1 kHz = 1000 Hz internally, 1 Hz = 1', () => {
    expect(u('kHz').scale).to.equal(1000);
    expect(u('Hz').scale).to.equal(1);
  });
  it('ms^-1 is a frequency stored in Hz', () => {
    const perMs = compound(['ms', -1]);
    expect(dimEquals(perMs.dim, u('Hz').dim)).to.equal(true);
    expect(perMs.scale).to.equal(1000);
    expect(internalScale(perMs.dim)).to.equal(1);
    close(internalScale(u('ms').dim), 1e-3);
  });
  it('other units', () => {
    expect(u('pA').scale).to.equal(0.001);
    expect(u('Mohm').scale).to.equal(1);
    expect(u('kohm').scale).to.equal(0.001);
    expect(u('cm').scale).to.equal(10000);
    expect(u('mM').scale).to.equal(1);
    expect(u('uM').scale).to.equal(0.001);
    expect(u('M').scale).to.equal(1000);
    expect(u('pC').scale).to.equal(1);
    expect(compound(['um', 2]).scale).to.equal(1);
    expect(compound(['mS', 1], ['cm', -2]).scale).to.equal(1e-5); // 1 mS/cm^2 = 1e-5 uS/um^2
    expect(toInternal(-65, u('mV').scale)).to.equal(-65);
    expect(toInternal(100, u('pF').scale)).to.equal(0.1);
  });
  it('describes the internal unit system', () => {
    expect(INTERNAL_UNIT_SYSTEM).to.include({
      time: 'ms', voltage: 'mV', current: 'nA', capacitance: 'nF', conductance: 'uS', frequency: 'Hz',
    });
  });
});

describe('units: names', () => {
  it('rejects names that are not in the curated table', () => {
    for (const n of ['h', 'd', 'foo', 'min', 'L', 'g', 'kV', 'MOhm']) expect(lookupUnit(n), n).to.equal(undefined);
  });
  it('accepts µ for u and Ω for ohm', () => {
    expect(lookupUnit('µs')).to.deep.equal(lookupUnit('us'));
    expect(lookupUnit('μS')).to.deep.equal(lookupUnit('uS'));
    expect(lookupUnit('µm')).to.deep.equal(lookupUnit('um'));
    expect(lookupUnit('MΩ')).to.deep.equal(lookupUnit('Mohm'));
    expect(normalizeUnitName('kΩ')).to.equal('kohm');
  });
  it('lists the known units', () => {
    const names = knownUnitNames();
    expect(names).to.include.members(['s', 'ms', 'mV', 'nA', 'uS', 'nF', 'Mohm', 'Hz', 'um', 'mM', 'rad', 'deg']);
    expect(names).to.not.include.members(['h']);
    for (const n of names) expect(lookupUnit(n), n).to.not.equal(undefined);
  });
  it('reports unknown factors', () => {
    expect(parseUnitFactors([{ name: 'mV', power: 1 }, { name: 'hr', power: -1 }])).to.deep.equal({ unknown: ['hr'] });
  });
});

describe('units: suggestions', () => {
  it('levenshtein', () => {
    expect(levenshtein('kitten', 'sitting')).to.equal(3);
    expect(levenshtein('', 'abc')).to.equal(3);
    expect(levenshtein('ms', 'ms')).to.equal(0);
  });
  it('suggests close unit names', () => {
    expect(suggestUnit('mv')).to.equal('mV');
    expect(suggestUnit('msec')).to.equal('ms');
    expect(suggestUnit('MOhm')).to.equal('Mohm');
    expect(suggestUnit('hz')).to.equal('Hz');
    expect(suggestUnit('nAA')).to.equal('nA');
  });
  it('does not suggest for far-off or known names', () => {
    expect(suggestUnit('h')).to.equal(undefined);
    expect(suggestUnit('foo')).to.equal(undefined);
    expect(suggestUnit('mV')).to.equal(undefined);
  });
});

describe('the stored unit table', function () {
  it('equals what mathjs computes now (regenerate with `npx tsx compiler/unit-defs.ts`)', async function () {
    this.timeout(30000); // loading mathjs is slow
    const { computeUnitTable, renderUnitTable } = await import('./unit-defs.js');
    const { readFileSync } = await import('node:fs');
    const stored = readFileSync(new URL('./unit-table.generated.json', import.meta.url), 'utf8');
    expect(stored).to.equal(renderUnitTable(computeUnitTable()));
  });
});
