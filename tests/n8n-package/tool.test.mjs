// The package's Directus node as an AI tool inside real n8n (2.40.7). n8n derives a tool node,
// `n8n-nodes-noderun.directusTool` ("Directus Tool"), from every node marked `usableAsTool`;
// the parameters an agent fills are `$fromAI(…)` expressions. One workflow, run by n8n's own
// command line (`n8n execute --id`), calls the tools in both ways n8n has:
//
// - the AI Agent (its tools agent, node version 3.1) with n8n's OpenAI Chat Model node pointed
//   at a scripted model served here (an OpenAI-compatible /v1/chat/completions on 127.0.0.1):
//   the model asks for a create, reads the created item's id from the tool's answer, asks for a
//   get with it, then for a create with a bad value, then answers. The agent hands each call to
//   n8n's engine, which runs the tool node with the call's arguments (the production path);
//   the test asserts the tools n8n offered the model and the exact tool results it got back;
// - n8n's Tool Executor (`@n8n/n8n-nodes-langchain.toolExecutor`, the node n8n runs a tool
//   with when no agent is involved), which builds the LangChain tool from the node
//   (createNodeAsTool: the schema from the `$fromAI` calls) and invokes it.
//
// Both write to a collection created for the run in the real Directus, checked afterwards over
// REST; no secret (the Directus token, the model's API key) appears in anything n8n printed, in
// its run data, or in what the model received.
//
// Run by tests/n8n-package/run: N8N_INSTANCE, PACKAGE_TGZ, NODERUN_TEST_DIRECTUS_URL,
// NODERUN_TEST_ADMIN_EMAIL, NODERUN_TEST_ADMIN_PASSWORD.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { env } from './env.mjs';

const URL_ = env('NODERUN_TEST_DIRECTUS_URL');
const RUN = Date.now().toString(36);
const COLLECTION = `n8n_tool_${RUN}`;
const DIRECTUS_TOKEN = `n8n-tool-token-${RUN}`;
const MODEL_KEY = `sk-test-${RUN}`;
const SECRETS = [DIRECTUS_TOKEN, MODEL_KEY, env('NODERUN_TEST_ADMIN_PASSWORD')];

