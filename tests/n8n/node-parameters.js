// Reads {"description": <INodeTypeDescription>, "cases": [<parameter values>...]} on stdin and
// prints, for each case, what n8n's own NodeHelpers.getNodeParameters keeps (visible parameters,
// defaults filled): the reference noderun's displayOptions resolution is compared with.
const { NodeHelpers } = require('n8n-workflow');

let input = '';
process.stdin.on('data', (chunk) => (input += chunk));
process.stdin.on('end', () => {
  const { description, cases } = JSON.parse(input);
  const results = cases.map((values) =>
    NodeHelpers.getNodeParameters(description.properties, values, true, false, { typeVersion: 1 }, description),
  );
  process.stdout.write(JSON.stringify(results));
});
