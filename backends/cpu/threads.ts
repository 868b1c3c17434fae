/**
 * Running the generated step loops of all populations on several threads. Each thread owns a
 * contiguous range of every population's neurons; state, parameters and ring buffers live in
 * SharedArrayBuffers, so a neuron's update is the same code on the same numbers whichever thread
 * runs it, and results stay identical bit for bit to a single-threaded run. Spikes are merged in
 * thread order, which is neuron order. The main thread works too, and threads meet once per
 * step on an Atomics counter (spinning: a step takes tens of microseconds, far less than a
 * sleep-and-wake round trip).
 */
import { Worker } from 'node:worker_threads';
import { HELPERS } from './codegen.js';

/** What one population's step needs, all in shared memory. */
export interface SharedStep {
  code: string;
  size: number;
  S: Record<string, Float64Array>;
  P: Record<string, Float64Array>;
  inj: Float64Array;
  refr: Int32Array;
  refSteps: Float64Array;
  B: Float64Array[];
}

export const shared64 = (n: number): Float64Array => new Float64Array(new SharedArrayBuffer(8 * Math.max(1, n)));
export const shared32 = (n: number): Int32Array => new Int32Array(new SharedArrayBuffer(4 * Math.max(1, n)));

/** The parameters of a step factory's source (simulate.ts StepFactory), in order. */
export const FACTORY_PARAMS = ['S', 'P', 'inj', 'refr', 'refSteps', 'out', 'H', 'B'] as const;
type Step = (off: number, lo: number, hi: number) => number;
type Factory = (...args: unknown[]) => Step;

/** The worker: compiles the same step code and runs its ranges each time the generation moves. */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { ctrl, pops, ranges, outs, counts, params, helpers } = workerData;
const H = Object.fromEntries(Object.entries(helpers).map(([k, src]) => [k, (0, eval)('(' + src + ')')]));
const fns = pops.map((p, k) => new Function(...params, p.code)(p.S, p.P, p.inj, p.refr, p.refSteps, outs[k], H, p.B));
Atomics.add(ctrl, 5, 1); // ready
let gen = 0;
for (;;) {
  let spins = 0;
  while (Atomics.load(ctrl, 0) === gen) {
    if (++spins > (1 << 22)) {
      Atomics.store(ctrl, 4, 1);
      if (Atomics.load(ctrl, 0) === gen) Atomics.wait(ctrl, 0, gen, 50);
      Atomics.store(ctrl, 4, 0);
      spins = 0;
    }
  }
  gen = Atomics.load(ctrl, 0);
  if (ctrl[3] === 1) break;
  const slot = ctrl[2];
  for (let k = 0; k < pops.length; k++) {
    const p = pops[k];
    const [lo, hi] = ranges[k];
    counts[k] = hi > lo ? fns[k](slot * p.size, lo, hi) : 0;
  }
  Atomics.add(ctrl, 1, 1);
}
`;

export class ThreadedSteps {
  private readonly workers: Worker[] = [];
  /** [generation, threads done, slot, stop, a thread may be asleep, threads ready]. */
  private readonly ctrl = shared32(6);
  private readonly mainFns: Step[];
  private readonly ranges: [number, number][][];
  private readonly outs: Int32Array[][];
  private readonly counts: Int32Array[];

  constructor(
    private readonly pops: SharedStep[],
    readonly threads: number,
  ) {
    const n = threads;
    this.ranges = Array.from({ length: n }, (_, t) => pops.map((p): [number, number] => [Math.floor((p.size * t) / n), Math.floor((p.size * (t + 1)) / n)]));
    this.outs = Array.from({ length: n }, (_, t) => pops.map((_, k) => shared32(this.ranges[t]![k]![1] - this.ranges[t]![k]![0])));
    this.counts = Array.from({ length: n }, () => shared32(pops.length));
    this.mainFns = pops.map((p, k) => (new Function(...FACTORY_PARAMS, p.code) as Factory)(p.S, p.P, p.inj, p.refr, p.refSteps, this.outs[0]![k], HELPERS, p.B));
    const helpers = Object.fromEntries(Object.entries(HELPERS).map(([k, f]) => [k, f.toString()]));
    for (let t = 1; t < n; t++) {
      this.workers.push(
        new Worker(WORKER_SOURCE, {
          eval: true,
          workerData: { ctrl: this.ctrl, pops, ranges: this.ranges[t], outs: this.outs[t], counts: this.counts[t], params: FACTORY_PARAMS, helpers },
        }),
      );
    }
  }

  /** Blocks until every worker has started and compiled its step functions (tens of ms). */
  ready(): void {
    while (Atomics.load(this.ctrl, 5) < this.threads - 1) Atomics.wait(this.ctrl, 5, Atomics.load(this.ctrl, 5), 5);
  }

  /**
   * One step of every population; `spiked[k]` receives population k's spiking neurons in order.
   * Returns the spike count per population.
   */
  step(slot: number, spiked: Int32Array[]): number[] {
    const c = this.ctrl;
    Atomics.store(c, 2, slot);
    Atomics.store(c, 1, 0);
    Atomics.add(c, 0, 1);
    // Waking a sleeping thread is a system call: only when one went to sleep (an idle stretch).
    if (Atomics.load(c, 4) !== 0) Atomics.notify(c, 0);
    const mine = this.ranges[0]!;
    this.pops.forEach((p, k) => {
      const [lo, hi] = mine[k]!;
      this.counts[0]![k] = hi > lo ? this.mainFns[k]!(slot * p.size, lo, hi) : 0;
    });
    const others = this.threads - 1;
    while (Atomics.load(c, 1) < others) {
      /* spin: the other threads finish within microseconds */
    }
    return this.pops.map((_, k) => {
      let total = 0;
      for (let t = 0; t < this.threads; t++) {
        const cnt = this.counts[t]![k]!;
        spiked[k]!.set(this.outs[t]![k]!.subarray(0, cnt), total);
        total += cnt;
      }
      return total;
    });
  }

  close(): void {
    Atomics.store(this.ctrl, 3, 1);
    Atomics.add(this.ctrl, 0, 1);
    Atomics.notify(this.ctrl, 0);
    for (const w of this.workers) void w.terminate();
  }
}
