/**
 * Files every backend and reader writes or reads the same way: text written atomically (a
 * temporary name, then a rename, so nobody sees half a file), and HDF5 through h5wasm (loaded
 * once, files written atomically, a signature check before opening one).
 */
import { closeSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { File as H5File } from 'h5wasm';

export type H5Module = typeof import('h5wasm/node').default;

/** h5wasm, ready to use. */
export async function h5wasm(): Promise<H5Module> {
  const { default: m } = await import('h5wasm/node');
  await m.ready;
  return m;
}

/** Writes `data` to `path` through a temporary file and a rename; the folder is created. */
export function writeAtomically(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path) || '.', { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Writes an HDF5 file with `fill`, under a temporary name renamed into place when it is complete. */
export async function writeHdf5Atomically(path: string, fill: (f: H5File) => void): Promise<void> {
  const m = await h5wasm();
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    const f = new m.File(tmp, 'w');
    fill(f);
    f.close();
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * HDF5's signature sits at byte 0, 512, 1024, 2048, … (HDF5 file format spec, superblock).
 * Check it before opening a file: h5wasm prints HDF5's error stack for files that are not HDF5.
 */
export function isHdf5(path: string): boolean {
  const sig = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
  const size = statSync(path).size;
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(8);
    for (let at = 0; at + 8 <= size; at = at === 0 ? 512 : at * 2) {
      if (readSync(fd, buf, 0, 8, at) === 8 && buf.equals(sig)) return true;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}
