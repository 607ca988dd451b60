// The n8n community node package inside real n8n (2.40.7): every workflow is imported into a
// scratch n8n user folder and run by n8n's own command line (`n8n execute --id`), once with the
// package (noderun's executor, n8n-nodes-noderun) and once with the description-only variant
// (n8n's own declarative engine, n8n-nodes-noderun-declarative). The run data n8n records is
// asserted exactly; where the engines differ, both expectations are written out.
//
// Run by tests/n8n-package/run (from scripts/test), which provides:
//   N8N_INSTANCE      scripts/n8n-instance
//   PACKAGE_TGZ       the package; DECLARATIVE_TGZ the description-only variant
//   NODERUN_TEST_DIRECTUS_URL, NODERUN_TEST_ADMIN_EMAIL, NODERUN_TEST_ADMIN_PASSWORD
//   N8N_TIMINGS       (optional) file to write per-node times into, as JSON
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { env } from './env.mjs';

const URL_ = env('NODERUN_TEST_DIRECTUS_URL');
const EMAIL = env('NODERUN_TEST_ADMIN_EMAIL');
const PASSWORD = env('NODERUN_TEST_ADMIN_PASSWORD');
const RUN = `${Date.now().toString(36)}`;

const VARIANTS = {
	noderun: { tgz: env('PACKAGE_TGZ'), type: 'n8n-nodes-noderun.directus' },
	n8n: { tgz: env('DECLARATIVE_TGZ'), type: 'n8n-nodes-noderun-declarative.directus' },
};
const timings = {};

// ------------------------------------------------------------------ workflows
const trigger = { id: 't', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} };
const credentials = { directusApi: { id: 'directusTest', name: 'Directus test' } };
let x = 0;
const directus = (type, name, parameters, extra = {}) => ({
	id: name, name, type, typeVersion: 1, position: [(x += 200), 0], parameters, credentials, ...extra,
});
const batch = (suffix, users) => [
	{ id: `set${suffix}`, name: `Users${suffix}`, type: 'n8n-nodes-base.set', typeVersion: 3.4, position: [100, 0],
		parameters: { mode: 'raw', jsonOutput: JSON.stringify({ users }), options: {} } },
	{ id: `split${suffix}`, name: `Split${suffix}`, type: 'n8n-nodes-base.splitOut', typeVersion: 1, position: [150, 0],
		parameters: { fieldToSplitOut: 'users', options: {} } },
];
const noOp = (name) => ({ id: name, name, type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [(x += 200), 0], parameters: {} });
/** Edges from a chain of nodes: each to the next, on main output 0. */
const chain = (...nodes) => nodes.slice(1).map((to, i) => [nodes[i].name, to.name, 0]);
/** A workflow from its nodes and edges ([from, to, output]). */
const workflow = (id, nodes, edges) => {
	const connections = {};
	for (const [from, to, output] of edges) {
		const main = (connections[from] ??= { main: [] }).main;
		while (main.length <= output) main.push([]);
		main[output].push({ node: to, type: 'main', index: 0 });
	}
	return { id, name: id, active: false, nodes, connections, settings: {}, pinData: {} };
};
const login = { resource: 'auth', operation: 'login', email: '={{ $json.email }}', password: '={{ $json.password }}' };
const mixed = [
	{ email: EMAIL, password: PASSWORD },
	{ email: EMAIL, password: 'wrong-password' },
	{ email: 'nobody@example.com', password: 'x' },
];

/** Two workflows: `all` runs four independent chains from one trigger (one n8n start-up for
 * all of them), `stop` a batch that fails without continue-on-fail. */
function workflows(type) {
	x = 0;
	const node = (name, parameters, extra) => directus(type, name, parameters, extra);
	const auth = [
		node('Log In', { resource: 'auth', operation: 'login', email: EMAIL, password: PASSWORD }),
		node('Refresh Token', { resource: 'auth', operation: 'refreshToken', refreshToken: '={{ $json.refresh_token }}' }),
		// $('…') is outside noderun's expression subset: n8n resolves it per item
		node('Log Out', { resource: 'auth', operation: 'logout', refreshToken: "={{ $('Refresh Token').item.json.refresh_token }}" }),
	];
	const continued = [...batch(' A', mixed), node('Log In A', login, { onError: 'continueRegularOutput' })];
	const errorOutput = [...batch(' B', mixed), node('Log In B', login, { onError: 'continueErrorOutput' })];
	const [succeeded, failed] = [noOp('Succeeded'), noOp('Failed')];
	const crud = [
		node('Create', { resource: 'folders', operation: 'create', name: `n8n-${RUN}-${type}` }),
		node('Get', { resource: 'folders', operation: 'get', id: '={{ $json.id }}' }),
		node('Update', { resource: 'folders', operation: 'update', id: '={{ $json.id }}',
			additionalFields: { name: '={{ $json.name + "-renamed" }}' } }),
		node('Delete', { resource: 'folders', operation: 'delete', id: "={{ $('Create').item.json.id }}" }),
		node('Get Deleted', { resource: 'folders', operation: 'get', id: "={{ $('Create').item.json.id }}" },
			{ onError: 'continueRegularOutput' }),
	];
	const stop = [...batch('', mixed), node('Log In', login)];
	return [
		workflow('all', [trigger, ...auth, ...continued, ...errorOutput, succeeded, failed, ...crud], [
			...chain(trigger, ...auth),
			...chain(trigger, ...continued),
			...chain(trigger, ...errorOutput),
			['Log In B', 'Succeeded', 0],
			['Log In B', 'Failed', 1],
			...chain(trigger, ...crud),
		]),
		workflow('stop', [trigger, ...stop], chain(trigger, ...stop)),
	];
}

