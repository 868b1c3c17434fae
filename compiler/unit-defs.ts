/**
 * The unit table's source of truth: which names are units, each defined by a mathjs expression,
 * and `computeUnitTable()`, which asks mathjs for every unit's dimension and SI scale.
 * `npx tsx compiler/unit-defs.ts` rewrites compiler/unit-table.generated.json.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { unit, Unit } from 'mathjs';

/** mathjs base dimensions, in the order of `Dim` in units.ts. */
export const BASE_DIMENSION_NAMES = ['MASS', 'LENGTH', 'TIME', 'CURRENT', 'TEMPERATURE', 'LUMINOUS_INTENSITY', 'AMOUNT_OF_SUBSTANCE'];

/** snn unit name -> the mathjs expression that defines it. Nothing else is a unit. */
export const UNIT_DEFS: Readonly<Record<string, string>> = (() => {
  const defs: Record<string, string> = {};
  const fam = (base: string, prefixes: string[]) => prefixes.forEach((p) => (defs[p + base] = p + base));
  fam('s', ['', 'm', 'u', 'n']);
  fam('V', ['', 'm', 'u']);
  fam('A', ['', 'm', 'u', 'n', 'p']);
  fam('S', ['', 'm', 'u', 'n', 'p']);
  fam('F', ['', 'u', 'n', 'p', 'f']);
  fam('ohm', ['', 'k', 'M', 'G']);
  fam('Hz', ['', 'k']);
  fam('m', ['', 'c', 'm', 'u', 'n']);
  fam('C', ['', 'n', 'p']);
  defs['mol'] = 'mol';
  for (const p of ['', 'm', 'u', 'n']) defs[p + 'M'] = `${p}mol/L`; // molar = mol/L
  defs['rad'] = 'rad';
  defs['deg'] = 'deg';
  return defs;
})();


export function computeUnitTable(): Record<string, { dim: number[]; si: number }> {
  const out: Record<string, { dim: number[]; si: number }> = {};
  for (const [name, expr] of Object.entries(UNIT_DEFS)) {
    const u = unit(1, expr);
    const dim = BASE_DIMENSION_NAMES.map((b) => u.dimensions[Unit.BASE_DIMENSIONS.indexOf(b)] ?? 0);
    out[name] = { dim, si: u.toSI().value ?? 1 };
  }
  return out;
}

/** One unit per line, so a change to the table reads as a small diff. */
export function renderUnitTable(table: Record<string, { dim: number[]; si: number }>): string {
  const lines = Object.entries(table).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  return `{\n${lines.join(',\n')}\n}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const target = fileURLToPath(new URL('./unit-table.generated.json', import.meta.url));
  writeFileSync(target, renderUnitTable(computeUnitTable()));
  console.log(`wrote ${target}`);
}
