// noderun's own planner (crates/plan) compiled to WebAssembly (crates/wasm, built by
// scripts/forms-wasm, inlined by build.mjs): the page's dry run is the item `noderun run
// --dry-run` prints, computed by the same code. The interface is JSON text in and out through
// the module's memory (crates/wasm's crate doc).
import wasm from '../build/planner.wasm';

let planner;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Calls `name` with `value` as JSON; its answer, or an Error with noderun's message. */
function call(name, value) {
  const input = encoder.encode(JSON.stringify(value));
  const at = planner.noderun_alloc(input.length);
  new Uint8Array(planner.memory.buffer, at, input.length).set(input);
  const answer = BigInt.asUintN(64, planner[name](at, input.length));
  const [ptr, len] = [Number(answer >> 32n), Number(answer & 0xffffffffn)];
  const text = decoder.decode(new Uint8Array(planner.memory.buffer, ptr, len));
  planner.noderun_free(ptr, len);
  const result = JSON.parse(text);
  if (result.error !== undefined) throw new Error(result.error);
  return result.ok;
}

/** Compiles the module and loads the node's definition files (path → JSON) into it. */
export async function loadPlanner(files) {
  // Random bytes for the hash maps' seeds (crates/wasm `random`).
  const noderun = { random_fill: (ptr, len) => crypto.getRandomValues(new Uint8Array(planner.memory.buffer, ptr, len)) };
  const { instance } = await WebAssembly.instantiate(wasm, { noderun });
  planner = instance.exports;
  call('noderun_load', { files });
}

/**
 * The dry run of a workflow node (`{type, parameters}`) with a credential and an input item:
 * `{dryRun, item}`, `dryRun` being what `noderun run --dry-run` prints (secrets as `***`). With
 * `item` null the page's own item is used: `{}`, or, when the request uploads, an item whose
 * binary properties the file parts name hold `sampleFile`.
 */
export function dryRun(node, credentials, item, sampleFile) {
  return call('noderun_dry_run', { node: node.type, parameters: node.parameters, credentials, item, sampleFile });
}
