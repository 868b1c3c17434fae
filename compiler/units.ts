/**
 * Physical units for `.snn` models: dimensions, the curated unit table and conversion into
 * snn's internal unit system (DESIGN.md principle 5: units are checked at compile time and
 * then dropped; the IR holds plain numbers in one fixed unit system).
 *
 * Internal unit system (PyNN's). Every dimension's internal unit is the product of these
 * base scales: time = ms, current = nA, length = um, mass = ug (1e-9 kg, chosen so that
 * voltage comes out as mV), amount of substance = amol (1e-18 mol, chosen so that
 * concentration comes out as mM = mol/m^3), temperature = K, luminous intensity = cd.
 * Derived units then fall out coherently: voltage mV, conductance nA/mV = uS,
 * capacitance nA*ms/mV = nF, resistance mV/nA = Mohm (MΩ), charge nA*ms = pC.
 *
 * ONE EXCEPTION, as in PyNN: a quantity whose dimension is exactly 1/time (a frequency or
 * rate) is stored in Hz (1/s), not in the coherent 1/ms. So `5 Hz` is 5 internally and
 * `1 ms^-1` is 1000. Code that multiplies internal values must correct for this; the rule
 * is always `int(a op b) = int(a) op int(b) * internalScale(da) op internalScale(db) /
 * internalScale(d_result)`, with `internalScale` below (the factor is 1 unless a pure
 * frequency is involved).
 *
 * Angles (rad, deg) are dimensionless, as in SI; internally an angle is in rad.
 * Unit scales are taken from mathjs, never written by hand. The table is deliberately
 * small (no h, d, min, L, ...) so a bare model name is never silently a unit.
 */
import UNIT_TABLE from './unit-table.generated.json' with { type: 'json' };

/** Exponents over the SI base dimensions, in the order of `BASE_DIMS`. */
export type Dim = readonly number[];

/** Base dimensions: [mathjs name, SI symbol, internal log10 scale relative to SI]. */
const BASE_DIMS: readonly (readonly [string, string, number])[] = [
  ['MASS', 'kg', -9], ['LENGTH', 'm', -6], ['TIME', 's', -3], ['CURRENT', 'A', -9],
  ['TEMPERATURE', 'K', 0], ['LUMINOUS_INTENSITY', 'cd', 0], ['AMOUNT_OF_SUBSTANCE', 'mol', -18],
];
const EPS = 1e-9;

export const DIMENSIONLESS: Dim = Object.freeze(BASE_DIMS.map(() => 0));
const mk = (...e: number[]): Dim => Object.freeze(BASE_DIMS.map((_, i) => e[i] ?? 0));
export const dimMul = (a: Dim, b: Dim): Dim => mk(...a.map((x, i) => x + b[i]!));
export const dimDiv = (a: Dim, b: Dim): Dim => mk(...a.map((x, i) => x - b[i]!));
export const dimPow = (a: Dim, n: number): Dim => mk(...a.map((x) => (x === 0 ? 0 : x * n)));
export const dimEquals = (a: Dim, b: Dim): boolean => a.every((x, i) => Math.abs(x - b[i]!) < EPS);
export const isDimensionless = (a: Dim): boolean => dimEquals(a, DIMENSIONLESS);

/** Rounds to 15 significant digits, so that e.g. 1e-12/1e-9 is exactly 0.001. */
const round15 = (x: number): number => (x === 0 || !isFinite(x) ? x : Number(x.toPrecision(15)));

//                  mass length time current temp lum amount
const TIME = mk(0, 0, 1), FREQUENCY = mk(0, 0, -1);
const VOLTAGE = mk(1, 2, -3, -1), CURRENT = mk(0, 0, 0, 1), LENGTH = mk(0, 1);

