// The forms page of `noderun forms`: one node's operations as react-jsonschema-form forms, drawn
// from noderun's exported JSON Schemas (draft 2020-12, validated by Ajv2020), with live views of
// what the form means to noderun: the workflow node, the command line and the dry-run request.
// A trigger (no operations) is one form of its parameters, with its workflow node and the
// `noderun trigger` command line they become (the node's `commandLine`).
// The node description, the schemas and the node's definition files are embedded by `noderun
// forms` (see index.html); the dry run is computed by noderun's own planner compiled to
// WebAssembly (planner.js).
import React, { useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import Form from '@rjsf/core';
import { customizeValidator } from '@rjsf/validator-ajv8';
import Ajv2020 from 'ajv/dist/2020';
import { dryRun, loadPlanner } from './planner.js';

const data = JSON.parse(document.getElementById('noderun-data').textContent);
const node = data.node;

// The renderer options docs/forms.md documents: Ajv 2020 (strict off, as rjsf sets it), live
// validation, data of hidden fields omitted, defaults from `then` branches when their `if` holds.
const validator = customizeValidator({ AjvClass: Ajv2020 });
const FORM_OPTIONS = {
  liveValidate: 'onChange',
  omitExtraData: true,
  liveOmit: 'onChange',
  showErrorList: false,
  experimental_defaultFormStateBehavior: {
    emptyObjectFields: 'populateAllDefaults',
    allOf: 'populateDefaults',
    constAsDefaults: 'skipOneOf',
  },
};

/** Every property schema of an operation schema: its own and those of its conditional branches. */
function allProperties(schema) {
  const branches = (schema.allOf ?? []).map((b) => b.then?.properties ?? {});
  return Object.assign({}, ...branches, schema.properties ?? {});
}

/** The schema of the field at `path` (names from the top), through conditional branches. */
function fieldSchema(schema, path) {
  return path.reduce((s, name) => (s ? allProperties(s)[name] : undefined), schema);
}

/** What a JSON field may hold: the types of its schema besides its text form. */
function jsonKinds(s) {
  const types = Array.isArray(s?.type) ? s.type : [s?.type ?? 'object'];
  const kinds = types.filter((t) => t !== 'string');
  return kinds.length > 0 ? kinds : ['object'];
}

/** The uiSchema a schema implies (docs/forms.md): order, hidden selectors, JSON text areas. */
function uiSchemaFor(schema) {
  const ui = { 'ui:submitButtonOptions': { norender: true } };
  const fieldUi = (s) => {
    const f = {};
    if (s.const !== undefined) f['ui:widget'] = 'hidden';
    if (s.contentMediaType === 'application/json') f['ui:widget'] = 'textarea';
    if (s.properties) Object.assign(f, uiSchemaFor(s), { 'ui:submitButtonOptions': undefined });
    return f;
  };
  const props = allProperties(schema);
  const names = Object.keys(props).sort((a, b) => (props[a].propertyOrder ?? 0) - (props[b].propertyOrder ?? 0));
  ui['ui:order'] = [...names, '*'];
  for (const name of names) ui[name] = fieldUi(props[name]);
  return ui;
}

/**
 * rjsf's `transformErrors`: Ajv's messages made readable. A JSON text field that fails its
 * pattern "must be a JSON object" (or array, as its schema says); the `if` and `unevaluatedProperties` errors that only echo
 * another error (a failed `then` drops its annotations) are left out.
 */
function transformErrorsFor(schema) {
  return (errors) => {
    const fieldAt = (property) => fieldSchema(schema, (property ?? '').split('.').filter(Boolean));
    const own = errors.filter((e) => e.name !== 'if' && e.name !== 'unevaluatedProperties');
    return (own.length > 0 ? own : errors.filter((e) => e.name !== 'if')).map((e) => {
      const field = fieldAt(e.property);
      if (e.name === 'pattern' && field?.contentMediaType === 'application/json') {
        const kinds = jsonKinds(field).filter((k) => k !== 'null'); // null is not typed as text
        const message = `must be ${kinds.map((k) => `a JSON ${k}`).join(' or ')} (text holding one)`;
        return { ...e, message, stack: `${e.property} ${message}` };
      }
      return e;
    });
  };
}

const resourceProperty = node.properties.find((p) => p.name === 'resource');
const resources = (resourceProperty?.options ?? []).filter((c) => data.operations.some((o) => o.resource === c.value));

function shellQuote(text) {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

/** Whether the field at `path` holds a secret (a password input). */
function isSecret(schema, path) {
  const s = fieldSchema(schema, path);
  return s?.writeOnly === true || s?.format === 'password';
}

/**
 * The command line's parameters and input item: a secret typed as a literal moves into the item
 * and the parameter takes it by expression (`"password": "={{ $json.password }}"`), so that it is
 * not a command-line argument (visible to every user in the process list). The dry run is the same.
 */
function withoutLiteralSecrets(schema, parameters, item) {
  const json = { ...(item?.json !== undefined ? item.json : item) };
  const literal = (v) => typeof v === 'string' && v !== '' && !v.startsWith('=');
  const take = (name, value) => {
    let key = name;
    for (let i = 2; key in json && json[key] !== value; i += 1) key = `${name}${i}`;
    json[key] = value;
    return `={{ $json.${key} }}`;
  };
  const out = {};
  for (const [name, value] of Object.entries(parameters)) {
    if (isSecret(schema, [name]) && literal(value)) {
      out[name] = take(name, value);
    } else if (value && typeof value === 'object' && !Array.isArray(value)) {
      out[name] = Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, isSecret(schema, [name, k]) && literal(v) ? take(k, v) : v]),
      );
    } else {
      out[name] = value;
    }
  }
  return { parameters: out, item: item?.json !== undefined ? { ...item, json } : json };
}

