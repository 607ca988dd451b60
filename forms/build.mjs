// Bundles src/app.jsx (React, rjsf, Ajv 2020, and build/planner.wasm: noderun's planner compiled
// to WebAssembly by scripts/forms-wasm, inlined as base64) with esbuild and inlines it into
// src/index.html: dist/forms.html, one file that works over file://. `noderun forms` embeds that
// file (include_str!) and fills in __NODERUN_DATA__; the tests check that it is current.
//
// usage: node build.mjs [OUT]       (default dist/forms.html)
import { build } from 'esbuild';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] ?? `${here}/dist/forms.html`);

if (!existsSync(`${here}/build/planner.wasm`)) {
  console.error('forms/build/planner.wasm is missing: run scripts/forms-wasm first');
  process.exit(1);
}
const result = await build({
  entryPoints: [`${here}/src/app.jsx`],
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2022',
  jsx: 'automatic',
  loader: { '.wasm': 'binary' },
  define: { 'process.env.NODE_ENV': '"production"' },
  legalComments: 'none',
  write: false,
  logLevel: 'warning',
});
const bundle = result.outputFiles[0].text.replaceAll('</script', '<\\/script');
const html = readFileSync(`${here}/src/index.html`, 'utf8');
const [before, after] = html.split('__NODERUN_BUNDLE__');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, before + bundle + after);
console.log(`${process.argv[2] ?? 'dist/forms.html'}: ${(before.length + bundle.length + after.length) >> 10} KiB`);
