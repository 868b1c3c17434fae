// Bundles the CLI into one file, dist/cli/snn.js (run by `npm run build` after tsc).
// Why: chevrotain's package entry loads lodash-es as hundreds of small ES modules, which costs
// Node about 0.5 s at every start; one bundled file loads in a tenth of that. The library
// (dist/index.js) stays unbundled for TypeScript users.
import { build } from 'esbuild';

await build({
  entryPoints: ['cli/snn.ts'],
  outfile: 'dist/cli/snn.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  allowOverwrite: true,
  logLevel: 'warning',
  // CommonJS dependencies (commander) call require(); give the ES module bundle one.
  banner: { js: "import { createRequire as snnCreateRequire } from 'node:module'; const require = snnCreateRequire(import.meta.url);" },
});