// ------------------------------------------------------------------ Directus
let adminToken;
async function api(method, path, body, token = adminToken) {
	const r = await fetch(`${URL_}${path}`, {
		method,
		headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const text = await r.text();
	if (!r.ok) throw new Error(`${method} ${path}: HTTP ${r.status} ${text}`);
	return text ? JSON.parse(text).data : null;
}

// ------------------------------------------------------------------ the scripted model
/** The requests the model received (their JSON bodies), in order. */
const modelRequests = [];
const title = (who) => `Written ${who} ${RUN}`;
const article = { title: title('by an agent'), rating: 4 };

/** What the model answers, from the conversation so far: one step per tool result received. */
function modelTurn(messages) {
	const results = messages.filter((m) => m.role === 'tool');
	const call = (name, args) => ({ tool_calls: [{ id: `call_${results.length}`, type: 'function',
		function: { name, arguments: JSON.stringify(args) } }] });
	switch (results.length) {
		case 0:
			return call('Create_Article', { data: article });
		case 1: {
			// reads the id from the create's result, as a model does
			const created = JSON.parse(results[0].content);
			return call('Get_Article', { id: created[0].id });
		}
		case 2:
			return call('Create_Article', { data: [1, 2] });
		default:
			return { content: 'Done.' };
	}
}

function completion(model, message) {
	const finish = message.tool_calls ? 'tool_calls' : 'stop';
	return { id: `chatcmpl-${modelRequests.length}`, object: 'chat.completion', created: 0, model,
		choices: [{ index: 0, message: { role: 'assistant', content: message.content ?? null, ...message },
			finish_reason: finish, logprobs: null }],
		usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } };
}

function streamed(res, model, message) {
	const chunk = (delta, finish_reason = null) => `data: ${JSON.stringify({ id: `chatcmpl-${modelRequests.length}`,
		object: 'chat.completion.chunk', created: 0, model, choices: [{ index: 0, delta, finish_reason }] })}\n\n`;
	res.writeHead(200, { 'content-type': 'text/event-stream' });
	const delta = message.tool_calls
		? { role: 'assistant', tool_calls: message.tool_calls.map((c, index) => ({ index, ...c })) }
		: { role: 'assistant', content: message.content };
	res.write(chunk(delta));
	res.write(chunk({}, message.tool_calls ? 'tool_calls' : 'stop'));
	res.end('data: [DONE]\n\n');
}

let modelServer;
const modelAuthorization = new Set();
function startModel() {
	modelServer = createServer((req, res) => {
		let body = '';
		req.on('data', (d) => (body += d));
		req.on('end', () => {
			if (req.method !== 'POST' || !req.url.endsWith('/chat/completions')) {
				res.writeHead(404, { 'content-type': 'application/json' });
				res.end(JSON.stringify({ error: { message: `no ${req.method} ${req.url} here` } }));
				return;
			}
			modelAuthorization.add(req.headers.authorization);
			const request = JSON.parse(body);
			modelRequests.push(request);
			const message = modelTurn(request.messages);
			if (request.stream) return streamed(res, request.model, message);
			res.writeHead(200, { 'content-type': 'application/json' });
			res.end(JSON.stringify(completion(request.model, message)));
		});
	});
	return new Promise((resolve) => modelServer.listen(0, '127.0.0.1', () => resolve(modelServer.address().port)));
}

// ------------------------------------------------------------------ the workflow
const credentials = { directusApi: { id: 'directusTool', name: 'Directus (tool test)' } };
const tool = (name, parameters, y) => ({
	id: name, name, type: 'n8n-nodes-noderun.directusTool', typeVersion: 1, position: [400, y],
	parameters: { resource: 'items', collection: COLLECTION, ...parameters }, credentials,
});
// what an n8n user writes: the fixed parts as values, what the agent decides as $fromAI
const create = { operation: 'create',
	data: "={{ $fromAI('data', 'The article to create, as a JSON object of its fields: title (text) and rating (an integer from 1 to 5)', 'json') }}" };
const get = { operation: 'get', id: "={{ $fromAI('id', 'The primary key of the article to read', 'number') }}" };
const toolExecutor = (name, toolName, query, x) => ({
	id: name, name, type: '@n8n/n8n-nodes-langchain.toolExecutor', typeVersion: 1, position: [x, 400],
	parameters: { toolName, query },
});
const executorArticle = { title: title('without an agent'), rating: 2 };

function toolWorkflow() {
	const nodes = [
		{ id: 'start', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
		{ id: 'agent', name: 'AI Agent', type: '@n8n/n8n-nodes-langchain.agent', typeVersion: 3.1, position: [200, 0],
			parameters: { promptType: 'define', text: 'Add an article rated 4, read it back, then try a list as its data.', options: {} } },
		{ id: 'model', name: 'Model', type: '@n8n/n8n-nodes-langchain.lmChatOpenAi', typeVersion: 1.2, position: [200, 200],
			parameters: { model: { __rl: true, mode: 'id', value: 'scripted-model' }, options: {} },
			credentials: { openAiApi: { id: 'model', name: 'Scripted model' } } },
		tool('Create Article', create, 200),
		tool('Get Article', get, 300),
		// after the agent (so that the ids are in a known order): the same tools, no agent
		toolExecutor('Execute Create', 'Add_Article', JSON.stringify({ Add_Article: { data: executorArticle } }), 400),
		tool('Add Article', create, 600),
		// the Tool Executor's item is the tool's answer as JSON text
		toolExecutor('Execute Get', 'Read_Article',
			"={{ JSON.stringify({ Read_Article: { id: JSON.parse($json)[0].id } }) }}", 600),
		tool('Read Article', get, 700),
		toolExecutor('Execute Bad Value', 'Add_Article_Again', JSON.stringify({ Add_Article_Again: { data: [1, 2] } }), 800),
		tool('Add Article Again', create, 800),
	];
	const main = (to) => ({ main: [[{ node: to, type: 'main', index: 0 }]] });
	const ai = (type, to) => ({ [type]: [[{ node: to, type, index: 0 }]] });
	return {
		id: 'tool', name: 'tool', active: false, nodes, settings: { executionOrder: 'v1' }, pinData: {},
		connections: {
			Start: main('AI Agent'),
			'AI Agent': main('Execute Create'),
			'Execute Create': main('Execute Get'),
			'Execute Get': main('Execute Bad Value'),
			Model: ai('ai_languageModel', 'AI Agent'),
			'Create Article': ai('ai_tool', 'AI Agent'),
			'Get Article': ai('ai_tool', 'AI Agent'),
			'Add Article': ai('ai_tool', 'Execute Create'),
			'Read Article': ai('ai_tool', 'Execute Get'),
			'Add Article Again': ai('ai_tool', 'Execute Bad Value'),
		},
	};
}

// ------------------------------------------------------------------ running n8n
let folder;
/** Runs n8n's command line without blocking this process (the model answers from it). */
function n8n(args) {
	return new Promise((resolve) => {
		const child = spawn(env('N8N_INSTANCE'), ['n8n', folder, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (d) => (stdout += d));
		child.stderr.on('data', (d) => (stderr += d));
		child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
	});
}

before(async () => {
	const { data } = await fetch(`${URL_}/auth/login`, {
		method: 'POST', headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ email: env('NODERUN_TEST_ADMIN_EMAIL'), password: env('NODERUN_TEST_ADMIN_PASSWORD') }),
	}).then((r) => r.json());
	adminToken = data.access_token;
	await api('POST', '/collections', { collection: COLLECTION, meta: {}, schema: {}, fields: [
		{ field: 'id', type: 'integer', meta: { hidden: true }, schema: { is_primary_key: true, has_auto_increment: true } },
		{ field: 'title', type: 'string', meta: {}, schema: {} },
		{ field: 'rating', type: 'integer', meta: {}, schema: {} },
	] });
	// n8n's own user for Directus, with a static token (the admin's role)
	const { role } = await api('GET', '/users/me?fields=role');
	await api('POST', '/users', { email: `n8n-tool-${RUN}@example.com`, role, token: DIRECTUS_TOKEN });
	const port = await startModel();

	folder = mkdtempSync(join(tmpdir(), 'noderun-n8n-tool-'));
	execFileSync('npm', ['install', env('PACKAGE_TGZ'), '--prefix', join(folder, '.n8n', 'nodes'), '--omit=peer',
		'--no-audit', '--no-fund', '--loglevel=error'], { stdio: ['ignore', 'ignore', 'inherit'] });
	const creds = join(folder, 'credentials.json');
	writeFileSync(creds, JSON.stringify([
		{ id: 'directusTool', name: 'Directus (tool test)', type: 'directusApi', data: { url: URL_, accessToken: DIRECTUS_TOKEN } },
		{ id: 'model', name: 'Scripted model', type: 'openAiApi', data: { apiKey: MODEL_KEY, url: `http://127.0.0.1:${port}/v1` } },
	]));
	const wfs = join(folder, 'workflows.json');
	writeFileSync(wfs, JSON.stringify([toolWorkflow()]));
	for (const args of [['import:credentials', `--input=${creds}`], ['import:workflow', `--input=${wfs}`]]) {
		const r = await n8n(args);
		assert.equal(r.status, 0, `n8n ${args[0]} failed:\n${r.stdout}\n${r.stderr}`);
	}
});

after(async () => {
	modelServer?.close();
	if (folder) rmSync(folder, { recursive: true, force: true });
	if (adminToken) {
		await api('DELETE', `/collections/${COLLECTION}`).catch(() => {});
		const users = await api('GET', `/users?filter[email][_eq]=n8n-tool-${RUN}@example.com&fields=id`).catch(() => []);
		for (const { id } of users) await api('DELETE', `/users/${id}`).catch(() => {});
	}
});

let execution;
/** The workflow runs once; the tests share its result. */
async function run() {
	execution ??= (async () => {
		const r = await n8n(['execute', '--id=tool', '--rawOutput']);
		const lines = r.stdout.split('\n');
		const start = lines.indexOf('{');
		const end = lines.indexOf('}', start);
		if (start < 0 || end < 0) throw new Error(`n8n execute printed no result (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
		return { ...r, result: JSON.parse(lines.slice(start, end + 1).join('\n')) };
	})();
	return execution;
}

const agentItem = { id: 1, title: title('by an agent'), rating: 4 };
const executorItem = { id: 2, title: title('without an agent'), rating: 2 };
const listRefused = "Parameter 'data' must be a JSON object (or text holding one); got a list [1,2]";
const schema = (properties, required) => ({ type: 'object', properties, required, additionalProperties: false,
	$schema: 'http://json-schema.org/draft-07/schema#' });

test('the agent: n8n offers the model the two Directus tools, described from the node and $fromAI', async () => {
	await run();
	assert.equal(modelRequests.length, 4);
	const tools = [
		{ type: 'function', function: { name: 'Get_Article', description: 'Get an item in Directus', strict: false,
			parameters: schema({ id: { type: 'number', description: 'The primary key of the article to read' } }, ['id']) } },
		{ type: 'function', function: { name: 'Create_Article', description: 'Create an item in Directus', strict: false,
			parameters: schema({ data: { description: 'The article to create, as a JSON object of its fields: title (text) and rating (an integer from 1 to 5)' } }, ['data']) } },
	];
	for (const request of modelRequests) assert.deepEqual(request.tools, tools);
	// the model was called with its own key, nothing else
	assert.deepEqual([...modelAuthorization], [`Bearer ${MODEL_KEY}`]);
});

test('the agent: create, read with the id it returned, a bad value: the exact tool results the model got', async () => {
	const { result } = await run();
	const last = modelRequests.at(-1).messages;
	assert.deepEqual(last.filter((m) => m.role === 'tool'), [
		{ role: 'tool', tool_call_id: 'call_0', content: JSON.stringify([agentItem]) },
		{ role: 'tool', tool_call_id: 'call_1', content: JSON.stringify([agentItem]) },
		// the bad value is the tool's answer (with noderun's message naming the parameter), not a failed run
		{ role: 'tool', tool_call_id: 'call_2', content: JSON.stringify([{ error: listRefused }]) },
	]);
	const runData = result.data.resultData.runData;
	assert.deepEqual(runData['AI Agent'][0].data.main, [[{ json: { output: 'Done.' }, pairedItem: { item: 0 } }]]);
	// n8n records each call as a run of the tool node: the arguments, then the node's output
	const calls = (node) => runData[node].map((r) => [r.inputOverride.ai_tool[0][0].json, r.data.ai_tool[0][0].json]);
	assert.deepEqual(calls('Create Article'), [
		[{ data: { title: agentItem.title, rating: 4 } }, agentItem],
		[{ data: [1, 2] }, { error: listRefused }],
	]);
	assert.deepEqual(calls('Get Article'), [[{ id: 1 }, agentItem]]);
	assert.deepEqual(runData['Create Article'].map((r) => r.executionStatus), ['success', 'error']);
});

test("n8n's Tool Executor: the tool n8n builds from the node, invoked without an agent", async () => {
	const { result, status } = await run();
	const runData = result.data.resultData.runData;
	const out = (node) => runData[node][0].data.main[0].map((item) => item.json);
	// the Tool Executor's item is the tool's answer as it returns it: JSON text
	assert.deepEqual(out('Execute Create'), [JSON.stringify([executorItem])]);
	assert.deepEqual(out('Execute Get'), [JSON.stringify([executorItem])]);
	assert.deepEqual(runData['Read Article'][0].inputOverride.ai_tool[0][0].json, { id: 2 });
	// a bad value: the tool throws noderun's message, the Tool Executor fails with it
	assert.equal(runData['Add Article Again'][0].error.message, listRefused);
	assert.equal(runData['Execute Bad Value'][0].executionStatus, 'error');
	assert.equal(result.status, 'error');
	assert.equal(status, 1);
	assert.equal(result.data.resultData.error.message, `Error executing tool: ${listRefused}`);
	assert.equal(result.data.resultData.lastNodeExecuted, 'Execute Bad Value');
});

test('Directus holds exactly what the tools created', async () => {
	await run();
	assert.deepEqual(await api('GET', `/items/${COLLECTION}?sort=id`), [agentItem, executorItem]);
});

test('no secret in what n8n printed, recorded or sent to the model', async () => {
	const { stdout, stderr } = await run();
	const seen = [stdout, stderr, JSON.stringify(modelRequests)].join('\n');
	for (const secret of SECRETS) assert.equal(seen.includes(secret), false, 'a secret appears in the output');
});
