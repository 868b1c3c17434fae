/**
 * snn's library API. The CLI (`cli/snn.ts`) is a thin layer over these functions.
 *
 * ```ts
 * import { checkText, compileFile, simulate, renderDiagnostics } from 'snn';
 * const { diagnostics, sources } = checkText(source, 'model.snn');
 * console.log(renderDiagnostics(diagnostics, 'text', sources));
 *
 * const { ir } = compileFile('examples/cuba.snn');   // the Network IR, or diagnostics
 * const result = simulate(ir!);                      // spikes and traces, float64, deterministic
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
export { compileText, compileFile, type CompileResult, type CompileOptions } from './compiler/compile.js';
export type * from './compiler/ir/types.js';
export { validateIR, IR_SCHEMA } from './compiler/ir/validate.js';
export { evaluate as evaluateIR } from './compiler/ir/eval.js';
export { CounterRng, philox4x32, streamId } from './compiler/random/philox.js';
export { expm, affinePropagator } from './compiler/discretise/expm.js';
export { simulate, type SimulationResult, type SimulateOptions, type SpikeTrain, type Trace } from './backends/cpu/simulate.js';
export { writeResultsHdf5, summary as resultsSummary } from './backends/cpu/results.js';
export { exportNir, type NirExport } from './backends/nir/export.js';
export { importNir, type NirImport, type NirImportOptions } from './backends/nir/import.js';
export { readNir, writeNir } from './backends/nir/hdf5.js';
export type { NirGraph, NirNode, NirTensor } from './backends/nir/graph.js';
export { exportPynn, type PynnExport } from './backends/pynn/export.js';
export type { Finding } from './backends/findings.js';
export { recogniseLif, type LifForm } from './compiler/analyse/lif-form.js';
