#!/usr/bin/env node
/**
 * The `snn` command: argument parsing and output only, over the library API (index.ts).
 * Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 usage error or unreadable file.
 */
import { Command, CommanderError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { checkFiles } from '../compiler/check/index.js';
import { Messages } from '../lang/messages.js';
import { sortDiagnostics } from '../lang/diagnostics.js';
import { packageRoot } from '../compiler/paths.js';
import { join } from 'node:path';
import { OUTPUT_FORMATS, renderDiagnostics, type OutputFormat } from './render-diagnostics.js';
import { runFmt } from './fmt.js';
import { compileCommand, runCommand } from './run.js';
import { trainCommand } from './train.js';
import type { BackendChoice } from '../backends/training/select.js';
import { EXPORT_TARGETS, exportCommand, importCommand, type ExportTarget } from './interchange.js';

const EXIT_OK = 0;
const EXIT_ERRORS = 1;
const EXIT_USAGE = 2;

function version(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

function rules(): { code: string; name: string; doc: string; severity: string }[] {
  return Object.entries(Messages).map(([name, m]) => ({ code: m.code, name, doc: m.doc, severity: m.severity }));
}

function useColor(format: OutputFormat): boolean {
  return format === 'text' && process.stdout.isTTY === true && !process.env.NO_COLOR;
}

export async function main(argv: string[]): Promise<number> {
  let exitCode = EXIT_OK;
  const program = new Command();
  program
    .name('snn')
    .description('A toolchain for spiking neural networks: check, format, compile, run, export and import .snn models.')
    .version(version(), '-V, --version')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command('check')
    .description('check .snn files for syntax, name, unit and structure errors')
    .argument('<files...>', '.snn files to check')
    .addOption(new Option('-f, --format <format>', 'output format').choices([...OUTPUT_FORMATS]).default('text'))
    .option('--quiet', 'print only errors, not warnings')
    .action((files: string[], opts: { format: OutputFormat; quiet?: boolean }) => {
      const result = checkFiles(files);
      let diags = sortDiagnostics(result.diagnostics);
      if (opts.quiet) diags = diags.filter((d) => d.severity === 'error');
      const out = renderDiagnostics(diags, opts.format, result.sources, { color: useColor(opts.format), toolVersion: version(), rules: rules() });
      if (out) process.stdout.write(out);
      if (result.diagnostics.some((d) => d.code === Messages.FileNotReadable.code)) exitCode = EXIT_USAGE;
      else exitCode = result.diagnostics.some((d) => d.severity === 'error') ? EXIT_ERRORS : EXIT_OK;
    });

  program
    .command('fmt')
    .description('rewrite .snn files in the canonical format')
    .argument('<files...>', '.snn files to format')
    .option('--check', 'do not write; exit 1 if any file would change')
    .action((files: string[], opts: { check?: boolean }) => {
      exitCode = runFmt(files, { check: opts.check === true, color: useColor('text') });
    });

  program
    .command('compile')
    .description('compile a .snn model to the Network IR (JSON, schema in compiler/ir/schema.json)')
    .argument('<file>', 'the .snn file')
    .addOption(new Option('--emit <what>', 'what to write').choices(['ir']).default('ir'))
    .option('-o, --output <path>', 'write here instead of to stdout')
    .action((file: string, opts: { emit: string; output?: string }) => {
      exitCode = compileCommand(file, { emit: opts.emit, color: useColor('text'), ...(opts.output ? { output: opts.output } : {}) });
    });

  program
    .command('run')
    .description('simulate a .snn model and write its recordings to DIR/results.h5')
    .argument('<file>', 'the .snn file')
    .addOption(new Option('--backend <backend>', 'where to simulate').choices(['cpu', 'auto']).default('cpu'))
    .option('--duration <time>', "override the network's duration, e.g. 500 or 500ms or 2s")
    .option('--seed <n>', "override the network's seed")
    .option('-o, --output <dir>', 'results folder (default: out/<file name>)')
    .option('--json', 'print one JSON object: duration_ms and per population size, spikes, rate_hz')
    .option('--quiet', 'no progress and no summary')
    .option('--weights <file>', 'weights.h5 written by snn train: replaces the weights of the projections it names')
    .action(async (file: string, opts: { backend: string; duration?: string; seed?: string; output?: string; json?: boolean; quiet?: boolean; weights?: string }) => {
      exitCode = await runCommand(file, { ...opts, color: useColor('text') });
    });

  program
    .command('train')
    .description("train a .snn model's trainable projections with its train block (backprop through time or online eligibility traces, surrogate gradients)")
    .argument('<file>', 'the .snn file')
    .addOption(new Option('--backend <backend>', 'where to train: webgpu (an adapter is required), cpu (float64 reference), auto (WebGPU when an adapter exists)').choices(['webgpu', 'cpu', 'auto']).default('auto'))
    .addOption(new Option('--method <method>', "override the train block's method: bptt (backprop through time) or online (eligibility traces, memory constant in time)").choices(['bptt', 'online']))
    .option('--epochs <n>', "override the train block's epochs")
    .option('--batch <n>', "override the train block's batch size")
    .option('--lr <x>', "override the optimizer's learning rate")
    .option('--seed <n>', "override the network's seed (weights, data split, shuffling)")
    .option('-o, --output <dir>', 'output folder: metrics.jsonl, checkpoint.json, weights.h5, summary.json (default: out/<file name>-train)')
    .option('--resume', 'continue from the checkpoint in the output folder')
    .option('--json', 'print one JSON object at the end: test_accuracy, train_loss, epochs, backend, samples_per_s, …')
    .option('--quiet', 'no progress')
    .action(async (file: string, opts: { backend: BackendChoice; method?: 'bptt' | 'online'; epochs?: string; batch?: string; lr?: string; seed?: string; output?: string; resume?: boolean; json?: boolean; quiet?: boolean }) => {
      exitCode = await trainCommand(file, { ...opts, color: useColor('text') });
    });

  program
    .command('export')
    .description('export a .snn model to another tool: a NIR graph (HDF5) or a runnable PyNN script')
    .argument('<file>', 'the .snn file')
    .addOption(new Option('--target <target>', 'what to write').choices([...EXPORT_TARGETS]).makeOptionMandatory())
    .requiredOption('-o, --output <path>', 'the file to write (OUT.nir or OUT.py)')
    .action(async (file: string, opts: { target: ExportTarget; output: string }) => {
      exitCode = await exportCommand(file, { ...opts, color: useColor('text'), version: version() });
    });

  program
    .command('import')
    .description('turn a NIR graph (HDF5) into a .snn model, with its connections in OUT.data/')
    .argument('<file>', 'the .nir file')
    .requiredOption('-o, --output <path>', 'the .snn file to write')
    .action(async (file: string, opts: { output: string }) => {
      exitCode = await importCommand(file, { ...opts, color: useColor('text') });
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here with code 0; everything else is a usage error.
      return e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    throw e;
  }
  return exitCode;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  // A bug must still not print a stack trace at the user: say what happened and how to report it.
  process.stderr.write(`snn: internal error: ${e instanceof Error ? e.message : String(e)}\n(this is a bug in snn; set SNN_DEBUG=1 for details)\n`);
  if (process.env.SNN_DEBUG) process.stderr.write(`${e instanceof Error ? e.stack : ''}\n`);
  process.exitCode = 70;
}
