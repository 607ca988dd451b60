// n8n's expression language, n8n's run as the reference: a workflow (Manual Trigger, Code, Edit
// Fields and three Directus nodes whose parameters use $('Node').item, $input.all(), $json,
// template literals, arrow functions, Luxon dates and extension methods) is imported into a real
// n8n (2.40.7) with the noderun package, run by n8n (`n8n execute`), and exported back as a whole
// (`n8n export:workflow`). Then each Directus node is run from the shell, as a user would:
//
//   noderun run --workflow exported.json --node NAME --credentials FILE \
//       --node-output 'Code=code.ndjson' ... < the items n8n gave the node as input
//
// and must output exactly the items n8n's run recorded for it. The package lets n8n resolve the
// expressions (n8n's own evaluator); noderun's shell run resolves them itself: equal outputs mean
// equal expression results, item by item.
//
// Run by tests/n8n-package/run (from scripts/test), which provides N8N_INSTANCE, PACKAGE_TGZ and
// NODERUN_TEST_DIRECTUS_URL, NODERUN_TEST_ADMIN_EMAIL, NODERUN_TEST_ADMIN_PASSWORD. The noderun
// binary is NODERUN_BIN (default: target/debug/noderun, which scripts/test builds).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { env } from './env.mjs';

const URL_ = env('NODERUN_TEST_DIRECTUS_URL');
const EMAIL = env('NODERUN_TEST_ADMIN_EMAIL');
const PASSWORD = env('NODERUN_TEST_ADMIN_PASSWORD');
const NODERUN = resolve(process.env.NODERUN_BIN ?? 'target/debug/noderun');
const RUN = Date.now().toString(36);
const COLLECTION = `nr_expr_${RUN}`;
const TYPE = 'n8n-nodes-noderun.directus';

const credentials = { directusApi: { id: 'directusExpr', name: 'Directus expressions' } };
const node = (name, type, typeVersion, parameters, x) => ({ id: name, name, type, typeVersion, position: [x, 0], parameters });
const directus = (name, parameters, x) => ({ ...node(name, TYPE, 1, parameters, x), credentials });

// The Code node's items, each paired with the trigger's item.
const code = `return [
  { json: { slug: 'first post', tags: ['news', 'tech'], price: 12.5, published: '2024-03-05T10:20:30.000Z' } },
  { json: { slug: 'second post', tags: [], price: 0, published: '2023-12-31T23:59:59.000Z' } },
  { json: { slug: 'third one', tags: ['misc', 'news', 'x'], price: 7, published: '2024-07-01T00:00:00.000Z' } },
].map((item) => ({ ...item, pairedItem: { item: 0 } }));`;

const assignment = (name, value, type) => ({ id: name, name, value, type });
const WORKFLOW = {
	name: 'noderun expressions',
	nodes: [
		node('Start', 'n8n-nodes-base.manualTrigger', 1, {}, 0),
		node('Code', 'n8n-nodes-base.code', 2, { jsCode: code }, 200),
		node('Edit Fields', 'n8n-nodes-base.set', 3.4, {
			assignments: { assignments: [
				assignment('title', '={{ $json.slug.toTitleCase() }} #{{ $itemIndex + 1 }}', 'string'),
				assignment('rank', '={{ $json.tags.length * 10 + Math.round($json.price) }}', 'number'),
				assignment('day', "={{ DateTime.fromISO($json.published).setZone('UTC').plus({ days: 1 }).toFormat('yyyy-MM-dd') }}", 'string'),
				assignment('tagged', '={{ $json.tags.isNotEmpty() }}', 'boolean'),
			] },
			options: {},
		}, 400),
		directus('Upsert', {
			resource: 'items', operation: 'upsert', collection: COLLECTION,
			filters: { filter: '={{ JSON.stringify({ title: { _eq: $json.title } }) }}' },
			data: "={{ JSON.stringify({ title: $json.title, rank: $json.rank + $('Code').item.json.tags.length, sort: $itemIndex }) }}",
		}, 600),
		directus('Get', {
			resource: 'items', operation: 'get', collection: COLLECTION,
			id: '={{ $json.id }}',
		}, 800),
		directus('Update', {
			resource: 'items', operation: 'update', collection: COLLECTION,
			id: "={{ $('Upsert').item.json.id }}",
			data: "={{ JSON.stringify({ rank: $input.all().map(i => i.json.rank).sum() * 100 + ($('Edit Fields').item.json.tagged ? $('Code').item.json.tags.map(t => t.length).sum() : -1) + ($('Edit Fields').item.json.day.startsWith('2024') ? 1 : 0) }) }}",
		}, 1000),
	],
	connections: Object.fromEntries(
		[['Start', 'Code'], ['Code', 'Edit Fields'], ['Edit Fields', 'Upsert'], ['Upsert', 'Get'], ['Get', 'Update']]
			.map(([from, to]) => [from, { main: [[{ node: to, type: 'main', index: 0 }]] }]),
	),
	settings: { timezone: 'Europe/Berlin' },
	active: false,
	id: 'expressions',
};

let folder;
let token;
let scratch;
let exported;
let runData;