/** The state (switch values and shown property indices) the form data is in. */
function currentState(op, data) {
  const valueOf = (name) => {
    if (data[name] !== undefined && data[name] !== null) return data[name];
    const p = node.properties.find((q) => q.name === name && q.type !== 'collection');
    return p ? p.default : undefined;
  };
  return (
    op.states.find((s) => Object.entries(s.values).every(([k, v]) => valueOf(k) === v)) ?? op.states[0]
  );
}

/** The file of the page's own input item when the request uploads one: a small JSON file. */
const SAMPLE_FILE = { data: btoa('[{"title": "Sample"}]\n'), mimeType: 'application/json', fileName: 'sample.json' };

/** A word as a shell reads it: quoted only when it holds something the shell would interpret. */
function shellWord(text) {
  return /^[A-Za-z0-9_.,:/@%+=-]+$/.test(text) ? text : shellQuote(text);
}

/** The node's type as n8n knows it: the community package's. */
const NODE_TYPE = `n8n-nodes-noderun.${node.name}`;
const typeVersion = Math.max(...[].concat(node.version ?? 1));

/**
 * The workflow node as n8n imports it: the community package's type, credentials by id and
 * name; a polling trigger also has n8n's Poll Times (its default, every minute).
 */
function workflowNodeOf(parameters) {
  return {
    parameters: node.polling ? { pollTimes: { item: [{ mode: 'everyMinute' }] }, ...parameters } : parameters,
    name: node.defaults?.name ?? node.displayName,
    type: NODE_TYPE,
    typeVersion,
    position: [0, 0],
    credentials: Object.fromEntries(
      (node.credentials ?? []).map((c) => {
        const type = data.credentialTypes?.find((t) => t.name === c.name);
        return [c.name, { id: '1', name: `${type?.displayName ?? c.name} account` }];
      }),
    ),
  };
}

/**
 * The command line a trigger's parameters become (`data.commandLine`: per parameter its flag;
 * a list repeated or joined by commas, a JSON object as its text); a value not set writes none.
 */
function triggerCommand(parameters) {
  const { command, flags } = data.commandLine;
  const words = [command];
  for (const f of flags) {
    const value = f.parameter.split('.').reduce((v, k) => (v && typeof v === 'object' ? v[k] : undefined), parameters);
    if (value === undefined || value === null || value === '') continue;
    let values;
    if (f.list === 'repeat') {
      values = (Array.isArray(value) ? value : String(value).split(',')).map((x) => String(x).trim()).filter(Boolean);
    } else if (f.list === 'join') {
      values = [[].concat(value).join(',')].filter(Boolean);
    } else {
      values = [typeof value === 'object' ? JSON.stringify(value) : String(value)];
    }
    for (const v of values) words.push(`${f.flag} ${shellWord(v)}`);
  }
  words.push('--credentials creds.json');
  return words.join(' \\\n    ');
}

