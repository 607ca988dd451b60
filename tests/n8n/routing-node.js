// Runs n8n's OWN declarative engine (RoutingNode from n8n-core) on one node, so the test suite can
// check that noderun sends the same HTTP requests as n8n for the same description and parameters.
//
// stdin:  {"description": <INodeTypeDescription>, "credentialType": <ICredentialType, generic authenticate>,
//          "credentials": {...}, "parameters": {...}, "items": [<json>...], "continueOnFail": false}
// stdout: {"output": [[<items of output 0>], ...]}  or  {"error": {"message", "description", "httpCode"}}
// Several runs at once (one Node start-up for all): stdin {"shared": {<fields of every input>},
// "runs": [<input>, ...]}, stdout {"results": [<result>, ...]}, run one after the other.
// Items are {"json": ...} (null where n8n's item has json undefined) plus, for an item that
// failed under continueOnFail, "error": {...}.
// Exit code 0 whenever n8n ran (a node error is part of the JSON); non-zero only for harness bugs.
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

// n8n-core reads its settings from the environment when its services are first created: keep its
// instance folder out of the user's home, give it an encryption key, keep its logger quiet, and
// keep the `legacy` expression engine (the default `vm` one needs a native module).
const userFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'noderun-n8n-'));
process.env.N8N_USER_FOLDER = userFolder;
process.env.N8N_ENCRYPTION_KEY ??= 'noderun-test-key';
process.env.N8N_LOG_LEVEL ??= 'silent';
process.env.N8N_EXPRESSION_ENGINE = 'legacy';
// Nothing but our JSON may reach stdout.
console.log = console.info = console.debug = console.warn = (...args) => console.error(...args);

// Required relative to this file, so the script runs from any working directory.
const { RoutingNode, ExecuteContext } = require('n8n-core');
const {
  Expression,
  NodeHelpers,
  Workflow,
  createRunExecutionData,
  isExpression,
} = require('n8n-workflow');

Expression.setExpressionEngine('legacy');

// The same steps as n8n's CredentialsHelper (packages/cli/src/credentials-helper.ts), for one
// credential type whose data is given in clear.
function credentialsHelper(credentialType, credentialData) {
  return {
    getParentTypes: () => credentialType.extends ?? [],
    isCredentialUsableByNode: () => true,
    getCredentialsProperties: () => credentialType.properties,
    // Stored data with the credential type's defaults filled in (applyDefaultsAndOverwrites).
    getDecrypted: async () =>
      NodeHelpers.getNodeParameters(credentialType.properties, { ...credentialData }, true, false, null, null),
    // Generic authenticate: each key and value of headers/qs/body/auth is resolved over
    // $credentials; like n8n, a falsy result becomes '' (the entry is kept, not dropped).
    authenticate: async (credentials, typeName, requestOptions, workflow, node) => {
      const { authenticate } = credentialType;
      if (typeof authenticate !== 'object') return requestOptions;
      requestOptions.headers ??= {};
      const resolve = (value) => {
        if (!isExpression(value)) return value;
        const result = workflow.expression.getSimpleParameterValue(
          node, value, 'internal', { $credentials: credentials }, undefined, '',
        );
        return result ? result.toString() : '';
      };
      if (authenticate.type === 'generic') {
        for (const [outerKey, entries] of Object.entries(authenticate.properties)) {
          for (const [key, value] of Object.entries(entries)) {
            requestOptions[outerKey] ??= {};
            requestOptions[outerKey][resolve(key)] = resolve(value);
          }
        }
      }
      return requestOptions;
    },
    // n8n's returns undefined unless the type has an expirable hidden property; it exists, so
    // n8n-core re-authenticates and re-sends a request answered 401 (authentication.js).
    preAuthentication: async () => undefined,
    runPreAuthentication: async () => undefined,
    updateCredentials: async () => {},
    updateCredentialsOauthTokenData: async () => {},
  };
}

// An error as the test sees it (NodeApiError / NodeOperationError carry these three fields).
function errorJson(error) {
  return {
    message: error?.message ?? String(error),
    description: error?.description ?? null,
    httpCode: error?.httpCode ?? null,
  };
}

async function run(input) {
  const { description, credentialType, credentials, parameters, items, continueOnFail } = input;
  const nodeType = { description };
  const nodeTypes = {
    getByName: () => nodeType,
    getByNameAndVersion: () => nodeType,
    getKnownTypes: () => ({}),
  };
  const node = {
    id: 'node-under-test',
    name: description.defaults?.name ?? description.displayName,
    type: description.name,
    typeVersion: Array.isArray(description.version) ? description.version.at(-1) : description.version,
    position: [0, 0],
    parameters: parameters ?? {},
    credentials: { [credentialType.name]: { id: '1', name: credentialType.displayName } },
    ...(continueOnFail ? { onError: 'continueRegularOutput' } : {}),
  };
  // The Workflow constructor fills in the node's default parameters, as in n8n.
  const workflow = new Workflow({
    id: 'test', name: 'test', nodes: [node], connections: {}, active: false, nodeTypes, settings: {},
  });
  const workflowNode = workflow.getNode(node.name);

  const additionalData = {
    credentialsHelper: credentialsHelper(credentialType, credentials ?? {}),
    executionId: 'test',
    restApiUrl: 'http://localhost:5678/rest',
    instanceBaseUrl: 'http://localhost:5678/',
    webhookBaseUrl: 'http://localhost:5678/webhook',
    webhookWaitingBaseUrl: 'http://localhost:5678/webhook-waiting',
    webhookTestBaseUrl: 'http://localhost:5678/webhook-test',
    formWaitingBaseUrl: 'http://localhost:5678/form-waiting',
    variables: {},
    currentNodeParameters: undefined,
  };

  const inputItems = (items ?? []).map((json) => ({ json }));
  const inputData = { main: [inputItems] };
  const executeData = { node: workflowNode, data: inputData, source: { main: [null] } };
  const runExecutionData = createRunExecutionData({
    executionData: { nodeExecutionStack: [executeData] },
  });
  const mode = 'manual';
  const context = new ExecuteContext(
    workflow, workflowNode, additionalData, mode, runExecutionData, 0, inputItems, inputData,
    executeData, [], new AbortController().signal,
  );

  try {
    // What n8n does for a node without an execute method (WorkflowExecute.executeDeclarativeNodeInTest).
    const output = await new RoutingNode(context, nodeType).runNode();
    return {
      output: (output ?? []).map((outputItems) =>
        (outputItems ?? []).map((item) => ({
          json: item.json ?? null, // undefined (e.g. rootProperty missing in the response) as null
          ...(item.binary ? { binary: item.binary } : {}),
          ...(item.error ? { error: errorJson(item.error) } : {}),
        })),
      ),
    };
  } catch (error) {
    return { error: errorJson(error) };
  }
}

let stdin = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => (stdin += chunk));
process.stdin.on('end', () => {
  Promise.resolve()
    .then(async () => {
      const input = JSON.parse(stdin);
      if (!Array.isArray(input.runs)) return run(input);
      const results = [];
      for (const one of input.runs) results.push(await run({ ...input.shared, ...one }));
      return { results };
    })
    .then((result) => {
      process.stdout.write(JSON.stringify(result) + '\n', () => {
        fs.rmSync(userFolder, { recursive: true, force: true });
        process.exit(0); // n8n-core may leave timers or sockets open
      });
    })
    .catch((error) => {
      console.error(error);
      fs.rmSync(userFolder, { recursive: true, force: true });
      process.exit(2);
    });
});
