/** The reporting context rules write to: rules report, they never throw (STYLE: NESTML cocos). */
import type { Range } from '../../lang/source.js';
import { makeDiagnostic, type Diagnostic, type DiagnosticOptions } from '../../lang/diagnostics.js';
import type { MessageName } from '../../lang/messages.js';
import { levenshtein } from '../units.js';

export class Reporter {
  readonly diagnostics: Diagnostic[] = [];

  constructor(readonly file: string) {}

  report(name: MessageName, range: Range, args: readonly (string | number)[] = [], opts: DiagnosticOptions = {}): void {
    this.diagnostics.push(makeDiagnostic(name, this.file, range, args, opts));
  }

  /** Runs one rule; an exception becomes an internal-error diagnostic instead of reaching the user. */
  guard(rule: string, range: Range, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.report('InternalError', range, [rule, e instanceof Error ? e.message : String(e)]);
    }
  }
}

/** The closest candidate by edit distance, for did-you-mean hints; undefined when nothing is close. */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  const limit = Math.max(1, Math.min(3, Math.floor(name.length / 3) + 1));
  for (const c of candidates) {
    if (c === name || c === '') continue;
    const d = c.toLowerCase() === name.toLowerCase() ? 0.5 : levenshtein(name, c);
    if (d < bestScore) {
      bestScore = d;
      best = c;
    }
  }
  return bestScore <= limit ? best : undefined;
}

export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  const c = closest(name, candidates);
  return c === undefined ? undefined : `did you mean '${c}'?`;
}
