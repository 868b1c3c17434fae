/**
 * What an exporter found: diagnostics without a source range, since backends read only the IR
 * (DESIGN.md principle 1). `at` names the IR element (`population:exc`, `projection:p0`,
 * `current:2`); the compiler's locations (CompileResult.locations) turn it into a file, line and
 * column for the user.
 */
import type { MessageName } from '../lang/messages.js';

export interface Finding {
  name: MessageName;
  args: (string | number)[];
  at?: string;
}

/** Thrown inside an exporter when the model cannot be exported; the exporter returns it as a finding. */
export class ExportError extends Error {
  constructor(
    readonly reason: string,
    readonly at?: string,
  ) {
    super(reason);
  }
}
