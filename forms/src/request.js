// What a form's data means to noderun, computed in the page: the parameters noderun resolves
// (n8n's getNodeParameters: shown parameters only, defaults filled) and the request a dry run
// prints, built from the node description's declarative routing exactly as the executor does
// (crates/executor/src/plan.rs). Which properties are shown comes from noderun itself: the page
// data holds, per operation, every switch state with the indices of the properties it shows.

/** The state (switch values and shown property indices) the form data is in. */
export function currentState(op, properties, data) {
  const valueOf = (name) => {
    if (data[name] !== undefined && data[name] !== null) return data[name];
    const p = properties.find((q) => q.name === name && q.type !== 'collection');
    return p ? p.default : undefined;
  };
  return (
    op.states.find((s) => Object.entries(s.values).every(([k, v]) => valueOf(k) === v)) ?? op.states[0]
  );
}

function simpleValue(p, given) {
  if (given !== undefined && (['boolean', 'number', 'options'].includes(p.type) || given !== null)) {
    return given;
  }
  return p.default;
}

function resolveLevel(properties, values, parent) {
  const out = {};
  for (const p of properties) {
    const given = values?.[p.name];
    if (given === undefined && parent === 'collection') continue;
    out[p.name] = resolveOne(p, given);
  }
  return out;
}

function resolveOne(p, given) {
  const multiple = p.typeOptions?.multipleValues === true;
  if (p.type === 'collection') {
    if (multiple) return given ?? (Array.isArray(p.default) ? p.default : []);
    if (given === undefined) return p.default;
    return resolveLevel(p.options ?? [], given, 'collection');
  }
  if (p.type === 'fixedCollection') {
    const groups = given ?? p.default;
    const out = {};
    for (const [name, value] of Object.entries(groups ?? {})) {
      const group = (p.options ?? []).find((g) => g.name === name);
      if (!group) continue;
      if (multiple) {
        out[name] = (Array.isArray(value) ? value : []).map((e) => resolveLevel(group.values, e, 'fixed'));
      } else {
        const resolved = resolveLevel(group.values, value, 'fixed');
        if (Object.keys(resolved).length > 0) out[name] = resolved;
      }
    }
    return out;
  }
  return simpleValue(p, given);
}

/** The parameters noderun resolves from the form data (shown properties, defaults filled). */
export function effectiveParameters(properties, state, data) {
  const out = {};
  for (const i of state.visible) {
    const p = properties[i];
    if (p.type === 'notice') continue;
    out[p.name] = resolveOne(p, data[p.name]);
  }
  return out;
}

function getPath(value, path) {
  let current = value;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = current[part];
  }
  return current;
}

const codeCache = new Map();

/** Evaluates an n8n expression (`={{ … }}`, possibly mixed with text); `undefined` stays undefined. */
export function evaluate(source, scope) {
  const body = source.slice(1);
  const segments = [];
  let rest = body;
  for (let start = rest.indexOf('{{'); start !== -1; start = rest.indexOf('{{')) {
    if (start > 0) segments.push({ text: rest.slice(0, start) });
    const end = rest.indexOf('}}', start + 2);
    if (end === -1) throw new Error(`'{{' without a matching '}}' in ${source}`);
    segments.push({ code: rest.slice(start + 2, end) });
    rest = rest.slice(end + 2);
  }
  if (rest) segments.push({ text: rest });
  const run = (code) => {
    if (!codeCache.has(code)) {
      // eslint-disable-next-line no-new-func
      codeCache.set(
        code,
        new Function('$value', '$parameter', '$credentials', '$self', '$json', '$itemIndex', '$request', '$response', `return (${code});`),
      );
    }
    return codeCache.get(code)(scope.value, scope.parameter, scope.credentials, scope.self, scope.json ?? {}, 0, scope.request, scope.response);
  };
  if (segments.length === 1 && segments[0].code !== undefined) return run(segments[0].code);
  return segments
    .map((s) => {
      if (s.text !== undefined) return s.text;
      const v = run(s.code);
      if (v === undefined || v === null) return '';
      return typeof v === 'object' ? JSON.stringify(v) : String(v);
    })
    .join('');
}

