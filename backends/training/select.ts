/**
 * Which engine trains: `cpu` (float64 reference), `webgpu` (an adapter is required), or `auto`
 * (WebGPU when a hardware adapter opens, else the CPU, saying which and why). `method: online`
 * picks the online engines (eligibility traces) of the same backends.
 */
import { CpuOnlineEngine } from '../cpu/online.js';
import { CpuTrainEngine } from '../cpu/train.js';
import type { TrainEngine } from './engine.js';
import type { TrainPlan } from './plan.js';

export type BackendChoice = 'cpu' | 'webgpu' | 'auto';

export class EngineUnavailable extends Error {}

export async function createEngine(plan: TrainPlan, choice: BackendChoice): Promise<{ engine: TrainEngine; note?: string }> {
  const method = plan.train.method;
  const online = method.kind === 'online' ? { feedback: method.feedback } : undefined;
  const cpu = (): TrainEngine => (online ? new CpuOnlineEngine(plan, online) : new CpuTrainEngine(plan));
  if (choice === 'cpu') return { engine: cpu() };
  const { openWebGpu } = await import('../webgpu/device.js');
  const opened = await openWebGpu();
  if (!opened.gpu) {
    if (choice === 'webgpu') throw new EngineUnavailable(opened.reason);
    return { engine: cpu(), note: `no WebGPU adapter (${opened.reason}); training on the CPU` };
  }
  if (choice === 'auto' && opened.gpu.software) {
    // A software adapter (lavapipe) runs the same kernels on the CPU cores, slower than the CPU
    // backend's own loops (training.md §4.3), so auto keeps to the CPU and says so.
    return { engine: cpu(), note: `the WebGPU adapter is a software one (${opened.gpu.adapter.description}); training on the CPU, which is faster here (--backend webgpu to use it anyway)` };
  }
  let engine: TrainEngine;
  if (online) {
    const { WebGpuOnlineEngine } = await import('../webgpu/online.js');
    engine = await WebGpuOnlineEngine.create(plan, opened.gpu, online);
  } else {
    const { WebGpuTrainEngine } = await import('../webgpu/train.js');
    engine = await WebGpuTrainEngine.create(plan, opened.gpu);
  }
  return { engine, ...(choice === 'auto' ? { note: `WebGPU adapter: ${opened.gpu.adapter.description || opened.gpu.adapter.vendor}` } : {}) };
}
