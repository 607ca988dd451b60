// The user's usual alternative to `noderun run directus --operation refreshToken`, for
// scripts/bench: read NDJSON items with a refresh token each (`{"refresh_token": "..."}` or an
// n8n item `{"json": {"refresh_token": "..."}}`) from stdin, refresh each with @directus/sdk's
// `refresh` command in json mode, at most CONCURRENCY at a time (a small promise pool), and
// write one output line per item, in input order, to stdout:
//   {"json": <the SDK's result>, "pairedItem": {"item": i}}   or
//   {"json": {"error": "<message>"}, "pairedItem": {"item": i}}
// Usage: node sdk-refresh.mjs URL CONCURRENCY < items.ndjson > out.ndjson
// The summary (items, failures, seconds) goes to stderr; exit code 1 if an item failed.
import { createInterface } from 'node:readline';
import { writeSync } from 'node:fs';
import { createDirectus, rest, refresh } from '@directus/sdk';

const [url, concurrencyArg] = process.argv.slice(2);
const concurrency = Number(concurrencyArg);
if (!url || !Number.isInteger(concurrency) || concurrency < 1) {
  process.stderr.write('usage: node sdk-refresh.mjs URL CONCURRENCY < items.ndjson > out.ndjson\n');
  process.exit(2);
}

const client = createDirectus(url).with(rest());
const started = process.hrtime.bigint();

// Output in input order: finished lines wait in `done` until every earlier one is written.
const done = new Map();
let nextOut = 0;
let pending = '';
let failures = 0;
function flush(force) {
  if (pending.length >= 65536 || (force && pending.length > 0)) {
    let buf = Buffer.from(pending);
    let off = 0;
    while (off < buf.length) {
      try {
        off += writeSync(1, buf, off);
      } catch (e) {
        if (e.code !== 'EAGAIN') throw e;
      }
    }
    pending = '';
  }
}
function finish(i, line) {
  done.set(i, line);
  while (done.has(nextOut)) {
    pending += done.get(nextOut) + '\n';
    done.delete(nextOut);
    nextOut++;
  }
  flush(false);
}

async function one(i, text) {
  let line;
  try {
    const parsed = JSON.parse(text);
    const item = parsed && typeof parsed.json === 'object' ? parsed.json : parsed;
    const data = await client.request(refresh({ mode: 'json', refresh_token: item.refresh_token }));
    line = JSON.stringify({ json: data, pairedItem: { item: i } });
  } catch (e) {
    failures++;
    const message = e?.errors?.[0]?.message ?? e?.message ?? String(e);
    line = JSON.stringify({ json: { error: message }, pairedItem: { item: i } });
  }
  finish(i, line);
}

const inFlight = new Set();
let items = 0;
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const text of lines) {
  if (text.trim() === '') continue;
  const p = one(items++, text).then(() => inFlight.delete(p));
  inFlight.add(p);
  if (inFlight.size >= concurrency) await Promise.race(inFlight);
}
await Promise.all(inFlight);
flush(true);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
process.stderr.write(`sdk-refresh: ${items} items, ${failures} failed in ${seconds.toFixed(2)}s\n`);
process.exitCode = failures > 0 ? 1 : 0;
