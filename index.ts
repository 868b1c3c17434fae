/**
 * snn's library API. The CLI (`cli/snn.ts`) is a thin layer over these functions.
 *
 * ```ts
 * import { checkText, format, renderDiagnostics } from 'snn';
 * const { diagnostics, sources } = checkText(source, 'model.snn');
 * console.log(renderDiagnostics(diagnostics, 'text', sources));
 * ```
 */
export { parse, type ParseResult } from './lang/parse.js';
export { format, formatDocument } from './lang/format.js';
export type * as AST from './lang/ast.js';
export { SourceFile, type Range, type Position } from './lang/source.js';
export { type Diagnostic, type Severity, hasErrors, sortDiagnostics } from './lang/diagnostics.js';
export { Messages, type MessageName } from './lang/messages.js';
export { checkText, checkFiles, stdlibModels, type CheckResult, type CheckOptions } from './compiler/check/index.js';
export { renderDiagnostics, type OutputFormat } from './cli/render-diagnostics.js';
export * as units from './compiler/units.js';
export { BUILTINS, type Builtin } from './compiler/builtins.js';
