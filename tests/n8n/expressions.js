// Evaluates expressions with n8n's OWN evaluator (n8n-workflow's Expression, legacy engine, as
// n8n's editor and `n8n execute` without an isolate), for the expression corpus: noderun must give
// the same results (crates/expression/tests/n8n_corpus.rs).
//
// stdin:  {"setup": {...}, "entries": [{"expression": "={{ ... }}", "item": 0}, ...]}
//         setup: {"workflow": <exported n8n workflow>, "node": "<active node>", "outputs": {"<node>":
//         [<items>]}, "input": [<items>], "additionalKeys": {...}, "mode": "manual"}
// stdout: [{"value": <JSON text of the value, as JSON.stringify writes it>} | {"undefined": true} |
//          {"error": "<message>"}, ...] in the order of the entries. One Node process for all.
// The active node's input is `setup.input`, the output of the node connected to it; every other
// node's run data is `setup.outputs`, its source the node connected to its first input.
'use strict';

const fs = require('node:fs');

console.log = console.info = console.debug = console.warn = (...args) => console.error(...args);

const { Expression, Workflow, createRunExecutionData } = require('n8n-workflow');

Expression.setExpressionEngine('legacy');

const corpus = JSON.parse(fs.readFileSync(0, 'utf8'));
const { setup, entries } = corpus;
const wf = setup.workflow;

// Parameters must be in a node type's properties, or n8n drops them.
const propertiesOf = (parameters) =>
  Object.keys(parameters || {}).map((name) => ({ name, displayName: name, type: 'string', default: '' }));
const nodes = wf.nodes.map((n) => ({ ...n, position: n.position || [0, 0], typeVersion: n.typeVersion ?? 1 }));
const types = new Map(nodes.map((n) => [n.type, n]));
const nodeTypes = {
  getByName: (t) => nodeTypes.getByNameAndVersion(t),
  getByNameAndVersion: (t) => ({
    description: {
      name: t, displayName: t, group: [], version: 1, defaults: {}, inputs: ['main'], outputs: ['main'],
      properties: propertiesOf(nodes.filter((n) => n.type === t).reduce((all, n) => ({ ...all, ...n.parameters }), {})),
    },
  }),
  getKnownTypes: () => Object.fromEntries([...types.keys()].map((t) => [t, {}])),
};

const workflow = new Workflow({
  id: wf.id, name: wf.name, active: wf.active ?? false, nodes, connections: wf.connections, nodeTypes,
  settings: wf.settings ?? {},
});

// The node connected to `name`'s first input.
const parentOf = (name) => {
  for (const [from, outputs] of Object.entries(wf.connections)) {
    for (const [index, targets] of (outputs.main || []).entries()) {
      if ((targets || []).some((t) => t.node === name)) return { previousNode: from, previousNodeOutput: index };
    }
  }
  return undefined;
};
const active = setup.node;
const previous = parentOf(active);
const runData = {};
for (const [name, items] of Object.entries(setup.outputs)) {
  const source = parentOf(name);
  runData[name] = [{ startTime: 0, executionTime: 0, executionIndex: 0, source: source ? [source] : [], data: { main: [items] } }];
}
if (previous) {
  const source = parentOf(previous.previousNode);
  runData[previous.previousNode] = [{ startTime: 0, executionTime: 0, executionIndex: 0, source: source ? [source] : [], data: { main: [setup.input] } }];
}
const runExecutionData = createRunExecutionData({ resultData: { runData } });
// n8n-core gives the active node its input items paired with their position.
const connectionInputData = setup.input.map((item, i) => ({ ...item, pairedItem: { item: i } }));
const executeData = {
  node: workflow.getNode(active),
  data: { main: [connectionInputData] },
  source: { main: previous ? [previous] : [] },
};

const results = entries.map((entry) => {
  try {
    const value = workflow.expression.getParameterValue(
      entry.expression, runExecutionData, 0, entry.item ?? 0, active, connectionInputData, setup.mode,
      setup.additionalKeys, executeData,
    );
    if (value === undefined) return { undefined: true };
    const text = JSON.stringify(value);
    return text === undefined ? { undefined: true } : { value: text };
  } catch (e) {
    return { error: (e && e.message) || String(e) };
  }
});
process.stdout.write(JSON.stringify(results));