function resolve(value, scope) {
  if (typeof value === 'string' && value.startsWith('=')) return evaluate(value, scope);
  if (Array.isArray(value)) return value.map((v) => resolve(v, scope) ?? null);
  if (value !== null && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) {
      const r = resolve(v, scope);
      if (r !== undefined) out[k] = r;
    }
    return out;
  }
  return value;
}

function merge(target, source) {
  if (target && source && typeof target === 'object' && typeof source === 'object' && !Array.isArray(target) && !Array.isArray(source)) {
    for (const [k, v] of Object.entries(source)) {
      target[k] = k in target ? merge(target[k], v) : v;
    }
    return target;
  }
  return source;
}

function setPath(target, path, value) {
  const parts = path.split('.');
  let current = target;
  for (let i = 0; i < parts.length; i += 1) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return;
    if (i === parts.length - 1) {
      current[parts[i]] = value;
    } else {
      if (!(parts[i] in current)) current[parts[i]] = {};
      current = current[parts[i]];
    }
  }
}

function collect(p, values, parent, into) {
  if (values[p.name] === undefined) return;
  const path = [...parent, p.name];
  const self = parent.length > 0 ? parent : null;
  const { steps } = into;
  if (p.type === 'json') into.json.push(path);
  if (p.routing) steps.push({ routing: p.routing, path, self });
  // n8n: `Object.assign(requestOperations, routing.operations)`: the last one shown wins.
  if (p.routing?.operations?.pagination) into.pagination = p.routing.operations.pagination;
  if (p.type === 'options') {
    const choice = (p.options ?? []).find((c) => c.value === values[p.name]);
    if (choice?.routing) steps.push({ routing: choice.routing, path, self });
  } else if (p.type === 'collection' && values[p.name] && typeof values[p.name] === 'object' && !Array.isArray(values[p.name])) {
    for (const sub of p.options ?? []) collect(sub, values[p.name], path, into);
  }
}

const encodeRfc3986 = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function pushQuery(parts, key, value) {
  if (value === null) parts.push(`${encodeRfc3986(key)}=`);
  else if (Array.isArray(value)) value.forEach((v, i) => pushQuery(parts, `${key}[${i}]`, v));
  else if (typeof value === 'object') Object.entries(value).forEach(([k, v]) => pushQuery(parts, `${key}[${k}]`, v));
  else parts.push(`${encodeRfc3986(key)}=${encodeRfc3986(String(value))}`);
}

function joinUrl(base, url) {
  if (url.startsWith('http://') || url.startsWith('https://')) return url;
  if (!url) return base;
  return `${base.replace(/\/+$/, '')}/${url.replace(/^\/+/, '')}`;
}

/**
 * The request `noderun run --dry-run` plans for these parameters: `{method, url, body, files}`,
 * `files` being the multipart file parts (`routing.request.multipart`) as `[field, binary
 * property of the item]` pairs (`uploads` turns them into what the dry run prints).
 * `jsonKinds(path)` lists what a JSON parameter may hold (`object`, `array`: the types of its
 * schema besides `string`). Throws with noderun's reason when a JSON text does not hold one.
 * A paged operation (n8n's `routing.operations.pagination`) prints its first page's request.
 * `json` is the input item's json (`$json`).
 */
