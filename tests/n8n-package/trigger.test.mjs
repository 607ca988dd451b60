// The package's Directus Trigger (a polling trigger on noderun's change feed) in a RUNNING n8n,
// the way a user runs it: `n8n n8n-instance n8n FOLDER start` with a workflow imported and
// activated: Directus Trigger (collection A) → Directus Items Create (collection B, the event
// and key as the title). `n8n execute` does not run polling triggers, so n8n runs as a server.
// Activation polls once (the cursor is placed "now" and kept in the workflow's static data),
// then n8n polls every minute. The test writes to A, waits for B; stops n8n, writes while it is
// down, starts it again: the activation poll delivers what was missed, every change once, in
// order. What the workflow did is read back from Directus (B's rows) and from n8n's own
// database (its executions).
//
// Run by tests/n8n-package/run (PACKAGE_TGZ, N8N_INSTANCE, NODERUN_TEST_DIRECTUS_URL, …).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { env, freePort } from './env.mjs';

const URL_ = env('NODERUN_TEST_DIRECTUS_URL');
const RUN = Date.now().toString(36);
const A = `n8n_trig_a_${RUN}`;
const B = `n8n_trig_b_${RUN}`;
let token;
let folder;
let n8n;

async function api(method, path, body) {
	const r = await fetch(`${URL_}${path}`, {
		method,
		headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const text = await r.text();
	assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${text}`);
	return text ? JSON.parse(text) : null;
}

const collection = (name) => api('POST', '/collections', {
	collection: name, schema: {}, meta: {},
	fields: [
		{ field: 'id', type: 'integer', meta: { hidden: true }, schema: { is_primary_key: true, has_auto_increment: true } },
		{ field: 'title', type: 'string' },
	],
});

/** Waits until the admin's permissions list the collection `name`: Directus answers from a schema
 * cache that a concurrent schema change (the other package tests run at the same time) may have
 * filled just before the collection existed; its system cache is cleared until they do. */
async function visible(name) {
	const deadline = Date.now() + 30_000;
	while (!(await api('GET', '/permissions/me')).data[name]) {
		assert.ok(Date.now() < deadline, `${name}: created, but /permissions/me does not list it after 30 s`);
		await api('POST', '/utils/cache/clear?system=true');
		await new Promise((r) => setTimeout(r, 100));
	}
}

function cli(args) {
	const r = spawnSync(env('N8N_INSTANCE'), ['n8n', folder, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
	assert.equal(r.status, 0, `n8n ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`);
	return r.stdout;
}

let port;
let lastLog;
/** What the running n8n logged about scheduling its polls (it runs at debug level), and errors,
 * the last 40 such lines, for a failure's message. */
const logTail = () => {
	try {
		const lines = readFileSync(lastLog, 'utf8').split('\n')
			.filter((l) => /cron|[Pp]oll|[Aa]ctivat|superseded|[Ii]solate|error|warn|Editor is now/.test(l));
		return `n8n's log (its polls and errors) ends with:\n${lines.slice(-40).join('\n')}`;
	} catch {
		return 'no n8n log';
	}
};
/** Starts `n8n start` and waits until it answers and has activated the workflow. */
async function start() {
	const log = join(folder, `n8n-${Date.now()}.log`);
	lastLog = log;
	n8n = spawn(env('N8N_INSTANCE'), ['n8n', folder, 'start'], {
		env: { ...process.env, N8N_PORT: String(port), N8N_LISTEN_ADDRESS: '127.0.0.1', N8N_HOST: '127.0.0.1',
			N8N_RUNNERS_ENABLED: 'false', N8N_SECURE_COOKIE: 'false', DB_SQLITE_POOL_SIZE: '0',
			// its cron ticks and polls show in a failure's message (see tests/n8n-package/run)
			N8N_LOG_LEVEL: 'debug' },
		stdio: ['ignore', openSync(log, 'a'), openSync(log, 'a')],
	});
	const deadline = Date.now() + 240_000;
	while (Date.now() < deadline) {
		const text = spawnSync('cat', [log], { encoding: 'utf8' }).stdout;
		if (/Activated workflow|Workflow "trigger" \(ID: trigger\) activated|Editor is now accessible/.test(text)) {
			// activation (and its first poll) comes with the start-up
			await new Promise((r) => setTimeout(r, 5000));
			return;
		}
		if (n8n.exitCode !== null) throw new Error(`n8n start ended:\n${text}`);
		await new Promise((r) => setTimeout(r, 500));
	}
	throw new Error('n8n did not start within 240 s');
}

async function stop() {
	n8n.kill('SIGTERM');
	await new Promise((r) => n8n.once('exit', r));
}

/** B's titles in id order, once there are `n` (n8n polls every minute). */
async function titles(n) {
	const deadline = Date.now() + 180_000;
	for (;;) {
		const rows = (await api('GET', `/items/${B}?sort=id&fields=title&limit=-1`)).data.map((r) => r.title);
		if (rows.length >= n || Date.now() > deadline) return rows;
		await new Promise((r) => setTimeout(r, 2000));
	}
}

before(async () => {
	const { data } = await api('POST', '/auth/login', {
		email: env('NODERUN_TEST_ADMIN_EMAIL'), password: env('NODERUN_TEST_ADMIN_PASSWORD'),
	});
	token = data.access_token;
	const staticToken = `n8n-trigger-${RUN}`;
	await api('PATCH', '/users/me', { token: staticToken });
	token = staticToken;
	// A gap in the activity log where the trigger places its cursor: Directus deletes a deleted
	// collection's activity rows, and the cursor keeps such ids pending for a while (with the
	// time they were first missed: a number beyond 32 bits, which every poll after the first
	// once failed to read back from n8n's static data).
	const gone = `n8n_trig_gone_${RUN}`;
	await collection(gone);
	await visible(gone);
	await api('POST', `/items/${gone}`, [{ title: 'x' }, { title: 'y' }]);
	await api('DELETE', `/collections/${gone}`);
	await collection(A);
	await collection(B);
	await visible(A);
	await visible(B);
	folder = mkdtempSync(join(tmpdir(), 'noderun-n8n-trigger-'));
	spawnSync('npm', ['install', env('PACKAGE_TGZ'), '--prefix', join(folder, '.n8n', 'nodes'), '--omit=peer',
		'--no-audit', '--no-fund', '--loglevel=error'], { stdio: ['ignore', 'ignore', 'inherit'] });
	const creds = join(folder, 'credentials.json');
	writeFileSync(creds, JSON.stringify([{ id: 'directusTest', name: 'Directus test', type: 'directusApi',
		data: { url: URL_, accessToken: token } }]));
	const credentials = { directusApi: { id: 'directusTest', name: 'Directus test' } };
	const workflow = {
		id: 'trigger', name: 'trigger', active: false, settings: {}, pinData: {},
		nodes: [
			{ id: 'on', name: 'On change', type: 'n8n-nodes-noderun.directusTrigger', typeVersion: 1, position: [0, 0],
				parameters: { pollTimes: { item: [{ mode: 'everyMinute' }] }, collections: A,
					events: ['create', 'update', 'delete'], options: {} }, credentials },
			{ id: 'copy', name: 'Copy', type: 'n8n-nodes-noderun.directus', typeVersion: 1, position: [200, 0],
				parameters: { resource: 'items', operation: 'create', collection: B,
					data: '={"title": "{{ $json.event }} {{ $json.keys[0] }}"}' }, credentials },
		],
		connections: { 'On change': { main: [[{ node: 'Copy', type: 'main', index: 0 }]] } },
	};
	const wf = join(folder, 'workflow.json');
	writeFileSync(wf, JSON.stringify([workflow]));
	cli(['import:credentials', `--input=${creds}`]);
	cli(['import:workflow', `--input=${wf}`]);
	cli(['publish:workflow', '--id=trigger']);
	port = await freePort();
});

after(async () => {
	if (n8n && n8n.exitCode === null) await stop();
	for (const c of [A, B]) await api('DELETE', `/collections/${c}`).catch(() => {});
	if (folder) rmSync(folder, { recursive: true, force: true });
});

test('Directus Trigger in a running n8n: changes while it runs and while it was down, each once, in order', async () => {
	await start();
	await api('POST', `/items/${A}`, [{ title: 'one' }, { title: 'two' }]);
	assert.deepEqual(await titles(2), ['create 1', 'create 2'], logTail());
	await stop();
	// while n8n is down
	await api('POST', `/items/${A}`, { title: 'three' });
	await api('PATCH', `/items/${A}/1`, { title: 'uno' });
	await api('DELETE', `/items/${A}/2`);
	await start();
	assert.deepEqual(await titles(5), ['create 1', 'create 2', 'create 3', 'update 1', 'delete 2'], logTail());
	// nothing more comes (no change delivered twice)
	await new Promise((r) => setTimeout(r, 65_000));
	assert.deepEqual(await titles(6), ['create 1', 'create 2', 'create 3', 'update 1', 'delete 2'], logTail());
});
