// Drives a trigger's `noderun forms` page (one form of its parameters) in headless Chromium the
// way a user fills it, and prints what the page shows after each step, one JSON line per step:
// {step, shown, formData, errors, workflowNode, command, commandShown}.
// crates/cli/tests/standalone/forms_browser.rs asserts every line exactly (the Directus Trigger's page).
//
// usage: node test/trigger.mjs PAGE.html
// env:   NODERUN_CHROMIUM (default /usr/bin/chromium-headless-shell)
import { chromium } from 'playwright-core';
import { pathToFileURL } from 'node:url';

const [pagePath] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.NODERUN_CHROMIUM ?? '/usr/bin/chromium-headless-shell',
});
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(pathToFileURL(pagePath).href);
  await page.waitForFunction(() => window.noderunForms !== undefined);
  const report = async (step) => {
    const current = await page.evaluate(
      () => new Promise((resolve) => requestAnimationFrame(() => resolve(window.noderunForms.current()))),
    );
    const shown = await page.evaluate(() =>
      [...document.querySelectorAll('[id^="root_"]')]
        .filter((e) => ['INPUT', 'SELECT', 'TEXTAREA'].includes(e.tagName))
        .map((e) => `${e.id} ${e.tagName.toLowerCase()}${e.multiple ? ' multiple' : ''}`),
    );
    const commandShown = await page.textContent('#command');
    process.stdout.write(`${JSON.stringify({ step, shown, ...current, commandShown })}\n`);
  };
  await report('opened');
  await page.fill('#root_collections', 'articles, directus_users');
  await report('collections');
  await page.selectOption('#root_events', [{ label: 'Create' }, { label: 'Update' }]);
  await report('events');
  await page.fill('#root_options_fields', 'id,title,author.name');
  await page.fill('#root_options_filter', '{"status": {"_eq": "published"}}');
  await report('options');
  await page.fill('#root_options_filter', '{"status": "draft",}');
  await report('bad filter');
  await page.fill('#root_options_filter', "{\"title\": {\"_contains\": \"it's\"}}");
  await page.selectOption('#root_events', []);
  await report('no events');
  await page.fill('#root_collections', '');
  await report('no collections');
  if (pageErrors.length > 0) throw new Error(`errors in the page: ${pageErrors.join('; ')}`);
} finally {
  await browser.close();
}
