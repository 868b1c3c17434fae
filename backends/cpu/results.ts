/**
 * Simulation results as HDF5 (h5wasm), readable with h5py. The layout (spec/results.md):
 *
 *   /                                attrs: format = "snn-results", version = 1, network, backend,
 *                                           dt (ms), duration (ms), seed
 *   /populations/NAME                attrs: size, model, spike_count
 *   /populations/NAME/spikes/times   float64, ms        (recorded populations only)
 *   /populations/NAME/spikes/senders int32, neuron index in the population
 *   /recordings/K                    attrs: label, variable, population (when one)
 *   /recordings/K/times              float64 [T], ms
 *   /recordings/K/values             float64 [T, N], in the internal unit of the variable
 *   /recordings/K/neurons            int32 [N], neuron index in its population
 *
 * The file is written under a temporary name and renamed into place, so a failure never leaves a
 * half-written results file.
 */
import { writeHdf5Atomically } from '../files.js';
import type { NetworkIR } from '../../compiler/ir/types.js';
import type { SimulationResult } from './simulate.js';

export async function writeResultsHdf5(path: string, ir: NetworkIR, res: SimulationResult, backend: string): Promise<void> {
  await writeHdf5Atomically(path, (f) => {
    f.create_attribute('format', 'snn-results');
    f.create_attribute('version', 1);
    f.create_attribute('network', ir.name);
    f.create_attribute('backend', backend);
    f.create_attribute('dt', res.dt);
    f.create_attribute('duration', res.duration);
    f.create_attribute('seed', ir.seed);
    const pops = f.create_group('populations');
    for (const p of ir.populations) {
      const g = pops.create_group(p.name);
      g.create_attribute('size', p.size);
      g.create_attribute('model', p.model);
      g.create_attribute('spike_count', res.spikeCounts[p.name] ?? 0);
      const s = res.spikes[p.name];
      if (s) {
        const sg = g.create_group('spikes');
        sg.create_dataset({ name: 'times', data: Float64Array.from(s.times) });
        sg.create_dataset({ name: 'senders', data: Int32Array.from(s.senders) });
      }
    }
    const recs = f.create_group('recordings');
    res.traces.forEach((t, k) => {
      const g = recs.create_group(String(k));
      g.create_attribute('label', t.label);
      g.create_attribute('variable', t.variable);
      const popNames = [...new Set(t.neurons.map((n) => n.population))];
      if (popNames.length === 1) g.create_attribute('population', popNames[0]!);
      g.create_dataset({ name: 'times', data: Float64Array.from(t.times) });
      const n = t.neurons.length;
      const values = new Float64Array(t.values.length * n);
      t.values.forEach((row, i) => values.set(row, i * n));
      g.create_dataset({ name: 'values', data: values, shape: [t.values.length, n] });
      g.create_dataset({ name: 'neurons', data: Int32Array.from(t.neurons.map((x) => x.index)) });
    });
  });
}

/** The summary `snn run --json` prints. */
export function summary(ir: NetworkIR, res: SimulationResult): { duration_ms: number; populations: Record<string, { size: number; spikes: number; rate_hz: number }> } {
  const populations: Record<string, { size: number; spikes: number; rate_hz: number }> = {};
  for (const p of ir.populations) {
    const spikes = res.spikeCounts[p.name] ?? 0;
    populations[p.name] = { size: p.size, spikes, rate_hz: res.duration > 0 ? spikes / p.size / (res.duration / 1000) : 0 };
  }
  return { duration_ms: res.duration, populations };
}
