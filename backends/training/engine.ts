/**
 * The contract between the training loop (loop.ts) and a backend that computes a batch's
 * forward pass and its gradients: the CPU reference (float64, backends/cpu/train.ts) and
 * WebGPU (float32, backends/webgpu/train.ts). The loop owns the loss, the optimizer and the
 * data; an engine owns the network state over time.
 */
import type { SpikeSample } from '../../stdlib/data/dataset.js';
import type { TrainPlan } from './plan.js';

export interface BatchForward {
  /** The readout per sample and output neuron, [batch][outputs] row-major. */
  readout: Float64Array;
  /** Spike counts per sample and neuron of every spiking population, [batch][size]. */
  counts: Map<string, Float64Array>;
  /** The readout population's spikes over time, [steps][batch][size], when the loss reads them (van Rossum). */
  spikes?: Float64Array;
  /** The readout variable over time, [steps + 1][batch][size], when the loss reads it (MSE to traces). */
  trace?: Float64Array;
}

/** Gradients of a loss over time: dL/d(readout spikes) [steps][batch][size], dL/d(readout variable) [steps + 1][batch][size]. */
export interface OverTimeGradients {
  dSpikes?: Float64Array;
  dTrace?: Float64Array;
}

export interface TrainEngine {
  /** 'cpu' or 'webgpu'. */
  readonly backend: string;
  /** The adapter or machine it runs on, for reports. */
  readonly device: string;
  readonly plan: TrainPlan;
  /** Dense weights [rows][cols] of every projection, in plan order; trainable ones change. */
  weights(): Float64Array[];
  setWeights(w: Float64Array[]): void;
  /**
   * Runs the batch over `steps` time steps and keeps what the backward pass needs; `learn:
   * false` (evaluation) lets an engine keep nothing (the online engine then carries no traces).
   */
  forward(samples: readonly SpikeSample[], steps: number, learn?: boolean): Promise<BatchForward>;
  /**
   * Gradients of the loss with respect to every projection's weights (zero for fixed ones and
   * for unconnected pairs), given dL/d(readout), dL/d(spike count) per population and the
   * gradients of a loss over time.
   */
  backward(dReadout: Float64Array, dCounts: ReadonlyMap<string, Float64Array>, overTime?: OverTimeGradients): Promise<Float64Array[]>;
  /** Peak bytes held for the backward pass in the last batch (state over time, spikes). */
  readonly storedBytes: number;
  dispose(): void;
}
