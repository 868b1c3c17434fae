/// <reference types="@webgpu/types" />
/**
 * The WebGPU device layer: opens one Dawn (npm `webgpu`) device per process and reports, rather
 * than throws, why none exists. Kernels get buffers and pipelines from ./buffers.ts.
 *
 * Without a GPU, Dawn needs a software Vulkan driver: on Debian bookworm `libvulkan1` plus
 * `mesa-vulkan-drivers` (lavapipe) from bookworm-backports (mesa >= 23; bookworm's own 22.3.6 is
 * rejected by Dawn). See shared/reference/webgpu-on-cpu.md and .ci/run.
 *
 * Lifetime: the object returned by Dawn's `create()` lives only in this module (never on
 * `globalThis`, or Node would not exit, crbug 387965810), but it must stay reachable for as long as
 * the device is used: when it is garbage-collected, the device's event processing uses a freed Dawn
 * instance and the process crashes (see WebGpuHandle). `closeWebGpu()` destroys the device and then
 * drops every reference. A process that never calls `closeWebGpu()` still exits (checked with
 * webgpu 0.6.2), but tests and the CLI should close it.
 *
 * Messages Dawn prints itself:
 * - On lavapipe, Dawn prints two lines, once per process, while it enumerates adapters:
 *   `Warning: maxDynamic{Uniform,Storage}BuffersPerPipelineLayout artificially reduced from
 *   1000000 to 16 to fit dynamic offset allocation limit.` They are harmless (our kernels use no
 *   dynamic offsets). They are written to file descriptor 2 by native code (Dawn's own logging,
 *   before any device exists and so before any logging callback can be installed), so they can't be
 *   filtered from JavaScript (replacing `process.stderr.write`/`console.warn` does not catch them).
 *   The same goes for the Vulkan loader's `Warning: vkCreateInstance: Found no drivers!` when no
 *   driver is installed; that case is reported here as the `reason`.
 * - `error: XDG_RUNTIME_DIR is invalid or not set in the environment.` comes from libwayland-client
 *   (loaded by the Vulkan/EGL stack) when XDG_RUNTIME_DIR is unset, also from native code. It did not
 *   appear on the machine this was written on; .ci/run sets XDG_RUNTIME_DIR to a private temp dir
 *   when it is unset, which is what libwayland wants.
 * - Dawn's default print of uncaptured validation errors (`validation: ...` on stdout) is
 *   suppressed: each uncaptured error is recorded instead and thrown, readably, by `gpu.check()`
 *   (which `read()` in ./buffers.ts calls).
 */
import { existsSync, readdirSync } from 'node:fs';

export interface WebGpu {
  device: GPUDevice;
  adapter: { vendor: string; architecture: string; description: string };
  /** software adapter (lavapipe/SwiftShader) */
  software: boolean;
  /**
   * Throws a WebGpuError when the device was lost or when WebGPU errors were raised outside an
   * error scope (validation, out-of-memory, internal) since the last call; clears the recorded
   * errors. Kernels call it after a read-back (`read()` does so itself).
   */
  check(): void;
  /** Why the device was lost, or null while it is usable (also null after `destroy()`). */
  readonly lost: string | null;
  destroy(): void;
}

/** A WebGPU failure reported by the device (uncaptured error, device lost) or by a WGSL compile. */
export class WebGpuError extends Error {
  override name = 'WebGpuError';
}

type Opened = { gpu: WebGpu } | { gpu: null; reason: string };

/** Limits raised from the WebGPU defaults to what the adapter offers (compute needs only). */
const RAISED_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
] as const;

/** requestAdapter+requestDevice take ~0.1 s on lavapipe (~0.3 s the first time after install); a hang (seen on llvmpipe in other projects) becomes a reason. */
const OPEN_TIMEOUT_MS = 60_000;

let opening: Promise<Opened> | null = null;
let current: WebGpuHandle | null = null;

/** True when SNN_REQUIRE_WEBGPU=1: tests and `--backend webgpu` must fail, not skip, when no adapter exists. */
export function webGpuRequired(): boolean {
  const v = process.env.SNN_REQUIRE_WEBGPU;
  return v === '1' || v === 'true';
}

/**
 * Opens the first adapter, or returns why none exists (null adapter, missing libvulkan, module load
 * failure). Never throws. Caches one device per process; keeps Dawn's object out of globalThis so
 * Node exits (see the reference's lifetime notes).
 */
export function openWebGpu(): Promise<Opened> {
  if (current && current.lost === null) return Promise.resolve({ gpu: current });
  if (!opening) {
    const p = open().catch((e: unknown): Opened => ({ gpu: null, reason: `WebGPU: ${message(e)}` }));
    opening = p;
    // A failure is cached too (it will not change within a process) until closeWebGpu().
    void p.then((r) => {
      if (opening === p && r.gpu) opening = null;
    });
  }
  return opening;
}

/** Closes the cached device (call at process end / after tests). */
export function closeWebGpu(): void {
  opening = null;
  const g = current;
  current = null;
  g?.destroy();
}

class WebGpuHandle implements WebGpu {
  private errors: string[] = [];
  private lostReason: string | null = null;
  private destroyed = false;