/**
 * What the form data means: parameters, workflow node, input item, command line and dry-run
 * request (the planner's). `itemText` is the input item the user typed, `null` for the page's own
 * (`{}`, or with SAMPLE_FILE in each binary property the request uploads).
 */
function meaning(op, formData, credentialUrl, itemText) {
  const parameters = formData ?? {};
  const state = currentState(op, parameters);
  const workflowNode = workflowNodeOf(parameters);
  let item = {};
  let input = null;
  let requestError = null;
  if (itemText !== null) {
    try {
      item = input = JSON.parse(itemText);
    } catch (e) {
      requestError = `The input item is not JSON (${e.message})`;
    }
  }
  let request;
  if (requestError === null) {
    try {
      ({ dryRun: request, item } = dryRun(workflowNode, { url: credentialUrl }, input, SAMPLE_FILE));
    } catch (e) {
      requestError = e.message;
    }
  }
  // Resource and operation are flags; the secrets come from the item.
  const { resource: _r, operation: _o, ...rest } = parameters;
  const safe = withoutLiteralSecrets(op.schema, rest, item);
  const command = [
    // printf, not echo: sh's echo may expand backslashes of the JSON text.
    `printf '%s\\n' ${shellQuote(JSON.stringify(safe.item))} | noderun run ${node.name}`,
    `--resource ${op.resource}`,
    `--operation ${op.operation}`,
    ...(Object.keys(safe.parameters).length > 0 ? [`--parameters ${shellQuote(JSON.stringify(safe.parameters))}`] : []),
    '--credentials creds.json --dry-run',
  ].join(' \\\n    ');
  return { workflowNode, item, command, request, requestError, state: state.values };
}

/**
 * The page opens on Authentication → Log In (else the first operation), filled as a workflow
 * fills it: the required fields by expression from an input item that holds them, so the form
 * is valid and the command line carries no secret.
 */
const opsOf = (r) => data.operations.filter((o) => o.resource === r);
const first =
  data.operations.find((o) => o.resource === 'auth' && o.operation === 'login') ?? opsOf(resources[0]?.value)[0];
const firstFill = (() => {
  if (first === undefined) return { formData: {}, itemText: null };
  const isDefault = ([k, v]) =>
    k === 'resource' || k === 'operation' || node.properties.find((p) => p.name === k)?.default === v;
  const state = first.states.find((st) => Object.entries(st.values).every(isDefault)) ?? first.states[0];
  const formData = {};
  const item = {};
  for (const p of (state?.visible ?? []).map((i) => node.properties[i])) {
    if (p.required && p.type === 'string') {
      formData[p.name] = `={{ $json.${p.name} }}`;
      item[p.name] = p.typeOptions?.password ? 'your password' : (p.placeholder ?? `${p.displayName} value`);
    }
  }
  return { formData, itemText: Object.keys(item).length > 0 ? JSON.stringify(item, null, 2) : null };
})();

