/** Helpers shared by the training tests (CPU, WebGPU, PyTorch comparison). */
import { compileText } from '../../compiler/compile.js';
import type { NetworkIR } from '../../compiler/ir/types.js';
import type { SpikeSample } from '../../stdlib/data/dataset.js';

export function compileTrain(src: string): NetworkIR {
  const r = compileText(src, 'test.snn', { keepDataSources: true, defaultDuration: 100 });
  if (!r.ir) throw new Error(r.diagnostics.map((d) => `${d.code} ${d.message}`).join('\n'));
  return r.ir;
}

/** A few input spikes per sample, different for each sample. */
export function spikeSamples(batch: number, units: number, steps: number, seed = 0): SpikeSample[] {
  return Array.from({ length: batch }, (_, b) => {
    const ev: [number, number][] = [];
    for (let u = 0; u < units; u++) for (let k = 0; k < 3; k++) ev.push([(7 * u + 13 * k + 5 * b + seed) % (steps - 2), u]);
    ev.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    return { label: b % 2, steps: Int32Array.from(ev.map((e) => e[0])), units: Int32Array.from(ev.map((e) => e[1])) };
  });
}

