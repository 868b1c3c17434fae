/**
 * Which engine trains: `cpu` (float64 reference), `webgpu` (an adapter is required), or `auto`
 * (WebGPU when a hardware adapter opens, else the CPU, saying which and why).
 */
import { CpuOnlineEngine } from '../cpu/online.js';
import { CpuTrainEngine } from '../cpu/train.js';
import type { TrainEngine } from './engine.js';
import { TrainPlanError, type TrainPlan } from './plan.js';

export type BackendChoice = 'cpu' | 'webgpu' | 'auto';

export class EngineUnavailable extends Error {}

export async function createEngine(plan: TrainPlan, choice: BackendChoice): Promise<{ engine: TrainEngine; note?: string }> {
  const method = plan.train.method;
  if (method.kind === 'online') {
    // eligibility traces run on the CPU engine; a WebGPU version is not written yet
    if (choice === 'webgpu') throw new TrainPlanError('online training (method: online) runs on the CPU backend only, for now', 'train:method', 'use --backend cpu or auto');
    return { engine: new CpuOnlineEngine(plan, { feedback: method.feedback }), ...(choice === 'auto' ? { note: 'method: online trains on the CPU' } : {}) };
  }
  if (choice === 'cpu') return { engine: new CpuTrainEngine(plan) };
  const { openWebGpu } = await import('../webgpu/device.js');
  const opened = await openWebGpu();
  if (!opened.gpu) {
    if (choice === 'webgpu') throw new EngineUnavailable(opened.reason);
    return { engine: new CpuTrainEngine(plan), note: `no WebGPU adapter (${opened.reason}); training on the CPU` };
  }
  if (choice === 'auto' && opened.gpu.software) {
    // A software adapter (lavapipe) runs the same kernels on the CPU cores, slower than the CPU
    // backend's own loops (training.md §4.3), so auto keeps to the CPU and says so.
    return { engine: new CpuTrainEngine(plan), note: `the WebGPU adapter is a software one (${opened.gpu.adapter.description}); training on the CPU, which is faster here (--backend webgpu to use it anyway)` };
  }
  const { WebGpuTrainEngine } = await import('../webgpu/train.js');
  const engine = await WebGpuTrainEngine.create(plan, opened.gpu);
  return { engine, ...(choice === 'auto' ? { note: `WebGPU adapter: ${opened.gpu.adapter.description || opened.gpu.adapter.vendor}` } : {}) };
}