function App() {
  const [resource, setResource] = useState(first.resource);
  const [operation, setOperation] = useState(first.operation);
  const [credentialUrl, setCredentialUrl] = useState('https://directus.example.com');
  const op = data.operations.find((o) => o.resource === resource && o.operation === operation) ?? opsOf(resource)[0];
  const uiSchema = useMemo(() => uiSchemaFor(op.schema), [op]);
  const transformErrors = useMemo(() => transformErrorsFor(op.schema), [op]);
  const [formData, setFormData] = useState(firstFill.formData);
  // The input item as typed; `null` until the user edits it (the page's sample item).
  const [itemText, setItemText] = useState(firstFill.itemText);
  // A new form (fresh defaults) each time an operation is chosen, also the same one again.
  const [generation, setGeneration] = useState(0);
  const key = `${op.resource}/${op.operation}`;
  const errors = validator
    .validateFormData(formData, op.schema, undefined, transformErrors)
    .errors.map((x) => `${x.property ?? ''} ${x.message}`.trim());
  const m = meaning(op, formData, credentialUrl, itemText);

  window.noderunForms = {
    data,
    select(r, o) {
      setResource(r);
      setOperation(o);
      setFormData({});
      setItemText(null);
      setGeneration((g) => g + 1);
    },
    current: () => ({ key, formData, errors, ...m }),
  };

  return (
    <main>
      <header>
        <h1>{node.displayName}</h1>
        <p>{node.description}</p>
      </header>
      <section className="pick">
        <label>
          Resource{' '}
          <select
            id="resource"
            value={resource}
            onChange={(e) => {
              setResource(e.target.value);
              setOperation(opsOf(e.target.value)[0].operation);
              setFormData({});
              setItemText(null);
            }}
          >
            {resources.map((r) => (
              <option key={r.value} value={r.value}>{r.name}</option>
            ))}
          </select>
        </label>
        <label>
          Operation{' '}
          <select
            id="operation"
            value={op.operation}
            onChange={(e) => {
              setOperation(e.target.value);
              setFormData({});
              setItemText(null);
            }}
          >
            {opsOf(resource).map((o) => (
              <option key={o.operation} value={o.operation}>{o.name}</option>
            ))}
          </select>
        </label>
        <label>
          Directus URL{' '}
          <input id="credential-url" value={credentialUrl} onChange={(e) => setCredentialUrl(e.target.value)} />
        </label>
      </section>
      <div className="columns">
        <section className="form" data-key={key}>
          <Form
            key={`${key}#${generation}`}
            schema={op.schema}
            uiSchema={uiSchema}
            validator={validator}
            transformErrors={transformErrors}
            formData={formData}
            onChange={(e) => setFormData(e.formData)}
            {...FORM_OPTIONS}
          />
        </section>
        <section className="meaning">
          <h2>Form status</h2>
          <pre id="status" className={errors.length ? 'bad' : 'good'}>
            {errors.length ? errors.join('\n') : 'valid'}
          </pre>
          <h2>Input item</h2>
          <textarea
            id="input-item"
            spellCheck={false}
            value={itemText ?? JSON.stringify(m.item, null, 2)}
            onChange={(e) => setItemText(e.target.value)}
          />
          <h2>Dry-run request</h2>
          <pre id="request" className={errors.length || m.requestError ? 'bad' : ''}>
            {errors.length
              ? 'none: noderun refuses parameters the form flags'
              : m.requestError ?? JSON.stringify(m.request, null, 2)}
          </pre>
          <h2>Command line</h2>
          <pre id="command">{m.command}</pre>
          <h2>Workflow node</h2>
          <pre id="workflow-node">{JSON.stringify(m.workflowNode, null, 2)}</pre>
        </section>
      </div>
    </main>
  );
}

/**
 * A trigger's page: its parameters as one form, validated by their schema, with the workflow
 * node n8n imports and the `noderun trigger` command line they become.
 */
function TriggerApp() {
  const form = data.parameters;
  const uiSchema = useMemo(() => uiSchemaFor(form.schema), []);
  const transformErrors = useMemo(() => transformErrorsFor(form.schema), []);
  const [formData, setFormData] = useState({});
  const errors = validator
    .validateFormData(formData, form.schema, undefined, transformErrors)
    .errors.map((x) => `${x.property ?? ''} ${x.message}`.trim());
  const workflowNode = workflowNodeOf(formData);
  const command = triggerCommand(formData);
  window.noderunForms = { data, current: () => ({ formData, errors, workflowNode, command }) };
  return (
    <main>
      <header>
        <h1>{node.displayName}</h1>
        <p>{node.description}</p>
      </header>
      <div className="columns">
        <section className="form" data-key="parameters">
          <Form
            schema={form.schema}
            uiSchema={uiSchema}
            validator={validator}
            transformErrors={transformErrors}
            formData={formData}
            onChange={(e) => setFormData(e.formData)}
            {...FORM_OPTIONS}
          />
        </section>
        <section className="meaning">
          <h2>Form status</h2>
          <pre id="status" className={errors.length ? 'bad' : 'good'}>
            {errors.length ? errors.join('\n') : 'valid'}
          </pre>
          <h2>Command line</h2>
          <pre id="command" className={errors.length ? 'bad' : ''}>
            {errors.length ? 'none: noderun refuses parameters the form flags' : command}
          </pre>
          <h2>Workflow node</h2>
          <pre id="workflow-node">{JSON.stringify(workflowNode, null, 2)}</pre>
        </section>
      </div>
    </main>
  );
}

const root = createRoot(document.getElementById('root'));
if (data.parameters) {
  root.render(<TriggerApp />);
} else {
  loadPlanner(data.definitions).then(
    () => root.render(<App />),
    (e) => root.render(<pre className="bad">The page's planner does not load: {e.message}</pre>),
  );
}
