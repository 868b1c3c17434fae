import { expect } from 'chai';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { closeWebGpu, openWebGpu, webGpuRequired, WebGpuError, type WebGpu } from './device.js';
import { dispatch, emptyBuffer, pipeline, read, storageBuffer, write } from './buffers.js';

const AXPB = /* wgsl */ `
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read> ab: array<f32>;

@compute @workgroup_size(64)
fn axpb(@builtin(global_invocation_id) id: vec3u) {
  let i = id.x;
  if (i >= arrayLength(&x)) { return; }
  y[i] = ab[0] * x[i] + ab[1];
}
`;

// One thread per row sums its row left to right, so the float32 result is deterministic.
const ROWSUM = /* wgsl */ `
@group(0) @binding(0) var<storage, read> m: array<f32>;
@group(0) @binding(1) var<storage, read_write> sums: array<f32>;
@group(0) @binding(2) var<storage, read> dims: array<u32>;

@compute @workgroup_size(32)
fn rowsum(@builtin(global_invocation_id) id: vec3u) {
  let rows = dims[0];
  let cols = dims[1];
  let r = id.x;
  if (r >= rows) { return; }
  var s = 0.0;
  for (var c = 0u; c < cols; c++) { s += m[r * cols + c]; }
  sums[r] = s;
}
`;

/** Deterministic pseudo-random float32 values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

describe('webgpu device layer', function () {
  let gpu: WebGpu;

  before(async function () {
    const t0 = performance.now();
    const opened = await openWebGpu();
    if (!opened.gpu) {
      if (webGpuRequired()) throw new Error(`SNN_REQUIRE_WEBGPU=1 but no WebGPU device: ${opened.reason}`);
      console.log(`    (skipping WebGPU tests: ${opened.reason})`);
      this.skip();
    }
    gpu = opened.gpu;
    const { vendor, architecture, description } = gpu.adapter;
    console.log(
      `    WebGPU adapter: ${vendor} / ${architecture} / ${description}${gpu.software ? ' (software)' : ''}, ` +
        `opened in ${(performance.now() - t0).toFixed(0)} ms`,
    );
  });

  after(() => closeWebGpu());

  it('caches one device per process', async () => {
    const again = await openWebGpu();
    expect(again.gpu).to.equal(gpu);
    expect(gpu.lost).to.equal(null);
  });

  it('computes y = a*x + b exactly as float32 on the CPU', async () => {
    const n = 1000; // not a multiple of the workgroup size
    const x = values(n, 1);
    const a = Math.fround(0.75);
    const b = Math.fround(-0.125);
    const xs = storageBuffer(gpu, x, 'x');
    const ys = emptyBuffer(gpu, n * 4, 'y');
    const ab = storageBuffer(gpu, new Float32Array([a, b]), 'ab');
    const p = await pipeline(gpu, AXPB, 'axpb');
    expect(await pipeline(gpu, AXPB, 'axpb')).to.equal(p); // cached
    dispatch(gpu, p, [xs, ys, ab], [Math.ceil(n / 64)]);
    const y = await read(gpu, ys, Float32Array);
    const want = Float32Array.from(x, (v) => Math.fround(Math.fround(a * v) + b));
    expect(Array.from(y)).to.deep.equal(Array.from(want));

    // write() then re-dispatch with new coefficients, reading back a sub-range
    write(gpu, ab, new Float32Array([2, 1]));
    dispatch(gpu, p, [xs, ys, ab], [Math.ceil(n / 64)]);
    const part = await read(gpu, ys, Float32Array, { byteOffset: 40, length: 5 });
    expect(Array.from(part)).to.deep.equal(Array.from(x.subarray(10, 15), (v) => Math.fround(Math.fround(2 * v) + 1)));
    for (const buf of [xs, ys, ab]) buf.destroy();
  });

  it('reduces rows exactly as a float32 left-to-right sum on the CPU', async () => {
    const rows = 70;
    const cols = 33;
    const m = values(rows * cols, 7);
    const ms = storageBuffer(gpu, m);
    const sums = emptyBuffer(gpu, rows * 4);
    const dims = storageBuffer(gpu, new Uint32Array([rows, cols]));
    const enc = gpu.device.createCommandEncoder();
    dispatch(gpu, await pipeline(gpu, ROWSUM, 'rowsum'), [ms, sums, dims], [Math.ceil(rows / 32)], enc);
    gpu.device.queue.submit([enc.finish()]);
    const got = await read(gpu, sums, Float32Array);
    const want = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let c = 0; c < cols; c++) s = Math.fround(s + m[r * cols + c]!);
      want[r] = s;
    }
    expect(Array.from(got)).to.deep.equal(Array.from(want));
    expect(Array.from(await read(gpu, dims, Uint32Array))).to.deep.equal([rows, cols]);
    expect(Array.from(await read(gpu, storageBuffer(gpu, new Int32Array([-3, 4])), Int32Array))).to.deep.equal([-3, 4]);
  });

  it('turns a WGSL syntax error into an Error naming the line', async () => {
    const bad = AXPB.replace('y[i] = ab[0] * x[i] + ab[1];', 'y[i] = ab[0] * x[i] + ;');
    const line = bad.split('\n').findIndex((l) => l.includes('+ ;')) + 1;
    let err: unknown;
    try {
      await pipeline(gpu, bad, 'axpb');
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(WebGpuError);
    expect((err as Error).message).to.contain(`line ${line}:`);
    expect((err as Error).message).to.contain('+ ;');
    gpu.check(); // the compile error did not leak into the device's uncaptured errors
  });

  it('reports a missing entry point', async () => {
    let err: unknown;
    try {
      await pipeline(gpu, AXPB, 'nope');
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(WebGpuError);
    expect((err as Error).message).to.match(/nope/);
    gpu.check();
  });

  it('throws a readable error for a binding that does not match the shader', async () => {
    const p = await pipeline(gpu, AXPB, 'axpb');
    const xs = storageBuffer(gpu, new Float32Array(4));
    const ys = emptyBuffer(gpu, 16);
    dispatch(gpu, p, [xs, ys], [1]); // binding 2 missing: recorded by the device
    let err: unknown;
    try {
      await read(gpu, ys, Float32Array);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(WebGpuError);
    expect((err as Error).message).to.match(/validation error/i);
    gpu.check(); // cleared once reported
  });

  it('survives garbage collection (Dawn\'s instance object stays reachable)', async () => {
    // Regression: when the object from Dawn's create() was collected, the next event processing
    // used the freed instance and crashed the process (segfault / futex abort).
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const p = await pipeline(gpu, AXPB, 'axpb');
    const xs = storageBuffer(gpu, new Float32Array([1, 2, 3]));
    const ys = emptyBuffer(gpu, 12);
    const ab = storageBuffer(gpu, new Float32Array([3, 1]));
    for (let i = 0; i < 5; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 5));
      dispatch(gpu, p, [xs, ys, ab], [1]);
      expect(Array.from(await read(gpu, ys, Float32Array))).to.deep.equal([4, 7, 10]);
    }
  });

  it('refuses buffers over maxStorageBufferBindingSize', () => {
    const max = gpu.device.limits.maxStorageBufferBindingSize;
    expect(() => emptyBuffer(gpu, max + 4, 'huge')).to.throw(WebGpuError, /maxStorageBufferBindingSize/);
  });
});