export function dryRunRequest(node, state, parameters, credentials, jsonKinds, json = {}) {
  const properties = node.properties;
  const resolved = structuredClone(parameters);
  const into = { steps: [], json: [], pagination: null };
  for (const i of state.visible) collect(properties[i], parameters, [], into);
  for (const path of into.json) parseJsonParameter(resolved, path, jsonKinds(path));
  const { steps } = into;
  const defaults = resolve(node.requestDefaults ?? {}, { credentials });
  const options = {
    method: 'GET',
    baseURL: defaults.baseURL ?? '',
    url: '',
    qs: {},
    headers: { ...(defaults.headers ?? {}) },
    body: {},
  };
  // Insertion order of a Map, a field given again moves to the end: as plan.rs keeps them.
  const files = new Map();
  let paginate;
  for (const step of steps) {
    const scope = {
      value: getPath(resolved, step.path),
      self: step.self ? getPath(resolved, step.self) : undefined,
      parameter: resolved,
      credentials,
      json,
    };
    const { request, send } = step.routing;
    if (request) {
      const r = resolve(request, scope);
      for (const [k, v] of Object.entries(r)) {
        if (k === 'method') options.method = v;
        else if (k === 'url') options.url = typeof v === 'string' ? v : '';
        else if (k === 'baseURL') options.baseURL = typeof v === 'string' ? v : '';
        else if (k === 'qs' || k === 'headers') options[k] = merge(options[k], v);
        else if (k === 'body') options.body = merge(options.body, v);
        else if (k === 'multipart' && v && typeof v === 'object' && !Array.isArray(v)) {
          for (const [field, property] of Object.entries(v)) {
            files.delete(field);
            files.set(field, typeof property === 'string' ? property : JSON.stringify(property));
          }
        }
      }
    }
    // n8n keeps the first decision: `paginate ?? source.paginate`.
    if (send?.paginate !== undefined && paginate === undefined) paginate = Boolean(resolve(send.paginate, scope));
    if (send?.property !== undefined) {
      const property = String(resolve(send.property, scope) ?? '');
      const value = send.value !== undefined ? resolve(send.value, scope) : scope.value;
      if (value !== undefined) {
        if (send.type === 'query') options.qs[property] = value;
        else if (send.propertyInDotNotation === false) options.body[property] = value;
        else setPath(options.body, property, value);
      } else if (send.type === 'query' && !(property in options.qs)) {
        // n8n sets the key to `undefined`: not sent, but it keeps its place in the query for a
        // value set later (plan.rs `undefined_qs`).
        options.qs[property] = undefined;
      }
    }
  }
  if (paginate && into.pagination) firstPage(options, into.pagination, { parameter: resolved, credentials, json });
  let url = joinUrl(options.baseURL, options.url);
  const parts = [];
  for (const [k, v] of Object.entries(options.qs)) if (v !== undefined) pushQuery(parts, k, v);
  if (parts.length > 0) url += (url.includes('?') ? '&' : '?') + parts.join('&');
  const emptyBody = options.body && typeof options.body === 'object' && !Array.isArray(options.body) && Object.keys(options.body).length === 0;
  const body = ['GET', 'HEAD'].includes(options.method) || (emptyBody && files.size === 0) ? null : options.body;
  return { method: options.method, url, body, files: [...files] };
}

// The file extension noderun gives a file part without a `fileName` (binary.rs `extension_for`).
const EXTENSIONS = {
  'image/png': '.png', 'image/jpeg': '.jpg', 'image/gif': '.gif', 'image/webp': '.webp', 'image/avif': '.avif',
  'image/tiff': '.tiff', 'image/svg+xml': '.svg', 'application/pdf': '.pdf', 'application/json': '.json',
  'text/csv': '.csv', 'text/plain': '.txt', 'text/xml': '.xml', 'application/xml': '.xml', 'text/yaml': '.yaml',
  'application/yaml': '.yaml', 'application/x-yaml': '.yaml', 'text/html': '.html', 'application/zip': '.zip',
};

/** The size of base64 text (whitespace allowed, as noderun allows it); throws when it is not base64. */
function base64Bytes(text, property) {
  const compact = text.replace(/[\t\n\f\r ]/g, '');
  const bad = compact.search(/[^A-Za-z0-9+/=]|=[^=]|={3}/);
  if (bad !== -1 || compact.length % 4 !== 0) {
    const why = bad !== -1 ? `'${compact[bad]}' at character ${bad + 1} is not a base64 character` : 'its length is not a multiple of 4';
    throw new Error(`Item 0: binary property '${property}': \`data\` is not valid base64 (${why})`);
  }
  const padding = compact.endsWith('==') ? 2 : compact.endsWith('=') ? 1 : 0;
  return (compact.length / 4) * 3 - padding;
}

