/** Locating files that ship with the package (stdlib), from source (tsx) or from dist/. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The package root: the nearest folder above this module that has package.json and stdlib/. */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'stdlib'))) return (root = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot locate the snn package root (package.json next to stdlib/)');
    dir = up;
  }
}

export function stdlibDir(): string {
  return join(packageRoot(), 'stdlib');
}
