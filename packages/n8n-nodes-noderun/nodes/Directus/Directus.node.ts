import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
	JsonObject,
} from 'n8n-workflow';
import * as workflow from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { credential } from '../../credentials/credential';
import { description } from './description';
import { binding, type NativeItem, type RunResult, type Stopped } from './native';

/**
 * The Directus node, run by noderun's Rust executor. Its description is noderun's export,
 * unchanged; execute() hands the node's parameters as n8n stores them, the credential, the
 * error settings and the input items to the native addon, which resolves, validates, sends and
 * returns one outcome per item with pairedItem, in input order.
 */
export class Directus implements INodeType {
	description: INodeTypeDescription = description;

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const node = this.getNode();
		const items = this.getInputData();
		const credentials = await ownFields(this);
		// With the error output, n8n itself moves the failed items (those with `error`) from the
		// main output to the error output after execute(), adding their input item's fields; so
		// noderun returns them in place, in input order, as with continue-on-fail.
		const onError = this.continueOnFail() ? 'continueRegularOutput' : 'stopWorkflow';
		const native = binding(node);
		// Parameters as n8n stores them (defaults filled in by n8n): noderun evaluates the
		// expressions of its subset itself, per item, strictly (an undefined field is an error
		// naming it). An expression outside it ($('Node'), $now, $env, …) is resolved by n8n for
		// each item and handed over as a literal. As an AI tool ($fromAI in parameters) n8n
		// resolves those too, from the tool call's arguments.
		const raw = ownParameters(node);
		const n8nResolved: string[] = [];
		walkExpressions(raw, '', (path, source) => {
			if (!native.expressionSupported(source)) n8nResolved.push(path);
		});
		// n8n's cancel signal (the user stops the execution, or its timeout) aborts the run
		const signal = this.getExecutionCancelSignal?.();
		const execution = (nextExecution = (nextExecution + 1) % 0xffffffff);
		const onAbort = () => native.cancel(execution);
		signal?.addEventListener('abort', onAbort, { once: true });
		const request = (parameters: IDataObject, batch: INodeExecutionData[]) =>
			native.run(
				{
					node: 'directus',
					parameters,
					credentials,
					settings: { onError },
					items: batch.map((item) => ({ json: item.json, binary: item.binary as IDataObject })),
				},
				execution,
			);

		let result: RunResult;
		try {
			if (n8nResolved.length === 0) {
				result = await request(raw, items);
			} else {
				result = { main: [], error: [], summary: { ...emptySummary, interrupted: [] } };
				for (let i = 0; i < items.length && !result.summary.stopped && !signal?.aborted; i++) {
					const parameters = structuredClone(raw);
					for (const path of n8nResolved) {
						setPath(parameters, path, literal(this.getNodeParameter(path, i)));
					}
					merge(result, await request(parameters, [items[i]]), i);
				}
			}
		} catch (e) {
			throw new NodeOperationError(node, (e as Error).message);
		} finally {
			signal?.removeEventListener('abort', onAbort);
		}
		if (result.summary.cancelled || signal?.aborted) {
			const { succeeded, failed, interrupted } = result.summary;
			throw new NodeOperationError(node, 'The execution was cancelled', {
				description: `${succeeded} items succeeded, ${failed} failed, ${interrupted.length} were interrupted (sent, outcome unknown), ${items.length - succeeded - failed - interrupted.length} were not run`,
			});
		}
		const stopped = result.summary.stopped;
		if (stopped) throw stopError(this, stopped);
		return [result.main.map(toN8n)];
	}
}

/** The credential's own fields. n8n adds its domain restriction fields to the data: they are
 * applied here, with n8n's own check, to the only host noderun sends the credential to. */
async function ownFields(fn: IExecuteFunctions): Promise<IDataObject> {
	const data = await fn.getCredentials('directusApi');
	if (typeof data.url === 'string' && 'assertCredentialAllowsUrl' in workflow) {
		workflow.assertCredentialAllowsUrl({ node: fn.getNode(), credentialData: data, url: data.url });
	}
	const names = new Set(credential.properties.map((p) => p.name));
	return Object.fromEntries(Object.entries(data).filter(([k]) => names.has(k)));
}