/**
 * The `files` a dry run prints for the planned file parts (binary.rs `uploads` + `describe`):
 * field → `{fileName, mimeType, bytes}` of the input item's binary property; throws noderun's
 * message when the item lacks it. A `path` (binary directory) is not readable from the page.
 */
export function uploads(files, item) {
  const out = {};
  for (const [field, property] of files) {
    const binary = item?.binary && typeof item.binary === 'object' ? item.binary : {};
    const data = binary[property];
    if (!data || typeof data !== 'object') {
      const has = Object.keys(binary);
      const what = has.length > 0 ? `its binary properties are: ${has.join(', ')}` : 'it has no binary data';
      throw new Error(`Item 0 has no binary property '${property}' (binaryPropertyName); ${what}`);
    }
    if (typeof data.data !== 'string') {
      throw new Error(`Item 0: binary property '${property}' needs \`data\` (base64) here: the page cannot read a \`path\``);
    }
    const bytes = base64Bytes(data.data, property);
    const mimeType = data.mimeType ?? 'application/octet-stream';
    const fileName = data.fileName ?? `${property}${EXTENSIONS[mimeType.split(';')[0].trim()] ?? ''}`;
    out[field] = { fileName, mimeType, bytes };
  }
  return out;
}

const SAMPLE_FILE = '[{"title": "Sample"}]\n';

/**
 * The input item the page starts with: `{}`, or, when the request uploads (multipart file
 * parts), an item whose binary properties the parts name hold a small JSON file.
 */
export function sampleItem(files) {
  if (files.length === 0) return {};
  const file = { data: btoa(SAMPLE_FILE), mimeType: 'application/json', fileName: 'sample.json' };
  return { json: {}, binary: Object.fromEntries(files.map(([, property]) => [property, { ...file }])) };
}

/** The first page of a paged request, as n8n's RoutingNode makes it. */
function firstPage(options, pagination, scope) {
  const p = pagination.properties;
  if (pagination.type === 'offset') {
    if (p.type === 'body' && (options.body === null || typeof options.body !== 'object' || Array.isArray(options.body))) {
      options.body = {};
    }
    const target = p.type === 'body' ? options.body : options.qs;
    target[p.limitParameter] = p.pageSize;
    target[p.offsetParameter] = 0;
  } else if (pagination.type === 'generic') {
    const request = { method: options.method, baseURL: options.baseURL, url: options.url, qs: options.qs, headers: options.headers, body: options.body };
    const r = resolve(p.request ?? {}, { ...scope, request, response: {} });
    // `{...options, ...r}`: each key given replaces the option whole.
    for (const [k, v] of Object.entries(r)) {
      if (k === 'qs' || k === 'headers') options[k] = v && typeof v === 'object' ? v : {};
      else if (k === 'body') options.body = v;
      else if (k === 'method') options.method = v;
      else if (k === 'url' || k === 'baseURL') options[k] = typeof v === 'string' ? v : '';
    }
  }
}

const KIND_NAMES = { object: 'a JSON object', array: 'a JSON array' };

function parseJsonParameter(parameters, path, kinds) {
  const name = path.join('.');
  let holder = parameters;
  for (const key of path.slice(0, -1)) holder = holder?.[key];
  const key = path[path.length - 1];
  if (!holder || typeof holder[key] !== 'string') return;
  const text = holder[key];
  const expected = kinds.map((k) => KIND_NAMES[k] ?? k).join(' or ');
  if (text.trim() === '') throw new Error(`Missing required parameter: ${name} (it is empty; expected ${expected})`);
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`Parameter '${name}' must be ${expected}; got text that is not valid JSON (${e.message})`);
  }
  const kind = Array.isArray(parsed) ? 'array' : parsed !== null && typeof parsed === 'object' ? 'object' : 'other';
  if (!kinds.includes(kind)) throw new Error(`Parameter '${name}' must be ${expected}; got ${JSON.stringify(parsed)}`);
  holder[key] = parsed;
}