// ------------------------------------------------------------------ running n8n
const folders = {};

function n8n(folder, args) {
	const r = spawnSync(env('N8N_INSTANCE'), ['n8n', folder, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
	return r;
}

/** Runs a workflow; returns n8n's result (`{data: {resultData: {runData, error?}}, status}`). */
function execute(variant, id) {
	const r = n8n(folders[variant], ['execute', `--id=${id}`, '--rawOutput']);
	// the result is pretty-printed JSON between log lines: from a line "{" to the next "}"
	const lines = r.stdout.split('\n');
	const start = lines.indexOf('{');
	const end = lines.indexOf('}', start);
	if (start < 0 || end < 0) throw new Error(`n8n execute --id=${id} printed no result (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
	const result = JSON.parse(lines.slice(start, end + 1).join('\n'));
	// a crash after the result (a signal, or an exit code that does not match the status) fails too
	assert.equal(r.signal, null, `n8n execute --id=${id} was killed by ${r.signal}:\n${r.stderr}`);
	assert.equal(r.status, result.status === 'success' ? 0 : 1, `n8n execute --id=${id} exit code:\n${r.stderr}`);
	const runData = result.data.resultData.runData;
	for (const [name, runs] of Object.entries(runData)) {
		if (/^(Start|Users|Split|Succeeded|Failed)/.test(name)) continue; // not Directus nodes
		timings[`${id}: ${name}`] = { ...timings[`${id}: ${name}`], [variant]: runs[0].executionTime };
	}
	return result;
}

/** The items of a node's output, tokens and ids replaced by placeholders. */
function out(result, node, output = 0) {
	const run = result.data.resultData.runData[node]?.[0];
	assert.ok(run, `node ${node} did not run`);
	return (run.data?.main?.[output] ?? []).map(scrub);
}

function scrub(item) {
	return JSON.parse(JSON.stringify(item), (k, v) => {
		if (k === 'timestamp') return '<timestamp>';
		if (typeof v !== 'string') return v;
		if (k === 'access_token' || k === 'refresh_token') return '<token>';
		if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(v)) return '<uuid>';
		return v;
	});
}

before(async () => {
	// a static token for the admin, as a Directus user would set one up for n8n
	const token = `n8n-test-${RUN}`;
	const post = (path, body, bearer) => fetch(`${URL_}${path}`, {
		method: path === '/users/me' ? 'PATCH' : 'POST',
		headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
		body: JSON.stringify(body),
	}).then((r) => r.json());
	const { data } = await post('/auth/login', { email: EMAIL, password: PASSWORD });
	await post('/users/me', { token }, data.access_token);
	for (const [variant, { tgz, type }] of Object.entries(VARIANTS)) {
		const folder = mkdtempSync(join(tmpdir(), `noderun-n8n-${variant}-`));
		folders[variant] = folder;
		execFileSync('npm', ['install', tgz, '--prefix', join(folder, '.n8n', 'nodes'), '--omit=peer',
			'--no-audit', '--no-fund', '--loglevel=error'], { stdio: ['ignore', 'ignore', 'inherit'] });
		const creds = join(folder, 'credentials.json');
		writeFileSync(creds, JSON.stringify([{ id: 'directusTest', name: 'Directus test', type: 'directusApi',
			data: { url: URL_, accessToken: token } }]));
		const wfs = join(folder, 'workflows.json');
		writeFileSync(wfs, JSON.stringify(workflows(type)));
		for (const args of [['import:credentials', `--input=${creds}`], ['import:workflow', `--input=${wfs}`]]) {
			const r = n8n(folder, args);
			assert.equal(r.status, 0, `n8n ${args[0]} failed:\n${r.stdout}\n${r.stderr}`);
		}
	}
});

after(() => {
	if (process.env.N8N_TIMINGS) writeFileSync(process.env.N8N_TIMINGS, JSON.stringify(timings, null, 2) + '\n');
	for (const f of Object.values(folders)) rmSync(f, { recursive: true, force: true });
});

// ------------------------------------------------------------------ expectations
const tokens = { json: { expires: 900000, refresh_token: '<token>', access_token: '<token>' } };
const paired = (item, i) => ({ ...item, pairedItem: { item: i } });
const invalid = 'Invalid user credentials. (HTTP 401, INVALID_CREDENTIALS)';
const invalidError = { message: invalid, description: 'Authorization failed - please check your credentials', httpCode: '401', code: 'INVALID_CREDENTIALS' };
const noderunFailed = (i) => ({ json: { error: invalid }, pairedItem: { item: i }, error: invalidError });
// n8n's engine: its headline replaces Directus's message, which stays in the error's context
const headline = 'Authorization failed - please check your credentials';
const n8nFailed = (i) => ({
	json: { error: headline },
	error: {
		cause: { message: 'Request failed with status code 401', name: 'AxiosError' },
		context: { data: { errors: [{ extensions: { code: 'INVALID_CREDENTIALS' }, message: 'Invalid user credentials.' }] } },
		description: 'Request failed with status code 401',
		message: headline,
		name: 'NodeApiError',
		timestamp: '<timestamp>',
	},
	pairedItem: { item: i },
});

const results = {};
/** The `all` workflow runs once per variant; its tests share the result. */
const all = (variant) => {
	results[variant] ??= (() => {
		try {
			return { result: execute(variant, 'all') };
		} catch (error) {
			return { error };
		}
	})();
	if (results[variant].error) throw results[variant].error;
	return results[variant].result;
};

for (const variant of Object.keys(VARIANTS)) {
	const ours = variant === 'noderun';

	test(`${variant}: Log In → Refresh Token → Log Out, expressions between the nodes`, () => {
		const r = all(variant);
		assert.equal(r.status, 'success');
		assert.deepEqual(out(r, 'Log In'), [paired(tokens, 0)]);
		assert.deepEqual(out(r, 'Refresh Token'), [paired(tokens, 0)]);
		// a 204: noderun gives {"success": true}, n8n's engine an empty string as json
		assert.deepEqual(out(r, 'Log Out'), [paired({ json: ours ? { success: true } : '' }, 0)]);
	});

	test(`${variant}: a mixed batch with continue-on-fail (regular output)`, () => {
		const r = all(variant);
		assert.equal(r.status, 'success');
		const items = out(r, 'Log In A');
		const failed = ours ? noderunFailed : n8nFailed;
		assert.deepEqual(items, [paired(tokens, 0), failed(1), failed(2)]);
	});

	test(`${variant}: a mixed batch with the error output`, () => {
		const r = all(variant);
		assert.equal(r.status, 'success');
		// n8n's engine gives no pairedItem on either output with the error output (the next
		// nodes pair their items again)
		const unpaired = ({ pairedItem: _, ...item }) => item;
		const own = ours ? (item) => item : unpaired;
		assert.deepEqual(out(r, 'Log In B', 0), [own(paired(tokens, 0))]);
		assert.deepEqual(out(r, 'Succeeded'), [paired(tokens, 0)]);
		// n8n itself moves the items with `error` from the main output to the error output
		const failed = ours ? noderunFailed : n8nFailed;
		assert.deepEqual(out(r, 'Log In B', 1), [own(failed(1)), own(failed(2))]);
		// downstream, pairedItem points into the error output
		assert.deepEqual(out(r, 'Failed'), [paired(failed(1), 0), paired(failed(2), 1)]);
	});

	test(`${variant}: without continue-on-fail the first failing item stops the workflow`, () => {
		const r = execute(variant, 'stop');
		assert.equal(r.status, 'error');
		const error = r.data.resultData.error;
		assert.equal(error.node?.name ?? r.data.resultData.lastNodeExecuted, 'Log In');
		assert.equal(error.message, ours ? invalid : 'Authorization failed - please check your credentials');
		assert.equal(error.httpCode, '401');
		assert.equal(r.data.resultData.runData['Log In'][0].executionStatus, 'error');
	});

	test(`${variant}: folders create → get → update → delete on a real Directus`, () => {
		const r = all(variant);
		assert.equal(r.status, 'success');
		const name = `n8n-${RUN}-${VARIANTS[variant].type}`;
		const folder = (n) => paired({ json: { id: '<uuid>', name: n, parent: null, type: 'files' } }, 0);
		assert.deepEqual(out(r, 'Create'), [folder(name)]);
		assert.deepEqual(out(r, 'Get'), [folder(name)]);
		assert.deepEqual(out(r, 'Update'), [folder(`${name}-renamed`)]);
		assert.deepEqual(out(r, 'Delete'), [paired({ json: ours ? { success: true } : '' }, 0)]);
		// a folder that no longer exists: Directus answers 403 (it does not tell what exists)
		const forbidden = "You don't have permission to access this.";
		assert.deepEqual(out(r, 'Get Deleted'), [ours
			? { json: { error: `${forbidden} (HTTP 403, FORBIDDEN)` }, pairedItem: { item: 0 }, error: {
				message: `${forbidden} (HTTP 403, FORBIDDEN)`, description: 'Forbidden - perhaps check your credentials?', httpCode: '403', code: 'FORBIDDEN' } }
			: { json: { error: 'Forbidden - perhaps check your credentials?' }, pairedItem: { item: 0 }, error: {
				message: 'Forbidden - perhaps check your credentials?', timestamp: '<timestamp>', name: 'NodeApiError',
				description: 'Request failed with status code 403',
				context: { data: { errors: [{ message: forbidden, extensions: { code: 'FORBIDDEN' } }] } },
				cause: { name: 'AxiosError', message: 'Request failed with status code 403' } } }]);
	});
}