/** The parameters n8n adds to its tool copy of a node (`usableAsTool`: the type `directusTool`,
 * packages/cli/src/tool-generation/ai-tools.ts): what the agent is told the tool does. */
const TOOL_PARAMETERS = ['descriptionType', 'toolDescription'];

/** The node's parameters as n8n stores them, without those of n8n's tool copy. */
function ownParameters(node: ReturnType<IExecuteFunctions['getNode']>): IDataObject {
	const parameters = node.parameters as IDataObject;
	if (!node.type.endsWith('Tool')) return parameters;
	return Object.fromEntries(Object.entries(parameters).filter(([k]) => !TOOL_PARAMETERS.includes(k)));
}

let nextExecution = 0;

const emptySummary: RunResult['summary'] = {
	items: 0,
	succeeded: 0,
	failed: 0,
	notRun: 0,
	elapsedMs: 0,
	stopped: null,
	cancelled: false,
	interrupted: [],
};

/** Adds a one-item run (of input item `index`) to `into`. */
function merge(into: RunResult, one: RunResult, index: number) {
	const pair = (item: NativeItem) => ({ ...item, pairedItem: { item: index } });
	into.main.push(...one.main.map(pair));
	into.error.push(...one.error.map(pair));
	const s = into.summary;
	s.items += one.summary.items;
	s.succeeded += one.summary.succeeded;
	s.failed += one.summary.failed;
	s.elapsedMs += one.summary.elapsedMs;
	if (one.summary.stopped) s.stopped = { ...one.summary.stopped, item: index };
	s.cancelled ||= one.summary.cancelled;
	if (one.summary.interrupted.length) s.interrupted.push(index);
}

function toN8n(item: NativeItem): INodeExecutionData {
	return item as unknown as INodeExecutionData;
}

function stopError(fn: IExecuteFunctions, stopped: Stopped) {
	const node = fn.getNode();
	const { item: itemIndex, message, description, httpCode } = stopped;
	if (httpCode) {
		return new NodeApiError(node, { ...stopped } as unknown as JsonObject, {
			message,
			description,
			httpCode,
			itemIndex,
		});
	}
	return new NodeOperationError(node, message, { itemIndex, description });
}

/** Calls `visit` with the path (lodash style, as getNodeParameter takes it) of every expression. */
function walkExpressions(
	value: unknown,
	path: string,
	visit: (path: string, source: string) => void,
) {
	if (typeof value === 'string') {
		if (value.startsWith('=')) visit(path, value);
	} else if (Array.isArray(value)) {
		value.forEach((v, i) => walkExpressions(v, `${path}[${i}]`, visit));
	} else if (value !== null && typeof value === 'object') {
		for (const [k, v] of Object.entries(value)) walkExpressions(v, path ? `${path}.${k}` : k, visit);
	}
}

/** A resolved value as a parameter noderun takes literally: a string starting with `=` would be
 * read as an expression, so it becomes one whose only segment is the text as a string literal
 * (whatever `{{ }}` the text holds is not evaluated: it may come from an AI agent's $fromAI). */
function literal(value: unknown): unknown {
	if (typeof value === 'string') return value.startsWith('=') ? `={{ ${JSON.stringify(value)} }}` : value;
	if (Array.isArray(value)) return value.map(literal);
	if (value !== null && typeof value === 'object') {
		return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, literal(v)]));
	}
	return value;
}

function setPath(target: IDataObject, path: string, value: unknown) {
	const keys = path.split(/\.|\[(\d+)\]/).filter((k) => k !== undefined && k !== '');
	let at = target as Record<string, unknown>;
	for (const key of keys.slice(0, -1)) at = at[key] as Record<string, unknown>;
	at[keys[keys.length - 1]] = value;
}
