// The forms page of `noderun forms`: one node's operations as react-jsonschema-form forms, drawn
// from noderun's exported JSON Schemas (draft 2020-12, validated by Ajv2020), with live views of
// what the form means to noderun: the workflow node, the command line and the dry-run request.
// The node description and the schemas are embedded by `noderun forms` (see index.html).
import React, { useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import Form from '@rjsf/core';
import { customizeValidator } from '@rjsf/validator-ajv8';
import Ajv2020 from 'ajv/dist/2020';
import { currentState, dryRunRequest, effectiveParameters, sampleItem, uploads } from './request.js';

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
        const message = `must be ${jsonKinds(field).map((k) => `a JSON ${k}`).join(' or ')} (text holding one)`;
        return { ...e, message, stack: `${e.property} ${message}` };
      }
      return e;
    });
  };
}

const resourceProperty = node.properties.find((p) => p.name === 'resource');
const resources = resourceProperty.options.filter((c) => data.operations.some((o) => o.resource === c.value));

function shellQuote(text) {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

/**
 * What the form data means: parameters, workflow node, input item, command line and dry-run
 * request. `itemText` is the input item the user typed, `null` for the page's own (`sampleItem`:
 * it follows the binary properties the request uploads).
 */
function meaning(op, formData, credentialUrl, itemText) {
  const parameters = formData ?? {};
  const state = currentState(op, node.properties, parameters);
  let item = {};
  let requestError = null;
  if (itemText !== null) {
    try {
      item = JSON.parse(itemText);
    } catch (e) {
      requestError = `The input item is not JSON (${e.message})`;
    }
  }
  const json = item?.json !== undefined ? item.json : item;
  let request;
  if (requestError === null) {
    try {
      const credentials = { url: credentialUrl };
      const { files, ...planned } = dryRunRequest(
        node,
        state,
        effectiveParameters(node.properties, state, parameters),
        credentials,
        (path) => jsonKinds(fieldSchema(op.schema, path)),
        json && typeof json === 'object' ? json : {},
      );
      if (itemText === null) item = sampleItem(files);
      request = files.length > 0 ? { ...planned, files: uploads(files, item) } : planned;
    } catch (e) {
      requestError = e.message;
    }
  }
  const workflowNode = {
    parameters,
    name: node.defaults?.name ?? node.displayName,
    type: `noderun.${node.name}`,
    typeVersion: 1,
    position: [0, 0],
    credentials: Object.fromEntries((node.credentials ?? []).map((c) => [c.name, { id: '1', name: c.name }])),
  };
  const command = [
    // printf, not echo: sh's echo may expand backslashes of the JSON text.
    `printf '%s\\n' ${shellQuote(JSON.stringify(item))} | noderun run ${node.name}`,
    `--resource ${op.resource}`,
    `--operation ${op.operation}`,
    `--parameters ${shellQuote(JSON.stringify(parameters))}`,
    '--credentials creds.json --dry-run',
  ].join(' \\\n    ');
  return { workflowNode, item, command, request, requestError, state: state.values };
}

function App() {
  const [resource, setResource] = useState(resources[0].value);
  const opsOf = (r) => data.operations.filter((o) => o.resource === r);
  const [operation, setOperation] = useState(opsOf(resources[0].value)[0].operation);
  const [credentialUrl, setCredentialUrl] = useState('https://directus.example.com');
  const op = data.operations.find((o) => o.resource === resource && o.operation === operation) ?? opsOf(resource)[0];
  const uiSchema = useMemo(() => uiSchemaFor(op.schema), [op]);
  const transformErrors = useMemo(() => transformErrorsFor(op.schema), [op]);
  const [formData, setFormData] = useState({});
  // The input item as typed; `null` until the user edits it (the page's sample item).
  const [itemText, setItemText] = useState(null);
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

createRoot(document.getElementById('root')).render(<App />);
