/// <reference types="@webgpu/types" />
/**
 * Small helpers the WebGPU kernels are built from: storage buffers from typed arrays, read-back,
 * a cached compute-pipeline builder from WGSL text, and a one-call dispatch.
 *
 * Errors: size limits and WGSL compile errors throw at once. A mistake WebGPU only reports
 * asynchronously (e.g. a binding whose type does not match the shader) is recorded by the device
 * and thrown by the next `read()` (or `gpu.check()`), so read results never silently come from an
 * invalid submission.
 */
import { WebGpuError, type WebGpu } from './device.js';

// Numeric values from the WebGPU spec, so this module does not depend on the GPU* globals.
const BUFFER_STORAGE = 0x0080;
const BUFFER_UNIFORM = 0x0040;
const BUFFER_COPY_SRC = 0x0004;
const BUFFER_COPY_DST = 0x0008;
const BUFFER_MAP_READ = 0x0001;
const MAP_READ = 0x0001;

/** Usage of every buffer made here: STORAGE | COPY_SRC | COPY_DST. */
export const STORAGE_USAGE = BUFFER_STORAGE | BUFFER_COPY_SRC | BUFFER_COPY_DST;

export type TypedArray = Float32Array | Uint32Array | Int32Array;
type TypedArrayConstructor = Float32ArrayConstructor | Uint32ArrayConstructor | Int32ArrayConstructor;

const MiB = 1024 * 1024;

function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(bytes % MiB === 0 ? 0 : 1)} MiB`;
}

/**
 * Throws a clear error when a buffer of `bytes` cannot be bound whole as a storage buffer on this
 * device (maxStorageBufferBindingSize: 128 MiB on lavapipe and in WebGPU's defaults; more on most
 * GPUs, because openWebGpu() asks for the adapter's own limit).
 */
export function checkStorageSize(gpu: WebGpu, bytes: number, what = 'storage buffer'): void {
  const max = gpu.device.limits.maxStorageBufferBindingSize;
  if (bytes > max) {
    throw new WebGpuError(
      `${what} of ${mib(bytes)} (${bytes} bytes) exceeds this device's maxStorageBufferBindingSize of ${mib(max)} ` +
        `(${gpu.adapter.description || 'adapter'}); split the data or use smaller batches`,
    );
  }
}

/** Byte size rounded up to a multiple of 4 and at least 4 (WebGPU rejects zero-size bindings). */
function paddedSize(bytes: number): number {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`invalid buffer size ${bytes}`);
  return Math.max(4, Math.ceil(bytes / 4) * 4);
}

/** A storage buffer (STORAGE|COPY_SRC|COPY_DST) holding a copy of `data`. */
export function storageBuffer(gpu: WebGpu, data: TypedArray, label?: string): GPUBuffer {
  const size = paddedSize(data.byteLength);
  checkStorageSize(gpu, size, label ?? 'storage buffer');
  const buffer = gpu.device.createBuffer({ size, usage: STORAGE_USAGE, mappedAtCreation: true, ...(label ? { label } : {}) });
  const view = new (data.constructor as TypedArrayConstructor)(buffer.getMappedRange(), 0, data.length);
  view.set(data as never);
  buffer.unmap();
  return buffer;
}

/** A zero-filled storage buffer (STORAGE|COPY_SRC|COPY_DST) of `bytes` bytes (rounded up to a multiple of 4). */
export function emptyBuffer(gpu: WebGpu, bytes: number, label?: string): GPUBuffer {
  const size = paddedSize(bytes);
  checkStorageSize(gpu, size, label ?? 'storage buffer');
  return gpu.device.createBuffer({ size, usage: STORAGE_USAGE, ...(label ? { label } : {}) });
}

