/** What the bench scripts share: their command lines (node's util.parseArgs) and medians. */
import { parseArgs } from 'node:util';

export type OptionSpec = Record<string, { type: 'string' | 'boolean' }>;

/**
 * The script's options, parsed strictly: an unknown option or a missing value prints `usage`
 * and exits with status 2.
 */
export function benchArgs<T extends OptionSpec>(spec: T, usage: string): ReturnType<typeof parseArgs<{ options: T; strict: true }>>['values'] {
  try {
    return parseArgs({ options: spec, strict: true }).values;
  } catch (e) {
    console.error(`${(e as Error).message}\nusage: ${usage}`);
    process.exit(2);
  }
}

/** A whole number option (at least `min`), or `fallback` when absent; exits 2 on a bad value. */
export function wholeNumber(raw: string | undefined, name: string, fallback: number, min = 1): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min) {
    console.error(`--${name} must be a whole number >= ${min}, got '${raw}'`);
    process.exit(2);
  }
  return n;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
