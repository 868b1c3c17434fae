/**
 * `compile(path)`: check a .snn file and lower its network to the Network IR. Diagnostics are
 * values (DESIGN.md principle 8): a model that does not check, or uses something the compiler
 * cannot lower yet, comes back with diagnostics and no IR.
 */
import { readFileSync } from 'node:fs';
import { makeDiagnostic, hasErrors, type Diagnostic } from '../lang/diagnostics.js';
import { fileStartRange, type SourceFile } from '../lang/source.js';
import { checkFileForCompile, type CheckOptions } from './check/index.js';
import type { NetworkIR } from './ir/types.js';
import { LowerError } from './lower/expr.js';
import { lowerNetwork, type LowerOptions } from './lower/network.js';

export interface CompileResult {
  ir?: NetworkIR;
  diagnostics: Diagnostic[];
  /** The checked sources, for rendering diagnostics with their lines. */
  sources: Map<string, SourceFile>;
}

export interface CompileOptions extends CheckOptions, LowerOptions {
  /** The network to compile when the file has several; default: the only one. */
  network?: string;
}

export function compileText(text: string, path: string, opts: CompileOptions = {}): CompileResult {
  const file = checkFileForCompile(path, text, opts);
  const diagnostics = [...file.diagnostics];
  const sources = new Map([[path, file.source]]);
  if (hasErrors(diagnostics)) return { diagnostics, sources };
  const nets = file.ast.items.filter((i) => i.kind === 'Network');
  const net = opts.network ? nets.find((n) => n.name?.name === opts.network) : nets[0];
  if (!net || (nets.length > 1 && !opts.network)) {
    const names = nets.map((n) => n.name?.name ?? '?').join(', ');
    const why = nets.length === 0 ? 'the file has no network to compile' : opts.network ? `no network named '${opts.network}' (networks: ${names})` : `the file has several networks (${names}): pick one`;
    diagnostics.push(makeDiagnostic('CannotCompile', path, nets[0]?.range ?? fileStartRange(), [why]));
    return { diagnostics, sources };
  }
  try {
    return { ir: lowerNetwork(net, file.scope, { modelPath: path, ...opts }), diagnostics, sources };
  } catch (e) {
    if (!(e instanceof LowerError)) throw e;
    diagnostics.push(makeDiagnostic('CannotCompile', path, e.range ?? net.range, [e.message]));
    return { diagnostics, sources };
  }
}

/** Compiles a file; an unreadable file is diagnostic SNN6001. */
export function compileFile(path: string, opts: CompileOptions = {}): CompileResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return { diagnostics: [makeDiagnostic('FileNotReadable', path, fileStartRange(), [path, (e as NodeJS.ErrnoException).code ?? String(e)])], sources: new Map() };
  }
  return compileText(text, path, opts);
}