/** Writes `data` into `buffer` at `byteOffset` (queued; ordered before later dispatches). */
export function write(gpu: WebGpu, buffer: GPUBuffer, data: TypedArray, byteOffset = 0): void {
  if (byteOffset % 4 !== 0) throw new RangeError(`write: byteOffset ${byteOffset} is not a multiple of 4`);
  if (byteOffset + data.byteLength > buffer.size) {
    throw new RangeError(`write: ${data.byteLength} bytes at offset ${byteOffset} overflow a buffer of ${buffer.size} bytes`);
  }
  gpu.device.queue.writeBuffer(buffer, byteOffset, data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
}

export interface ReadOptions {
  /** Byte offset into the buffer (multiple of 4); default 0. */
  byteOffset?: number;
  /** Number of elements; default: the rest of the buffer. */
  length?: number;
}

/**
 * Copies `buffer` (or a range of it) into a new typed array: submits a copy to a staging buffer,
 * waits for mapAsync, then throws if the device recorded an error or was lost (see gpu.check()).
 */
export function read(gpu: WebGpu, buffer: GPUBuffer, type: Float32ArrayConstructor, opts?: ReadOptions): Promise<Float32Array>;
export function read(gpu: WebGpu, buffer: GPUBuffer, type: Uint32ArrayConstructor, opts?: ReadOptions): Promise<Uint32Array>;
export function read(gpu: WebGpu, buffer: GPUBuffer, type: Int32ArrayConstructor, opts?: ReadOptions): Promise<Int32Array>;
export async function read(gpu: WebGpu, buffer: GPUBuffer, type: TypedArrayConstructor, opts: ReadOptions = {}): Promise<TypedArray> {
  const byteOffset = opts.byteOffset ?? 0;
  if (byteOffset % 4 !== 0) throw new RangeError(`read: byteOffset ${byteOffset} is not a multiple of 4`);
  const length = opts.length ?? Math.floor((buffer.size - byteOffset) / type.BYTES_PER_ELEMENT);
  const bytes = length * type.BYTES_PER_ELEMENT;
  if (length < 0 || byteOffset + bytes > buffer.size) {
    throw new RangeError(`read: ${length} elements at offset ${byteOffset} overflow a buffer of ${buffer.size} bytes`);
  }
  const { device } = gpu;
  const size = paddedSize(bytes);
  const staging = device.createBuffer({ size, usage: BUFFER_MAP_READ | BUFFER_COPY_DST, label: 'snn read-back' });
  try {
    const encoder = device.createCommandEncoder();
    if (bytes > 0) encoder.copyBufferToBuffer(buffer, byteOffset, staging, 0, size);
    device.queue.submit([encoder.finish()]);
    try {
      await staging.mapAsync(MAP_READ, 0, size);
    } catch (e) {
      gpu.check(); // a recorded error or a lost device explains the failed map better
      throw new WebGpuError(`read-back failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    const out = new type(length);
    out.set(new type(staging.getMappedRange(0, size), 0, length) as never);
    staging.unmap();
    gpu.check();
    return out;
  } finally {
    staging.destroy();
  }
}

const pipelines = new WeakMap<GPUDevice, Map<string, Promise<GPUComputePipeline>>>();

/**
 * The compute pipeline for `entryPoint` in WGSL `code` (auto layout), built once per device and
 * cached by (code, entryPoint). A WGSL error throws a WebGpuError whose message gives, per error,
 * `line L:C: message` and the offending source line.
 */
export function pipeline(gpu: WebGpu, code: string, entryPoint: string): Promise<GPUComputePipeline> {
  let cache = pipelines.get(gpu.device);
  if (!cache) pipelines.set(gpu.device, (cache = new Map()));
  const key = `${entryPoint}\u0000${code}`;
  let p = cache.get(key);
  if (!p) {
    p = buildPipeline(gpu, code, entryPoint);
    cache.set(key, p);
    const c = cache;
    p.catch(() => c.delete(key)); // do not cache failures
  }
  return p;
}

async function buildPipeline(gpu: WebGpu, code: string, entryPoint: string): Promise<GPUComputePipeline> {
  const { device } = gpu;
  // The error scope keeps the shader's validation error away from the uncaptured-error record.
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code, label: entryPoint });
  const scopeError = device.popErrorScope();
  const info = await module.getCompilationInfo();
  const scoped = await scopeError;
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length > 0) {
    const lines = code.split('\n');
    const text = errors.map((m) => {
      const src = m.lineNum > 0 ? lines[m.lineNum - 1] : undefined;
      const where = m.lineNum > 0 ? `line ${m.lineNum}:${m.linePos}: ` : '';
      return src === undefined
        ? `  ${where}${m.message}`
        : `  ${where}${m.message}\n    ${src}\n    ${' '.repeat(Math.max(0, m.linePos - 1))}^`;
    });
    throw new WebGpuError(`WGSL compile error in shader '${entryPoint}':\n${text.join('\n')}`);
  }
  if (scoped) throw new WebGpuError(`WGSL shader '${entryPoint}' rejected: ${scoped.message.trim()}`);
  try {
    return await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint }, label: entryPoint });
  } catch (e) {
    throw new WebGpuError(`compute pipeline '${entryPoint}' failed: ${e instanceof Error ? e.message.trim() : String(e)}`);
  }
}

/**
 * A bind group for `pipeline` (auto layout) binding `bindings` in order to @group(0)
 * @binding(0..n-1), after checking each against the device's binding limits. Made once, it can be
 * passed to dispatch() any number of times (cheaper than binding the buffers on every call).
 */
export function bindGroup(gpu: WebGpu, pipeline: GPUComputePipeline, bindings: GPUBuffer[]): GPUBindGroup {
  const { device } = gpu;
  const limits = device.limits;
  bindings.forEach((b, i) => {
    if (b.usage & BUFFER_STORAGE) checkStorageSize(gpu, b.size, `binding ${i}${b.label ? ` (${b.label})` : ''}`);
    else if (b.usage & BUFFER_UNIFORM && b.size > limits.maxUniformBufferBindingSize) {
      throw new WebGpuError(`binding ${i}: uniform buffer of ${b.size} bytes exceeds maxUniformBufferBindingSize (${limits.maxUniformBufferBindingSize})`);
    }
  });
  return device.createBindGroup({
    label: pipeline.label,
    layout: pipeline.getBindGroupLayout(0),
    entries: bindings.map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
}

/**
 * Binds `bindings` in order to @group(0) @binding(0..n-1) (auto layout; or takes a bind group
 * from bindGroup()) and dispatches `workgroups`. Submits at once, unless `encoder` is given: a
 * command encoder, into which the pass is only recorded, and the caller submits
 * (`gpu.device.queue.submit([encoder.finish()])`) — cheaper for many dispatches; or an open
 * compute pass, which gets the dispatch (WebGPU orders the dispatches of a pass, each seeing
 * the writes of those before it) and which the caller ends.
 */
export function dispatch(
  gpu: WebGpu,
  pipeline: GPUComputePipeline,
  bindings: GPUBuffer[] | GPUBindGroup,
  workgroups: [number, number?, number?],
  encoder?: GPUCommandEncoder | GPUComputePassEncoder,
): void {
  const { device } = gpu;
  const limits = device.limits;
  const [x, y = 1, z = 1] = workgroups;
  for (const [axis, n] of [['x', x], ['y', y], ['z', z]] as const) {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`dispatch: workgroup count ${axis}=${n} is not a non-negative integer`);
    if (n > limits.maxComputeWorkgroupsPerDimension) {
      throw new WebGpuError(
        `dispatch: ${n} workgroups along ${axis} exceed maxComputeWorkgroupsPerDimension (${limits.maxComputeWorkgroupsPerDimension}); ` +
          'spread them over y/z or loop inside the shader',
      );
    }
  }
  const group = Array.isArray(bindings) ? bindGroup(gpu, pipeline, bindings) : bindings;
  if (encoder && 'dispatchWorkgroups' in encoder) {
    encoder.setPipeline(pipeline);
    encoder.setBindGroup(0, group);
    if (x > 0 && y > 0 && z > 0) encoder.dispatchWorkgroups(x, y, z);
    return;
  }
  const enc = encoder ?? device.createCommandEncoder({ label: pipeline.label });
  const pass = enc.beginComputePass({ label: pipeline.label });
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, group);
  if (x > 0 && y > 0 && z > 0) pass.dispatchWorkgroups(x, y, z);
  pass.end();
  if (!encoder) device.queue.submit([enc.finish()]);
}
