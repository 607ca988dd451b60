// The native addon (crates/napi), built by scripts/n8n-package and shipped in dist/.
import type { IDataObject, INode } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

export interface NativeItem {
	json: IDataObject;
	binary?: IDataObject;
	pairedItem?: { item: number };
	error?: { message: string; description?: string; httpCode?: string; code?: string };
}

export interface RunRequest {
	node: string;
	parameters: IDataObject;
	credentials: IDataObject;
	settings: { onError: string };
	items: NativeItem[];
}

export interface Stopped {
	item: number;
	parameter?: string;
	message: string;
	description?: string;
	httpCode?: string;
	code?: string;
}

export interface RunResult {
	main: NativeItem[];
	error: NativeItem[];
	summary: {
		items: number;
		succeeded: number;
		failed: number;
		notRun: number;
		elapsedMs: number;
		stopped: Stopped | null;
		cancelled: boolean;
		interrupted: number[];
	};
}

export interface PollRequest {
	credentials: IDataObject;
	parameters: { collections: string; events: string[]; fields?: unknown; filter?: unknown };
	cursor: unknown;
	manual: boolean;
}

export interface PollResult {
	items: { json: IDataObject }[];
	cursor: IDataObject;
	warnings: string[];
}

interface Binding {
	/** One read of the Directus change feed (the Directus Trigger). */
	poll(request: PollRequest): Promise<PollResult>;
	/** With `execution` (unique among the runs in progress), `cancel(execution)` stops it. */
	run(request: RunRequest, execution?: number): Promise<RunResult>;
	cancel(execution: number): boolean;
	expressionSupported(source: string): boolean;
}

/** The addon's file: the package is built for linux-x64 (package.json `os`, `cpu`). */
const file = 'noderun.linux-x64.node';
let loaded: Binding | undefined;

/** The addon, loaded on first use (so that n8n lists the node even where it cannot run). */
export function binding(node: INode): Binding {
	if (!loaded) {
		try {
			// eslint-disable-next-line @typescript-eslint/no-require-imports
			loaded = require('./noderun.linux-x64.node') as Binding;
		} catch (e) {
			throw new NodeOperationError(node, `noderun's native addon ${file} cannot be loaded`, {
				description: `This package runs on Linux x64 (glibc) only: ${(e as Error).message}`,
			});
		}
	}
	return loaded;
}