/** Named dimensions with their internal (PyNN) unit, most specific names first. */
const NAMED: readonly { name: string; dim: Dim; unit: string }[] = [
  { name: 'dimensionless', dim: DIMENSIONLESS, unit: '1' },
  { name: 'time', dim: TIME, unit: 'ms' },
  { name: 'voltage', dim: VOLTAGE, unit: 'mV' },
  { name: 'current', dim: CURRENT, unit: 'nA' },
  { name: 'conductance', dim: dimDiv(CURRENT, VOLTAGE), unit: 'uS' },
  { name: 'capacitance', dim: dimDiv(dimMul(CURRENT, TIME), VOLTAGE), unit: 'nF' },
  { name: 'resistance', dim: dimDiv(VOLTAGE, CURRENT), unit: 'Mohm' },
  { name: 'frequency', dim: FREQUENCY, unit: 'Hz' },
  { name: 'charge', dim: dimMul(CURRENT, TIME), unit: 'nA*ms' },
  { name: 'length', dim: LENGTH, unit: 'um' },
  { name: 'area', dim: dimPow(LENGTH, 2), unit: 'um^2' },
  { name: 'volume', dim: dimPow(LENGTH, 3), unit: 'um^3' },
  { name: 'concentration', dim: mk(0, -3, 0, 0, 0, 0, 1), unit: 'mM' },
  { name: 'amount', dim: mk(0, 0, 0, 0, 0, 0, 1), unit: 'amol' },
  { name: 'mass', dim: mk(1), unit: 'ug' },
  { name: 'temperature', dim: mk(0, 0, 0, 0, 1), unit: 'K' },
];

/** Physical name of a dimension ('voltage', 'conductance', ...), or undefined. */
export function dimName(d: Dim): string | undefined {
  return NAMED.find((n) => dimEquals(n.dim, d))?.name;
}

/** Units the pretty-printer may combine; frequency is excluded (Hz does not compose). */
const ATOMS = ['mV', 'nA', 'nF', 'uS', 'Mohm', 'um', 'mM', 'ms'].map((u) => ({
  u, dim: NAMED.find((n) => n.unit === u)!.dim,
}));

function formatFactors(fs: readonly { u: string; p: number }[]): string {
  const show = (f: { u: string; p: number }, p: number) => (p === 1 ? f.u : `${f.u}^${+p.toFixed(6)}`);
  const num = fs.filter((f) => f.p > 0).map((f) => show(f, f.p));
  const den = fs.filter((f) => f.p < 0).map((f) => show(f, -f.p));
  const n = num.length ? num.join('*') : '1';
  return den.length === 0 ? n : den.length === 1 ? `${n}/${den[0]}` : `${n}/(${den.join('*')})`;
}

/**
 * A readable unit for dimension `d`, in the internal unit system where possible: 'mV',
 * 'mV/ms', 'nA*ms', 'uS/um^2', '1' for dimensionless; otherwise SI base units, e.g.
 * 'kg*m^2/(s^3*A)'. A value of dimension d is stored internally in exactly this unit.
 */
export function formatDim(d: Dim): string {
  const named = NAMED.find((n) => dimEquals(n.dim, d));
  if (named) return named.unit;
  // Search one or two atoms with small integer powers; fewest atoms, then smallest powers.
  const pw = [1, -1, 2, -2, 3, -3];
  for (let i = 0; i < ATOMS.length; i++) for (const p of pw) {
    if (dimEquals(dimPow(ATOMS[i]!.dim, p), d)) return formatFactors([{ u: ATOMS[i]!.u, p }]);
  }
  let best: { cost: number; s: string } | undefined;
  for (let i = 0; i < ATOMS.length; i++) for (let j = i + 1; j < ATOMS.length; j++) {
    for (const p of pw) for (const q of pw) {
      const [a, b] = [ATOMS[i]!, ATOMS[j]!];
      const cost = Math.abs(p) + Math.abs(q);
      if ((!best || cost < best.cost) && dimEquals(dimMul(dimPow(a.dim, p), dimPow(b.dim, q)), d)) {
        best = { cost, s: formatFactors([{ u: a.u, p }, { u: b.u, p: q }]) };
      }
    }
  }
  if (best) return best.s;
  return formatFactors(BASE_DIMS.map(([, u], i) => ({ u, p: d[i]! })).filter((f) => Math.abs(f.p) > EPS));
}

/** SI value of one internal unit of dimension `d` (1 for Hz; see the module comment). */
export function internalScale(d: Dim): number {
  if (dimEquals(d, FREQUENCY)) return 1;
  return 10 ** d.reduce((s, e, i) => s + e * BASE_DIMS[i]![2], 0);
}

/** Converts a value given in a unit with conversion factor `unitScale` to internal units. */
export function toInternal(value: number, unitScale: number): number {
  return round15(value * unitScale);
}

/** What the IR's plain numbers mean, by physical quantity. */
export const INTERNAL_UNIT_SYSTEM = Object.freeze({
  time: 'ms', voltage: 'mV', current: 'nA', capacitance: 'nF', conductance: 'uS',
  resistance: 'Mohm', frequency: 'Hz', charge: 'nA*ms (= pC)', length: 'um',
  concentration: 'mM', angle: 'rad', mass: 'ug', amount: 'amol', temperature: 'K',
});

