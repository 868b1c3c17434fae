/** Validation of a Network IR against compiler/ir/schema.json (ajv, JSON Schema 2020-12). */
import { createRequire } from 'node:module';
import type { ErrorObject } from 'ajv';
import schema from './schema.json' with { type: 'json' };

export { schema as IR_SCHEMA };

let validator: ((x: unknown) => boolean) & { errors?: ErrorObject[] | null } = undefined as never;

/** Problems with `ir` as `path: message` lines; empty when it is a valid Network IR. */
export function validateIR(ir: unknown): string[] {
  if (!validator) {
    // ajv's 2020-12 entry is CommonJS; load it through require so both tsx and the bundle work.
    const require = createRequire(import.meta.url);
    const Ajv2020 = (require('ajv/dist/2020') as { default: new (o: object) => { compile(s: object): typeof validator } }).default;
    validator = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
  }
  if (validator(ir)) return [];
  return (validator.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? 'invalid'}`);
}
