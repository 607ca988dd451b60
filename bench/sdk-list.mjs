// The user's usual alternative to `noderun run directus --resource items --operation list`
// with Return All, for `scripts/bench --lists`: one `readItems(collection, { limit: -1 })` with
// @directus/sdk, then each row written to stdout as an n8n item line, as noderun writes them:
//   {"json": <row>, "pairedItem": {"item": 0}}
// Usage: node sdk-list.mjs URL TOKEN COLLECTION > out.ndjson
// The summary (rows, seconds) goes to stderr.
import { writeSync } from 'node:fs';
import { createDirectus, rest, staticToken, readItems } from '@directus/sdk';

const [url, token, collection] = process.argv.slice(2);
if (!url || !token || !collection) {
  process.stderr.write('usage: node sdk-list.mjs URL TOKEN COLLECTION > out.ndjson\n');
  process.exit(2);
}
const started = process.hrtime.bigint();
const client = createDirectus(url).with(staticToken(token)).with(rest());
const rows = await client.request(readItems(collection, { limit: -1 }));

function write(text) {
  const buf = Buffer.from(text);
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(1, buf, off);
    } catch (e) {
      if (e.code !== 'EAGAIN') throw e;
    }
  }
}
let pending = '';
for (const row of rows) {
  pending += JSON.stringify({ json: row, pairedItem: { item: 0 } }) + '\n';
  if (pending.length >= 65536) {
    write(pending);
    pending = '';
  }
}
write(pending);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
process.stderr.write(`sdk-list: ${rows.length} rows in ${seconds.toFixed(2)}s\n`);