interface UnitInfo { dim: Dim; si: number }
/**
 * Each unit's dimension and SI scale. The table is computed by mathjs (compiler/unit-defs.ts)
 * and stored in unit-table.generated.json so the CLI does not load mathjs at start-up (2 s);
 * units.test.ts checks the stored table against a fresh mathjs computation.
 */
const TABLE: ReadonlyMap<string, UnitInfo> = new Map(
  Object.entries(UNIT_TABLE as Record<string, { dim: number[]; si: number }>).map(([name, u]) => [name, { dim: mk(...u.dim), si: u.si }] as const),
);

/** Maps the accepted spellings µ/μ (micro) and Ω/Ω (ohm) to the ASCII names. */
export function normalizeUnitName(name: string): string {
  return name.replace(/[\u00b5\u03bc]/g, 'u').replace(/[\u03a9\u2126]/g, 'ohm');
}

/** Dimension and factor into internal units of a unit name ('mV', 'µS', 'MΩ', ...). */
export function lookupUnit(name: string): { dim: Dim; scale: number } | undefined {
  const info = TABLE.get(normalizeUnitName(name));
  return info && { dim: info.dim, scale: round15(info.si / internalScale(info.dim)) };
}

/** The canonical (ASCII) unit names; lookupUnit also accepts the µ and Ω spellings. */
export function knownUnitNames(): string[] {
  return [...TABLE.keys()];
}

/** Combines a compound unit such as mV/ms = [{mV,1},{ms,-1}]. */
export function parseUnitFactors(
  factors: readonly { name: string; power: number }[],
): { dim: Dim; scale: number } | { unknown: string[] } {
  // Models repeat a few units thousands of times; results are immutable, so memoise by spelling.
  let key = '';
  for (const f of factors) key += `${f.name}^${f.power} `;
  let hit = UNIT_CACHE.get(key);
  if (!hit) {
    hit = computeUnitFactors(factors);
    if (UNIT_CACHE.size < 10_000) UNIT_CACHE.set(key, hit);
  }
  return hit;
}

const UNIT_CACHE = new Map<string, { dim: Dim; scale: number } | { unknown: string[] }>();

function computeUnitFactors(
  factors: readonly { name: string; power: number }[],
): { dim: Dim; scale: number } | { unknown: string[] } {
  const unknown = factors.map((f) => f.name).filter((n) => !TABLE.has(normalizeUnitName(n)));
  if (unknown.length) return { unknown };
  let dim = DIMENSIONLESS;
  let si = 1;
  for (const f of factors) {
    const info = TABLE.get(normalizeUnitName(f.name))!;
    dim = dimMul(dim, dimPow(info.dim, f.power));
    si *= info.si ** f.power;
  }
  // Convert via SI so that e.g. ms^-1 lands on the Hz special case correctly.
  return { dim, scale: round15(si / internalScale(dim)) };
}

/** Edit distance (insertions, deletions, substitutions) between two strings. */
export function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** Common spellings that are not close to their unit by edit distance alone. */
const ALIASES: Readonly<Record<string, string>> = {
  sec: 's', secs: 's', second: 's', seconds: 's', msec: 'ms', usec: 'us', nsec: 'ns',
  volt: 'V', volts: 'V', amp: 'A', amps: 'A', ohms: 'ohm', hertz: 'Hz', micron: 'um',
  kOhm: 'kohm', MOhm: 'Mohm', GOhm: 'Gohm', mmol: 'mM', umol: 'uM',
};

/**
 * "Did you mean" for an unknown unit name: an alias, else the known unit closest ignoring
 * case (then with case). Short names need a closer match, so 'h' or 'd' suggest nothing.
 */
export function suggestUnit(name: string): string | undefined {
  const n = normalizeUnitName(name);
  if (TABLE.has(n)) return undefined;
  if (Object.hasOwn(ALIASES, n)) return ALIASES[n];
  const max = n.length <= 3 ? 1 : 2;
  let best: { u: string; ci: number; cs: number } | undefined;
  for (const u of TABLE.keys()) {
    const ci = levenshtein(n.toLowerCase(), u.toLowerCase());
    const cs = levenshtein(n, u);
    if (ci > max || ci >= n.length) continue;
    if (!best || ci < best.ci || (ci === best.ci && cs < best.cs)) best = { u, ci, cs };
  }
  return best?.u;
}
