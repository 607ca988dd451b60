// Drives a `noderun forms` page in headless Chromium (Debian's chromium-headless-shell through
// playwright-core) the way a user would: for every operation and every switch state (the JSON/RAW
// toggle and other switches) it sets the switches and fills the fields with real keystrokes,
// then reads what the page shows; JSON fields get text fitting their schema, and in the states
// that show one, the first also gets text that is not JSON. Prints one JSON case per line; crates/cli/tests/standalone/forms_browser.rs
// checks each case against `noderun run --dry-run` and noderun's own displayOptions resolution.
//
// usage: node test/browser.mjs PAGE.html [SCREENSHOT.png]
// env:   NODERUN_CHROMIUM (default /usr/bin/chromium-headless-shell), NODERUN_BROWSER_PAGES
//        (pages driven at once; default: the cores, 2 to 4)
import { chromium } from 'playwright-core';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';

const [pagePath, screenshot] = process.argv.slice(2);
// JSON text for a JSON field, by what its schema lets it hold: a sample, and one with a
// trailing comma (not JSON).
const jsonText = (fragment, bad) => {
  const types = [].concat(fragment?.type ?? 'object');
  if (!types.includes('object') && types.includes('array')) return bad ? '[1,]' : '[1]';
  const key = fragment?.propertyNames?.enum?.[0] ?? 'a';
  return `{"${key}": 1${bad ? ',' : ''}}`;
};
const browser = await chromium.launch({
  executablePath: process.env.NODERUN_CHROMIUM ?? '/usr/bin/chromium-headless-shell',
});
// The operations are shared out among several pages of the one browser, driven at once: a page
// spends most of its time waiting for its next frame.
const pageCount = Number(process.env.NODERUN_BROWSER_PAGES ?? Math.min(4, Math.max(2, availableParallelism())));
try {
  const pageErrors = [];
  const openPage = async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(pathToFileURL(pagePath).href);
    await page.waitForFunction(() => window.noderunForms !== undefined);
    return page;
  };
  const first = await openPage();
  const data = await first.evaluate(() => window.noderunForms.data);
  const properties = data.node.properties;
  const topNames = [...new Set(properties.map((p) => p.name))];

  // What a user does on `page`.
  const actions = (page) => {
    const current = () =>
      page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => resolve(window.noderunForms.current()))));
    const select = async (op) => {
      await page.evaluate(([r, o]) => window.noderunForms.select(r, o), [op.resource, op.operation]);
      await page.waitForFunction((key) => window.noderunForms.current().key === key, `${op.resource}/${op.operation}`);
    };
    const setSwitch = async (p, value) => {
      const id = `#root_${p.name}`;
      if (p.type === 'boolean') {
        if ((await page.isChecked(id)) !== value) await page.click(id);
      } else {
        await page.selectOption(id, { label: p.options.find((c) => c.value === value).name });
      }
    };
    // Fills one field like a user (`fragment`: its schema); false when the driver leaves it.
    const fill = async (p, id, fragment) => {
      switch (p.type) {
        case 'string':
          await page.fill(id, `${p.name}-value`);
          return true;
        case 'number':
          await page.fill(id, String(p.typeOptions?.minValue ?? 1));
          return true;
        case 'json':
          await page.fill(id, jsonText(fragment, false));
          return true;
        case 'boolean':
          if (!(await page.isChecked(id))) await page.click(id);
          return true;
        case 'options': {
          const last = p.options[p.options.length - 1];
          await page.selectOption(id, { label: last.name });
          return true;
        }
        default:
          return false;
      }
    };
    const shownFields = () =>
      page.evaluate((names) => names.filter((n) => document.getElementById(`root_${n}`) !== null), topNames);
    const secretInputs = (shown) =>
      page.evaluate((secrets) => secrets.map((id) => ({ id, type: document.getElementById(id)?.type ?? null })), shown);
    return { current, select, setSwitch, fill, shownFields, secretInputs };
  };

  const emit = (c) => process.stdout.write(`${JSON.stringify(c)}\n`);
  let cases = 0;
  const drive = async (page, operations) => {
    const { current, select, setSwitch, fill, shownFields, secretInputs } = actions(page);
    for (const op of operations) {
      const fields = Object.assign({}, ...(op.schema.allOf ?? []).map((b) => b.then?.properties ?? {}), op.schema.properties);
      for (const state of op.states) {
        for (const mode of ['required', 'all']) {
          await select(op);
          const switches = Object.keys(state.values).filter((k) => k !== 'resource' && k !== 'operation');
          for (const k of switches) {
            // A switch another one hides keeps its value in the state; a form cannot set it.
            const p = state.visible.map((i) => properties[i]).find((q) => q.name === k);
            if (p) await setSwitch(p, state.values[k]);
          }
          const visible = state.visible.map((i) => properties[i]).filter((p) => p.type !== 'notice');
          const secrets = [];
          let firstJson = null;
          for (const p of visible) {
            if (p.name === 'resource' || p.name === 'operation' || switches.includes(p.name)) continue;
            const id = `#root_${p.name}`;
            if (p.typeOptions?.password) secrets.push(`root_${p.name}`);
            if (p.type === 'json' && firstJson === null) firstJson = p.name;
            if (p.type === 'collection' && !p.typeOptions?.multipleValues) {
              for (const sub of p.options ?? []) {
                if (sub.typeOptions?.password) secrets.push(`root_${p.name}_${sub.name}`);
                if (mode === 'all' || sub.required) {
                  await fill(sub, `#root_${p.name}_${sub.name}`, fields[p.name]?.properties?.[sub.name]);
                }
              }
            } else if (mode === 'all' || p.required) {
              await fill(p, id, fields[p.name]);
            }
          }
          const shown = await shownFields();
          const page_ = await current();
          emit({ resource: op.resource, operation: op.operation, state: state.values, mode, shown,
            secrets: await secretInputs(secrets), ...page_ });
          cases += 1;
          if (mode === 'required' && firstJson !== null) {
            await page.fill(`#root_${firstJson}`, jsonText(fields[firstJson], true));
            emit({ resource: op.resource, operation: op.operation, state: state.values, mode: 'bad-json',
              field: firstJson, shown, secrets: [], ...(await current()) });
            cases += 1;
          }
        }
      }
    }
  };
  const shares = Array.from({ length: pageCount }, (_, i) => data.operations.filter((_, j) => j % pageCount === i));
  await Promise.all(shares.map(async (operations, i) => drive(i === 0 ? first : await openPage(), operations)));
  if (screenshot) {
    const page = first;
    const { select, current } = actions(page);
    const op = data.operations.find((o) => o.resource === 'auth' && o.operation === 'login') ?? data.operations[0];
    await select(op);
    await page.fill('#root_email', 'admin@example.com').catch(() => {});
    await page.fill('#root_password', 'secret').catch(() => {});
    await current();
    await page.screenshot({ path: screenshot, fullPage: true });
  }
  if (pageErrors.length > 0) throw new Error(`errors in the page: ${pageErrors.join('; ')}`);
  process.stderr.write(`browser: ${cases} cases\n`);
} finally {
  await browser.close();
}