  constructor(
    /**
     * Dawn's GPU object (from `create()`). It MUST stay reachable while the device lives: if it is
     * garbage-collected, Dawn frees the instance that the device's event processing still uses and
     * the process crashes (segfault or `futex facility returned an unexpected error code`, seen with
     * webgpu 0.6.2 whenever a GC ran). Held here (module-local), dropped in destroy().
     */
    private instance: GPU | null,
    /** Dawn's GPUAdapter object, kept reachable for the same reason. */
    private gpuAdapter: GPUAdapter | null,
    readonly device: GPUDevice,
    readonly adapter: { vendor: string; architecture: string; description: string },
    readonly software: boolean,
  ) {
    device.addEventListener('uncapturederror', (ev) => {
      const e = (ev as GPUUncapturedErrorEvent).error;
      // preventDefault stops Dawn from printing the error itself; we keep it for check().
      ev.preventDefault();
      if (this.errors.length < 20) this.errors.push(`${errorKind(e)}: ${e.message.trim()}`);
      else if (this.errors.length === 20) this.errors.push('(further errors dropped)');
    });
    void device.lost.then((info) => {
      if (this.destroyed || info.reason === 'destroyed') return;
      this.lostReason = `WebGPU device lost (${info.reason}): ${info.message.trim() || 'no message'}`;
      if (current === this) current = null; // the next openWebGpu() opens a fresh device
    });
  }

  get lost(): string | null {
    return this.lostReason;
  }

  check(): void {
    if (this.destroyed) throw new WebGpuError('WebGPU device used after closeWebGpu()/destroy()');
    const errors = this.errors;
    this.errors = [];
    const parts = [...(this.lostReason ? [this.lostReason] : []), ...errors];
    if (parts.length) throw new WebGpuError(parts.join('\n'));
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (current === this) {
      current = null;
      opening = null;
    }
    this.device.destroy();
    this.instance = null;
    this.gpuAdapter = null;
  }
}

async function open(): Promise<Opened> {
  let mod: { create(flags: string[]): GPU; globals: object };
  try {
    mod = (await import('webgpu')) as typeof mod;
  } catch (e) {
    return { gpu: null, reason: `cannot load the npm package 'webgpu' (Dawn) on ${process.platform}-${process.arch}: ${message(e)}` };
  }
  installGlobals(mod.globals);
  // Module-local only (see the lifetime note above); the handle keeps it alive with the device.
  const instance: GPU = mod.create([]);
  const adapter = await withTimeout(instance.requestAdapter({ powerPreference: 'high-performance' }), 'requestAdapter()');
  if (!adapter) return { gpu: null, reason: noAdapterReason() };
  const requiredLimits: Record<string, number> = {};
  for (const k of RAISED_LIMITS) {
    const v = adapter.limits[k];
    if (typeof v === 'number') requiredLimits[k] = v;
  }
  const device = await withTimeout(adapter.requestDevice({ requiredLimits, label: 'snn' }), 'requestDevice()');
  const info = adapter.info;
  const described = {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    description: info.description || info.device || '',
  };
  const software =
    info.isFallbackAdapter === true ||
    described.architecture === 'software' ||
    /llvmpipe|lavapipe|swiftshader|software/i.test(`${described.description} ${info.device ?? ''}`);
  const g = new WebGpuHandle(instance, adapter, device, described, software);
  current = g;
  return { gpu: g };
}

/** GPUBufferUsage, GPUMapMode, ... as in a browser, so kernels can use them; only fills in names that are missing. */
function installGlobals(globals: object): void {
  const g = globalThis as Record<string, unknown>;
  for (const [k, v] of Object.entries(globals)) if (!(k in g)) g[k] = v;
}

function noAdapterReason(): string {
  const head = "no WebGPU adapter: Dawn's requestAdapter() returned null";
  if (process.platform !== 'linux') return `${head} (no usable GPU driver on ${process.platform})`;
  const fix =
    'install the Vulkan loader and a driver, e.g. on Debian/Ubuntu `apt-get install libvulkan1 mesa-vulkan-drivers` ' +
    '(on Debian bookworm take mesa-vulkan-drivers from bookworm-backports: lavapipe from mesa < 23 is rejected by Dawn)';
  if (!findLibVulkan()) return `${head}; libvulkan.so.1 (the Vulkan loader) was not found: ${fix}`;
  if (!hasVulkanIcd()) return `${head}; no Vulkan driver (ICD json) found: ${fix}`;
  return `${head}; the installed Vulkan drivers offer no device Dawn accepts (Dawn's warnings above say why): ${fix}`;
}

function findLibVulkan(): boolean {
  const dirs = [
    ...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
    `/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`,
    '/usr/lib64',
    '/usr/lib',
    '/lib64',
    '/lib',
    '/usr/local/lib',
  ];
  return dirs.some((d) => existsSync(`${d}/libvulkan.so.1`));
}

function hasVulkanIcd(): boolean {
  const listed = process.env.VK_DRIVER_FILES || process.env.VK_ICD_FILENAMES;
  if (listed) return listed.split(':').some((f) => f !== '' && existsSync(f));
  const dirs = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];
  return dirs.some((d) => {
    try {
      return readdirSync(d).some((f) => f.endsWith('.json'));
    } catch {
      return false;
    }
  });
}

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer in ${OPEN_TIMEOUT_MS / 1000} s`)), OPEN_TIMEOUT_MS);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

function errorKind(e: GPUError): string {
  const n = e?.constructor?.name;
  return n === 'GPUOutOfMemoryError' ? 'WebGPU out of memory' : n === 'GPUInternalError' ? 'WebGPU internal error' : 'WebGPU validation error';
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