const n8n = (args) => spawnSync(env('N8N_INSTANCE'), ['n8n', folder, ...args], {
	encoding: 'utf8', maxBuffer: 64 << 20,
});
const admin = async (method, path, body) => {
	const r = await fetch(`${URL_}${path}`, {
		method,
		headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	assert.ok(r.ok, `${method} ${path}: ${r.status} ${await r.text()}`);
};

before(async () => {
	const login = await fetch(`${URL_}/auth/login`, {
		method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
	}).then((r) => r.json());
	token = `n8n-expr-${RUN}`;
	await fetch(`${URL_}/users/me`, {
		method: 'PATCH', headers: { 'content-type': 'application/json', authorization: `Bearer ${login.data.access_token}` },
		body: JSON.stringify({ token }),
	});
	await admin('POST', '/collections', {
		collection: COLLECTION, schema: {}, meta: { sort_field: 'sort' },
		fields: [
			{ field: 'id', type: 'integer', schema: { is_primary_key: true, has_auto_increment: true } },
			{ field: 'title', type: 'string' }, { field: 'rank', type: 'integer' }, { field: 'sort', type: 'integer' },
		],
	});
	folder = mkdtempSync(join(tmpdir(), 'noderun-n8n-expressions-'));
	scratch = mkdtempSync(join(tmpdir(), 'noderun-expressions-'));
	execFileSync('npm', ['install', env('PACKAGE_TGZ'), '--prefix', join(folder, '.n8n', 'nodes'), '--omit=peer',
		'--no-audit', '--no-fund', '--loglevel=error'], { stdio: ['ignore', 'ignore', 'inherit'] });
	writeFileSync(join(scratch, 'n8n-credentials.json'), JSON.stringify([{ id: 'directusExpr', name: 'Directus expressions',
		type: 'directusApi', data: { url: URL_, accessToken: token } }]));
	writeFileSync(join(scratch, 'credentials.json'), JSON.stringify({ url: URL_, accessToken: token }));
	writeFileSync(join(scratch, 'workflow.json'), JSON.stringify([WORKFLOW]));
	for (const args of [['import:credentials', `--input=${join(scratch, 'n8n-credentials.json')}`],
		['import:workflow', `--input=${join(scratch, 'workflow.json')}`]]) {
		const r = n8n(args);
		assert.equal(r.status, 0, `n8n ${args[0]} failed:\n${r.stdout}\n${r.stderr}`);
	}
	// n8n's run: the reference.
	const r = n8n(['execute', '--id=expressions', '--rawOutput']);
	const lines = r.stdout.split('\n');
	const start = lines.indexOf('{');
	const end = lines.indexOf('}', start);
	assert.ok(start >= 0 && end >= 0, `n8n execute printed no result (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
	const result = JSON.parse(lines.slice(start, end + 1).join('\n'));
	assert.equal(result.status, 'success', JSON.stringify(result.data.resultData.error));
	runData = result.data.resultData.runData;
	// The workflow as n8n exports it, whole.
	exported = join(scratch, 'exported.json');
	const x = n8n(['export:workflow', '--id=expressions', `--output=${exported}`]);
	assert.equal(x.status, 0, `n8n export:workflow failed:\n${x.stdout}\n${x.stderr}`);
});

after(async () => {
	if (token) await admin('DELETE', `/collections/${COLLECTION}`).catch(() => {});
	for (const f of [folder, scratch]) if (f) rmSync(f, { recursive: true, force: true });
});

/** The items a node output in n8n's run. */
const output = (name) => {
	const run = runData[name]?.[0];
	assert.ok(run, `n8n did not run ${name}`);
	return run.data.main[0];
};
const ndjson = (items) => items.map((i) => JSON.stringify(i)).join('\n') + '\n';

/** `noderun run --workflow exported.json --node NAME` with the input n8n gave NAME. */
function noderun(name, input, nodeOutputs) {
	const args = ['run', '--workflow', exported, '--node', name, '--credentials', join(scratch, 'credentials.json'), '-q'];
	for (const other of nodeOutputs) {
		const file = join(scratch, `${other}.ndjson`);
		writeFileSync(file, ndjson(output(other)));
		args.push('--node-output', `${other}=${file}`);
	}
	const r = spawnSync(NODERUN, args, { input: ndjson(input), encoding: 'utf8' });
	assert.equal(r.status, 0, `noderun ${name} (exit ${r.status}):\n${r.stderr}`);
	return r.stdout.trim().split('\n').map((l) => JSON.parse(l));
}

// Each run's items are printed as diagnostics (the README's walk-through shows them).
const shown = (t, items) => {
	for (const i of items) t.diagnostic(JSON.stringify(i));
	return items;
};

test('the exported workflow is n8n\'s, whole', (t) => {
	for (const i of output('Edit Fields')) t.diagnostic(`Edit Fields: ${JSON.stringify(i)}`);
	const wf = JSON.parse(readFileSync(exported, 'utf8'));
	const names = (Array.isArray(wf) ? wf[0] : wf).nodes.map((n) => n.name);
	assert.deepEqual(names, ['Start', 'Code', 'Edit Fields', 'Upsert', 'Get', 'Update']);
});

// Each Directus node from the shell, in the workflow's order (each run leaves Directus as n8n's
// did at that point: the upsert finds the items n8n made, the update sets the same ranks).
test('Upsert from the shell gives what n8n gave ($json, $(\'Code\').item, JSON.stringify)', (t) => {
	const n8nOut = output('Upsert');
	assert.equal(n8nOut.length, 3);
	assert.deepEqual(shown(t, noderun('Upsert', output('Edit Fields'), ['Code'])), n8nOut);
});

test('Get from the shell gives what n8n gave ($json.id of the items before)', (t) => {
	assert.deepEqual(shown(t, noderun('Get', output('Upsert'), [])), output('Get'));
});

test('Update from the shell gives what n8n gave ($input.all(), $(\'Upsert\'/\'Edit Fields\'/\'Code\').item, extension methods)', (t) => {
	const n8nOut = output('Update');
	assert.equal(n8nOut.length, 3);
	assert.deepEqual(shown(t, noderun('Update', output('Get'), ['Upsert', 'Edit Fields', 'Code'])), n8nOut);
});
