/**
 * `snn train`: a thin wrapper over backends/training (plan, data, loop) and the engines of
 * backends/cpu and backends/webgpu. Writes into the output folder, each file atomically:
 * metrics.jsonl (one line per epoch), checkpoint.json (per epoch; --resume continues from it),
 * weights.h5 (the trained weights, which `snn run --weights` loads) and summary.json.
 */
import { mkdirSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import cliProgress from 'cli-progress';
import { compileFile } from '../compiler/compile.js';
import { makeDiagnostic, sortDiagnostics, type Diagnostic } from '../lang/diagnostics.js';
import { fileStartRange, type Range } from '../lang/source.js';
import { DatasetError } from '../stdlib/data/dataset.js';
import { loadDataset } from '../backends/training/data.js';
import { attachTargets } from '../backends/training/targets.js';
import { createEngine, EngineUnavailable, type BackendChoice } from '../backends/training/select.js';
import { trainNetwork, type EpochMetrics } from '../backends/training/loop.js';
import { writeAtomically } from '../backends/files.js';
import { planTraining, TrainPlanError } from '../backends/training/plan.js';
import { writeWeightsHdf5 } from '../backends/training/weights.js';
import { renderDiagnostics } from './render-diagnostics.js';
import { EXIT_ERRORS, EXIT_OK, EXIT_USAGE, parseWholeNumber, UsageError } from './run.js';

export interface TrainCommandOptions {
  backend: BackendChoice;
  method?: 'bptt' | 'online';
  epochs?: string;
  batch?: string;
  seed?: string;
  lr?: string;
  output?: string;
  json?: boolean;
  resume?: boolean;
  quiet?: boolean;
  color: boolean;
}

const wholeNumber = (flag: string, raw: string | undefined, min: number): number | undefined => (raw === undefined ? undefined : parseWholeNumber(flag, raw, min));

export async function trainCommand(file: string, opts: TrainCommandOptions): Promise<number> {
  const diagnostics: Diagnostic[] = [];
  const locations = new Map<string, Range>();
  const print = (sources: Parameters<typeof renderDiagnostics>[2]): void => {
    if (diagnostics.length === 0) return;
    const out = renderDiagnostics(sortDiagnostics(diagnostics), 'text', sources, { color: opts.color });
    if (out) process.stderr.write(out);
  };
  let epochs: number | undefined;
  let batch: number | undefined;
  let seed: number | undefined;
  let lr: number | undefined;
  try {
    epochs = wholeNumber('--epochs', opts.epochs, 0);
    batch = wholeNumber('--batch', opts.batch, 1);
    seed = wholeNumber('--seed', opts.seed, 0);
    if (opts.lr !== undefined) {
      lr = Number(opts.lr);
      if (!(lr > 0)) throw new UsageError(`--lr: expected a number > 0, got '${opts.lr}'`);
    }
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`error: ${e.message}\n`);
    return EXIT_USAGE;
  }
  const r = compileFile(file, { keepDataSources: true, defaultDuration: 1000, locations, ...(seed !== undefined ? { seed } : {}) });
  diagnostics.push(...r.diagnostics);
  if (!r.ir) {
    print(r.sources);
    return r.diagnostics.some((d) => d.code === 'SNN6001') ? EXIT_USAGE : EXIT_ERRORS;
  }
  const at = (element?: string): Range => (element && locations.get(element)) || fileStartRange();
  let plan;
  try {
    // --method overrides the block's; online keeps the block's feedback when it names one
    if (opts.method === 'bptt') r.ir.train!.method = { kind: 'bptt' };
    else if (opts.method === 'online' && r.ir.train?.method.kind !== 'online') r.ir.train!.method = { kind: 'online', feedback: 'symmetric' };
    plan = planTraining(r.ir);
  } catch (e) {
    if (!(e instanceof TrainPlanError)) throw e;
    diagnostics.push(makeDiagnostic('CannotTrain', file, at(e.element), [e.message], e.hint ? { hint: e.hint } : {}));
    print(r.sources);
    return EXIT_ERRORS;
  }
  let data;
  try {
    data = await loadDataset(plan.train.input.source, { dt: plan.dt, units: plan.input.size, baseDir: dirname(file) });
  } catch (e) {
    if (!(e instanceof DatasetError)) throw e;
    diagnostics.push(makeDiagnostic('DataNotReadable', file, at(`population:${plan.input.name}`), [e.message], { hint: e.hint }));
    print(r.sources);
    return EXIT_ERRORS;
  }
  try {
    await attachTargets(plan.train.loss, data, { dt: plan.dt, outputs: plan.readout.population.size, baseDir: dirname(file) });
  } catch (e) {
    if (!(e instanceof DatasetError)) throw e;
    diagnostics.push(makeDiagnostic('DataNotReadable', file, at('train:loss'), [e.message], { hint: e.hint }));
    print(r.sources);
    return EXIT_ERRORS;
  }
  let engine;
  try {
    engine = await createEngine(plan, opts.backend);
  } catch (e) {
    if (e instanceof TrainPlanError) {
      diagnostics.push(makeDiagnostic('CannotTrain', file, at(e.element), [e.message], e.hint ? { hint: e.hint } : {}));
      print(r.sources);
      return EXIT_ERRORS;
    }
    if (!(e instanceof EngineUnavailable)) throw e;
    diagnostics.push(makeDiagnostic('NoWebGpuAdapter', file, fileStartRange(), [e.message]));
    print(r.sources);
    return EXIT_ERRORS;
  }
  print(r.sources);
  if (!opts.quiet) {
    if (engine.note) process.stderr.write(`${engine.note}\n`);
    process.stderr.write(`training ${plan.ir.name} on ${engine.engine.backend} (${engine.engine.device}): ${data.samples.length} samples of ${data.steps} steps\n`);
  }
  const outDir = opts.output ?? join('out', `${basename(file, extname(file))}-train`);
  mkdirSync(outDir, { recursive: true });
  const totalEpochs = epochs ?? plan.train.epochs;
  const bar = epochBar(totalEpochs, opts.quiet === true);
  let result;
  try {
    result = await trainNetwork(engine.engine, data, {
      outDir,
      ...(epochs !== undefined ? { epochs } : {}),
      ...(batch !== undefined ? { batch } : {}),
      ...(seed !== undefined ? { seed } : {}),
      ...(lr !== undefined ? { lr } : {}),
      ...(opts.resume ? { resume: true } : {}),
      onBatch: (epoch, done, total, loss) => bar.batch(epoch, done, total, loss),
      onEpoch: (m) => bar.epoch(m),
    });
  } finally {
    bar.stop();
    engine.engine.dispose();
  }
  await writeWeightsHdf5(join(outDir, 'weights.h5'), plan, result.weights);
  const summary = {
    network: plan.ir.name,
    backend: result.backend,
    device: result.device,
    epochs: result.epochs,
    train_loss: result.train_loss,
    train_accuracy: result.train_accuracy,
    validation_accuracy: result.validation_accuracy,
    test_loss: result.test_loss,
    test_accuracy: result.test_accuracy,
    samples_per_s: result.samples_per_s,
    seconds: result.seconds,
    stored_bytes: result.stored_bytes,
    bytes_per_neuron_step: result.bytes_per_neuron_step,
    samples: result.samples,
    output: outDir,
  };
  writeAtomically(join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 1)}\n`);
  if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else if (!opts.quiet) {
    process.stdout.write(
      `test accuracy ${(100 * result.test_accuracy).toFixed(1)} % (${result.samples.test} samples), train loss ${result.train_loss.toFixed(4)}, ` +
        `${result.samples_per_s.toFixed(0)} samples/s on ${result.backend}; wrote ${join(outDir, 'weights.h5')}\n`,
    );
  }
  return EXIT_OK;
}

/** Per-epoch progress: a bar over the batches on a terminal, one line per epoch otherwise. */
function epochBar(epochs: number, quiet: boolean): { batch(e: number, done: number, total: number, loss: number): void; epoch(m: EpochMetrics): void; stop(): void } {
  if (quiet) return { batch: () => {}, epoch: () => {}, stop: () => {} };
  const line = (m: EpochMetrics): string =>
    `epoch ${m.epoch}/${epochs}: loss ${m.train_loss.toFixed(4)}, train ${(100 * m.train_accuracy).toFixed(1)} %` +
    (m.validation_accuracy !== null ? `, validation ${(100 * m.validation_accuracy).toFixed(1)} %` : '') +
    `, ${m.samples_per_s.toFixed(0)} samples/s, ${m.seconds.toFixed(1)} s`;
  if (!process.stderr.isTTY) return { batch: () => {}, epoch: (m) => process.stderr.write(`${line(m)}\n`), stop: () => {} };
  const bar = new cliProgress.SingleBar(
    { format: 'epoch {epoch}/{epochs} [{bar}] {value}/{total} batches | loss {loss} | {eta_formatted} left', stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    batch: (e, done, total, loss) => {
      if (!started) {
        bar.start(total, 0, { epoch: e + 1, epochs, loss: '-' });
        started = true;
      }
      bar.setTotal(total);
      bar.update(done, { epoch: e + 1, epochs, loss: loss.toFixed(4) });
    },
    epoch: (m) => {
      bar.stop();
      started = false;
      process.stderr.write(`${line(m)}\n`);
    },
    stop: () => bar.stop(),
  };
}
