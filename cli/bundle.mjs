// Bundles the CLI into one file, dist/cli/snn.js (run by `npm run build` after tsc).
// Why: chevrotain's package entry loads lodash-es as hundreds of small ES modules, which costs
// Node about 0.5 s at every start; one bundled file loads in a tenth of that. The library
// (dist/index.js) stays unbundled for TypeScript users.
import { chmodSync } from 'node:fs';
import { build } from 'esbuild';

await build({
  entryPoints: ['cli/snn.ts'],
  outfile: 'dist/cli/snn.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  allowOverwrite: true,
  // h5wasm (4 MB, with its WebAssembly) is loaded only when `snn run` writes results: left out of
  // the bundle, it costs `snn check` nothing at start-up. It is a dependency, so it is installed.
  external: ['h5wasm', 'h5wasm/*', 'webgpu'],
  logLevel: 'warning',
  // CommonJS dependencies (commander) call require(); give the ES module bundle one.
  banner: { js: "import { createRequire as snnCreateRequire } from 'node:module'; const require = snnCreateRequire(import.meta.url);" },
});
// The file is the package's bin: `npx snn` runs it directly.
chmodSync('dist/cli/snn.js', 0o755);
