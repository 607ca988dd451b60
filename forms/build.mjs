// Bundles src/app.jsx (React, rjsf, Ajv 2020) with esbuild and inlines it into src/index.html:
// dist/forms.html, one file that works over file://. `noderun forms` embeds that file
// (include_str!) and fills in __NODERUN_DATA__; the tests check that it is current.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';

const result = await build({
  entryPoints: ['src/app.jsx'],
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2022',
  jsx: 'automatic',
  define: { 'process.env.NODE_ENV': '"production"' },
  legalComments: 'none',
  write: false,
  logLevel: 'warning',
});
const bundle = result.outputFiles[0].text.replaceAll('</script', '<\\/script');
const html = readFileSync('src/index.html', 'utf8');
const [before, after] = html.split('__NODERUN_BUNDLE__');
mkdirSync('dist', { recursive: true });
writeFileSync('dist/forms.html', before + bundle + after);
console.log(`dist/forms.html: ${(before.length + bundle.length + after.length) >> 10} KiB`);
