// noderun's n8n expression runtime: the data scope an expression's free identifiers resolve in
// (`$json`, `$input`, `$('Node')`, `$now`, JSON, Math, ...), the helpers the compiler's code
// calls, and the entry point the Rust side calls per evaluation. Our own code, written from n8n's
// documented and observed behaviour.
'use strict';

(function (N) {
  const host = globalThis.__host;
  const { ExpressionError, ExpressionExtensionError } = N;
  const indirectEval = globalThis.eval;

  // ---- lazily loaded libraries (vendored, pinned; see js/vendor/README.md) ----------------------
  const loaded = new Map();
  N.library = function (name) {
    let lib = loaded.get(name);
    if (lib === undefined) {
      const source = host.library(name);
      const factory = indirectEval(`(function (exports, module) {\n${source}\n;return typeof luxon !== 'undefined' ? luxon : module.exports;\n})`);
      const exports = {};
      lib = factory(exports, { exports });
      loaded.set(name, lib);
      if (name === 'luxon') {
        lib.Settings.defaultZone = state.context ? state.context.timezone : 'America/New_York';
        lib.Settings.throwOnInvalid = false;
      }
    }
    return lib;
  };
  N.luxon = () => N.library('luxon');

  // ---- helpers the compiled code calls ---------------------------------------------------------
  N.segment = (v) => (v || v === 0 || v === false ? v : '');

  // The object of a member access: refused with its path when undefined or null (n8n gives
  // `undefined` for the whole segment instead).
  N.defined = function (value, path, property) {
    if (value === undefined || value === null) {
      const what = property === null ? 'a property' : `"${property}"`;
      throw new TypeError(`${path} is ${value} (cannot read ${what})`);
    }
    return value;
  };

  // An optional chain holding an extension call, link by link: [0, key(), optional, path]
  // computed member, [1, name, optional, path] member, [2, args(), optional, path] call,
  // [3, name, args(), optional member, optional call, path] extension call.
  N.chain = function (value, ops) {
    let receiver;
    for (const op of ops) {
      switch (op[0]) {
        case 0:
        case 1: {
          if (value === undefined || value === null) {
            if (op[2]) return undefined;
            N.defined(value, op[3], op[0] === 1 ? op[1] : null);
          }
          receiver = value;
          value = value[op[0] === 0 ? op[1]() : op[1]];
          break;
        }
        case 2: {
          if ((value === undefined || value === null) && op[2]) return undefined;
          if (typeof value !== 'function') throw new TypeError(`${op[3]} is not a function`);
          value = value.apply(receiver, op[1]());
          receiver = undefined;
          break;
        }
        case 3: {
          if ((value === undefined || value === null) && op[3]) return undefined;
          if (op[4]) {
            const fn = N.findExtension(value, op[1]);
            if (!fn) return undefined;
            value = fn(op[2]());
          } else {
            value = N.extend(value, op[1], op[2](), op[5]);
          }
          receiver = undefined;
          break;
        }
      }
    }
    return value;
  };

  // ---- the state of one evaluation ----------------------------------------------------------
  // Set by `N.run` for each evaluation: the item, its index and the run's context.
  const state = {
    context: null,
    itemIndex: 0,
    jsonText: undefined,
    json: undefined,
    extraText: undefined,
    extra: undefined,
    locals: null,
    now: undefined,
  };
  const contexts = new Map();

  function context() {
    if (!state.context) throw new ExpressionError('No execution data available');
    return state.context;
  }
  function currentJson() {
    if (state.json === undefined) state.json = state.jsonText === undefined ? {} : JSON.parse(state.jsonText);
    return state.json;
  }
  // The current item's binary and pairedItem (as read from the input).
  function currentExtra() {
    if (state.extra === undefined) state.extra = state.extraText === undefined ? {} : JSON.parse(state.extraText);
    return state.extra;
  }
  function withoutData(binary) {
    const out = {};
    for (const key of Object.keys(binary || {})) {
      out[key] = {};
      for (const property in binary[key]) if (property !== 'data') out[key][property] = binary[key][property];
    }
    return out;
  }

  // ---- nodes, items and paired items --------------------------------------------------------
  function node(name) {
    const ctx = context();
    const n = ctx.nodes[name];
    if (!n) throw new ExpressionError("Referenced node doesn't exist");
    return n;
  }
  // The items a node output on the branch that leads to the active node: the input for the
  // node before it, `--node-output` for the others.
  function output(name) {
    const ctx = context();
    if (!ctx.outputs.has(name)) {
      let items;
      if (name === ctx.previous) items = inputItems();
      else {
        const text = host.nodeOutput(ctx.id, name);
        items = text === undefined ? undefined : JSON.parse(text);
      }
      ctx.outputs.set(name, items);
    }
    return ctx.outputs.get(name);
  }
  function executed(name) {
    const ctx = context();
    if (name === ctx.previous || output(name) !== undefined) return true;
    if (!ctx.ancestors.includes(name)) return false;
    throw new ExpressionError(
      `noderun needs the items node '${name}' output: give them with --node-output '${name}=FILE' (NDJSON or a JSON array, as n8n or noderun wrote them)`,
    );
  }
  function ensureExecuted(name) {
    if (!executed(name)) throw new ExpressionError(`Node '${name}' hasn't been executed`);
  }
  function inputItems() {
    const ctx = context();
    if (ctx.input === undefined) {
      const text = host.inputItems(ctx.id);
      if (text === undefined) throw new ExpressionError('noderun did not keep the input items: this expression needs them all');
      ctx.input = JSON.parse(text);
    }
    return ctx.input;
  }
  // The active node's input items as n8n gives them to expressions (`pairedItem` is the item's
  // position in the input).
  function inputItem(index) {
    if (index === state.itemIndex) {
      const extra = currentExtra();
      const item = { json: currentJson() };
      if (extra.binary !== undefined) item.binary = extra.binary;
      item.pairedItem = { item: index };
      return item;
    }
    const items = inputItems();
    if (index < 0 || index >= items.length) return undefined;
    return Object.assign({}, items[index], { pairedItem: { item: index } });
  }
  // The `pairedItem` the input item carried (its link into the previous node's input).
  function lineage(index) {
    if (index === state.itemIndex) return currentExtra().pairedItem;
    const items = inputItems();
    return items[index] ? items[index].pairedItem : undefined;
  }

  const normalizePaired = (p) => (p === null || p === undefined ? [] : (Array.isArray(p) ? p : [p]).map((x) => (typeof x === 'number' ? { item: x } : x)));

  // Follows paired items from the active node's input item `index` back to node `target`, as
  // n8n does: the first hop is the previous node's output item at the input position.
  function pairedItem(target, index, method) {
    const ctx = context();
    const missing = (name) =>
      new ExpressionError(`Paired item data for ${method} from node '${name}' is unavailable. Ensure '${name}' is providing the required output.`);
    const walk = (source, paired, memo) => {
      const name = source.previousNode;
      const key = `${name}:${paired.item}`;
      if (memo.has(key)) return memo.get(key);
      let item;
      if (name === ctx.previous) {
        if (paired.item === state.itemIndex) {
          const extra = currentExtra();
          item = { json: currentJson() };
          if (extra.binary !== undefined) item.binary = extra.binary;
          if (extra.pairedItem !== undefined) item.pairedItem = extra.pairedItem;
        } else {
          item = inputItems()[paired.item];
        }
      } else {
        executed(name);
        const items = output(name);
        if (items === undefined) throw new ExpressionError(`Node '${name}' hasn't been executed`);
        item = items[paired.item];
      }
      if (item === undefined) throw missing(name);
      if (name === target) {
        memo.set(key, item);
        return item;
      }
      const next = normalizePaired(item.pairedItem);
      if (next.length === 0) throw missing(name);
      const sources = ctx.sources[name] || [];
      const results = [];
      const errors = [];
      for (const p of next) {
        const input = p.input || 0;
        if (input >= sources.length) continue;
        try {
          results.push(walk(sources[input], p, memo));
        } catch (e) {
          errors.push(e);
        }
      }
      if (results.length === 0) {
        if (errors.length) throw errors[0];
        if (sources.length === 0) throw new ExpressionError('Invalid expression');
        throw new ExpressionError('Branch not found');
      }
      if (results.some((r) => r !== results[0])) throw new ExpressionError('Multiple matches found');
      memo.set(key, results[0]);
      return results[0];
    };
    if (!ctx.previous) throw new ExpressionError('Can’t get data for expression');
    return walk({ previousNode: ctx.previous }, { item: index }, new Map());
  }

  function nodeProxy(name, fullItem) {
    const ctx = context();
    if (!name) {
      name = ctx.previous;
      if (!name) throw new ExpressionError('When calling $(), please specify a node');
    }
    node(name);
    const items = (branch, run) => {
      ensureExecuted(name);
      if (branch !== undefined && branch !== null && branch !== (ctx.branches[name] || 0)) {
        throw new ExpressionError(`noderun has only the output of '${name}' that leads to '${ctx.node.name}' (branch ${ctx.branches[name] || 0}), not branch ${branch}`);
      }
      if (run !== undefined && run !== null && run !== 0 && run !== -1) throw new ExpressionError(`Run ${run} of node "${name}" not found`);
      return output(name);
    };
    const paired = (method) => (index) => {
      if (index === undefined) {
        if (method === 'itemMatching') throw new ExpressionError('Missing item index for .itemMatching()');
        index = state.itemIndex;
      }
      if (!ctx.ancestors.includes(name)) throw new ExpressionError('Invalid expression');
      ensureExecuted(name);
      return pairedItem(name, index, method);
    };
    return {
      get isExecuted() {
        try {
          return executed(name);
        } catch (e) {
          return false;
        }
      },
      get item() {
        return paired('item')();
      },
      pairedItem: paired('pairedItem'),
      itemMatching: paired('itemMatching'),
      first(branch, run) {
        const list = items(branch, run);
        return list[0] ? list[0] : undefined;
      },
      last(branch, run) {
        const list = items(branch, run);
        return list.length && list[list.length - 1] ? list[list.length - 1] : undefined;
      },
      all(branch, run) {
        return items(branch, run);
      },
      get params() {
        return ctx.nodes[name].parameters;
      },
      get context() {
        throw new ExpressionError(`$('${name}').context (a node's static data) is not available in noderun`);
      },
    };
  }

  // `$node["Name"]`: the item at the current index of the node's output.
  function legacyNode(name) {
    node(name);
    const ctx = context();
    const pick = () => {
      ensureExecuted(name);
      const items = output(name);
      if (items.length <= state.itemIndex) {
        throw new ExpressionError(`"${name}" node has ${items.length} item(s) but you're trying to access item ${state.itemIndex}`);
      }
      return items[state.itemIndex];
    };
    return {
      get json() {
        return pick().json;
      },
      get data() {
        return pick().json;
      },
      get binary() {
        return withoutData(pick().binary);
      },
      get parameter() {
        return parameters(name, true);
      },
      get runIndex() {
        return output(name) === undefined ? -1 : 0;
      },
      get context() {
        throw new ExpressionError(`$node["${name}"].context (a node's static data) is not available in noderun`);
      },
    };
  }

  // A node's parameters; expressions among them resolved for the current item when `resolve`.
  function parameters(name, resolve) {
    const params = context().nodes[name].parameters || {};
    return new Proxy(params, {
      get(target, key) {
        if (typeof key !== 'string' || !Object.prototype.hasOwnProperty.call(target, key)) return undefined;
        let value = target[key];
        if (value !== null && typeof value === 'object' && value.__rl === true) value = value.value;
        if (value === `={{ $parameter.${key} }}`) return undefined;
        if (resolve && typeof value === 'string' && value.charAt(0) === '=') return N.evaluateNested(value.slice(1));
        return value;
      },
    });
  }

  function input() {
    const ctx = context();
    const guard = (what) => (...args) => {
      if (args.length) {
        throw new ExpressionError(`$input.${what}() takes no arguments. To get items from a specific upstream node, use $('NodeName').${what}() (or $('NodeName').all() for every item).`);
      }
      const items = inputItems();
      const item = what === 'first' ? items[0] : items[items.length - 1];
      return item ? inputItem(what === 'first' ? 0 : items.length - 1) : undefined;
    };
    return {
      get item() {
        return inputItem(state.itemIndex);
      },
      all: () => inputItems().map((_, i) => inputItem(i)),
      first: guard('first'),
      last: guard('last'),
      get params() {
        return ctx.previous ? ctx.nodes[ctx.previous].parameters : undefined;
      },
      get context() {
        throw new ExpressionError('$input.context (a node\'s static data) is not available in noderun');
      },
    };
  }

  function jmespath(data, query) {
    if (typeof data !== 'object' || typeof query !== 'string') {
      throw new ExpressionError('expected two arguments (Object, string) for this function');
    }
    const unsafe = [...'__proto__ prototype constructor getPrototypeOf setPrototypeOf getOwnPropertyDescriptor getOwnPropertyDescriptors defineProperty defineProperties mainModule binding _linkedBinding _load prepareStackTrace __lookupGetter__ __lookupSetter__ __defineGetter__ __defineSetter__ caller callee arguments getBuiltinModule dlopen execve loadEnvFile'.split(' ')];
    if (query.includes('\\') || unsafe.some((p) => new RegExp(`\\b${p.replace(/[$]/g, '\\$')}\\b`).test(query))) {
      throw new ExpressionError('Cannot access this property in a jmespath query due to security concerns');
    }
    const lib = N.library('jmespath');
    return lib.search(!Array.isArray(data) && data !== null ? Object.assign({}, data) : data, query);
  }

  // ---- the sandboxed globals ------------------------------------------------------------------
  const safeObject = new Proxy(Object, {
    get(target, key, receiver) {
      if (['defineProperty', 'defineProperties', 'setPrototypeOf', 'getPrototypeOf', 'getOwnPropertyDescriptor',
        'getOwnPropertyDescriptors', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__'].includes(key)) return undefined;
      if (key === 'create') return (proto) => Object.create(proto);
      return Reflect.get(target, key, receiver);
    },
    defineProperty: () => false,
  });
  const safeError = (E) =>
    new Proxy(E, {
      get(target, key, receiver) {
        if (['captureStackTrace', 'prepareStackTrace', 'stackTraceLimit', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__'].includes(key)) return undefined;
        return Reflect.get(target, key, receiver);
      },
      set: () => false,
      defineProperty: () => false,
    });

  const DENIED = ['document', 'global', 'window', 'Window', 'this', 'globalThis', 'self', 'alert', 'prompt', 'confirm', 'eval',
    'uneval', 'setTimeout', 'setInterval', 'setImmediate', 'clearImmediate', 'queueMicrotask', 'Function', 'require', 'module',
    'Buffer', '__dirname', '__filename', 'fetch', 'XMLHttpRequest', 'Promise', 'Generator', 'GeneratorFunction', 'AsyncFunction',
    'AsyncGenerator', 'AsyncGeneratorFunction', 'WebAssembly', 'Reflect', 'Proxy', 'escape', 'unescape'];
  const G = globalThis;
  const fixed = Object.create(null);
  for (const name of DENIED) fixed[name] = {};
  for (const name of ['__lookupGetter__', '__lookupSetter__', '__defineGetter__', '__defineSetter__']) fixed[name] = undefined;
  Object.assign(fixed, {
    Date: G.Date, Object: safeObject, Array: G.Array, Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array,
    Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array, Map, WeakMap, Set, WeakSet,
    Error: safeError(Error), TypeError: safeError(TypeError), SyntaxError: safeError(SyntaxError), EvalError: safeError(EvalError),
    RangeError: safeError(RangeError), ReferenceError: safeError(ReferenceError), URIError: safeError(URIError),
    Intl: G.Intl, String: G.String, RegExp: G.RegExp, Math: G.Math, Number: G.Number, BigInt: G.BigInt, Infinity: Infinity,
    NaN: NaN, isFinite: Number.isFinite, isNaN: Number.isNaN, parseFloat, parseInt, JSON: G.JSON, ArrayBuffer,
    SharedArrayBuffer: typeof SharedArrayBuffer !== 'undefined' ? SharedArrayBuffer : {}, Atomics: typeof Atomics !== 'undefined' ? Atomics : {},
    DataView, encodeURI, encodeURIComponent, decodeURI, decodeURIComponent, Boolean: G.Boolean, Symbol: G.Symbol,
    __sanitize: N.sanitize,
  });
  const process = { arch: 'x64', platform: 'linux', pid: 0, ppid: 0, release: { name: 'node' }, version: 'v20.0.0', versions: {} };

  function ifEmpty(value, defaultValue) {
    if (arguments.length !== 2) throw new ExpressionError('expected two arguments (value, defaultValue) for this function');
    if (value === undefined || value === null || value === '') return defaultValue;
    if (typeof value === 'object') {
      if (Array.isArray(value) && !value.length) return defaultValue;
      if (!Object.keys(value).length) return defaultValue;
    }
    return value;
  }
  const average = (...args) => N.extensions.Array.average(args, []);
  const numberList = (start, end) => {
    const size = Math.abs(start - end) + 1;
    const list = new Array(size);
    let current = start;
    for (let i = 0; i < size; i++) list[i] = start < end ? current++ : current--;
    return list;
  };
  const zip = (keys, values) => {
    if (!Array.isArray(keys) || !Array.isArray(values)) throw new ExpressionExtensionError('keys and values must be arrays');
    if (keys.length !== values.length) throw new ExpressionExtensionError('keys and values not of equal length');
    const out = {};
    for (let i = 0; i < keys.length; i++) Object.defineProperty(out, keys[i], { value: values[i], writable: true, enumerable: true, configurable: true });
    return out;
  };
  Object.assign(fixed, {
    min: Math.min, max: Math.max, not: (v) => !v, average, numberList, zip,
    $min: Math.min, $max: Math.max, $average: average, $not: (v) => !v, $ifEmpty: ifEmpty,
  });

  // The names whose values depend on the evaluation.
  const dynamic = {
    $json: currentJson,
    $data: currentJson,
    $binary: () => withoutData(currentExtra().binary),
    $input: input,
    $: () => nodeProxy,
    $node: () => new Proxy({}, { get: (_, name) => (typeof name === 'string' ? legacyNode(name) : undefined) }),
    $items: () => (name, outputIndex, runIndex) => {
      const ctx = context();
      if (name === undefined) return inputItems().map((_, i) => inputItem(i));
      node(name);
      ensureExecuted(name);
      if (outputIndex && outputIndex !== (ctx.branches[name] || 0)) {
        throw new ExpressionError(`noderun has only the output of '${name}' that leads to '${ctx.node.name}'`);
      }
      if (runIndex !== undefined && runIndex !== 0 && runIndex !== -1) throw new ExpressionError(`Run ${runIndex} of node "${name}" not found`);
      return output(name);
    },
    $item: () => () => {
      throw new ExpressionError('$item() (a legacy way to read another item) is not available in noderun: use $input.all()[i] or $(\'Node\').all()[i]');
    },
    $parameter: () => parameters(context().node.name, true),
    // What a definition's routing expressions see: the HTTP response(s) and the request options.
    $response: () => currentExtra().response,
    $request: () => currentExtra().request,
    $rawParameter: () => parameters(context().node.name, false),
    $prevNode: () => {
      const ctx = context();
      return ctx.previous ? { name: ctx.previous, outputIndex: ctx.branches[ctx.previous] || 0, runIndex: 0 } : {};
    },
    $runIndex: () => context().runIndex,
    $mode: () => context().mode,
    $workflow: () => {
      const w = context().workflow;
      return {
        get id() {
          if (w.id === undefined || w.id === null) throw new ExpressionError('save workflow to view');
          return w.id;
        },
        name: w.name,
        active: w.active,
      };
    },
    $execution: () => {
      const e = context().execution;
      const refuse = (what) => {
        throw new ExpressionError(`$execution.${what} is not available in noderun`);
      };
      return {
        id: e.id,
        mode: e.mode,
        get resumeUrl() {
          return refuse('resumeUrl');
        },
        get resumeFormUrl() {
          return refuse('resumeFormUrl');
        },
        get customData() {
          return refuse('customData');
        },
      };
    },
    $vars: () => context().vars,
    $env: () => {
      const env = context().env;
      return new Proxy({}, {
        has: () => true,
        get(_, name) {
          if (env === null) {
            throw new ExpressionError('access to env vars denied (noderun gives $env only with --allow-env)');
          }
          return typeof name === 'string' ? env[name] : undefined;
        },
      });
    },
    $itemIndex: () => state.itemIndex,
    $position: () => state.itemIndex,
    $thisItemIndex: () => state.itemIndex,
    $thisRunIndex: () => context().runIndex,
    $thisItem: () => inputItem(state.itemIndex),
    $nodeVersion: () => context().node.typeVersion,
    $nodeId: () => context().node.id,
    $webhookId: () => context().node.webhookId,
    $now: () => {
      if (state.now === undefined) state.now = N.luxon().DateTime.now();
      return state.now;
    },
    $today: () => dynamic.$now().set({ hour: 0, minute: 0, second: 0, millisecond: 0 }),
    $jmespath: () => jmespath,
    $jmesPath: () => jmespath,
    $evaluateExpression: () => (expression, itemIndex) => {
      if (itemIndex && itemIndex !== state.itemIndex) {
        throw new ExpressionError('$evaluateExpression with another item index is not available in noderun');
      }
      return N.evaluateNested(String(expression));
    },
    DateTime: () => N.luxon().DateTime,
    Interval: () => N.luxon().Interval,
    Duration: () => N.luxon().Duration,
    process: () => ({ ...process, env: context().env === null ? {} : context().env }),
    extend: () => (value, name, args) => N.extend(value, name, args),
    extendOptional: () => (value, name) => N.findExtension(value, name),
  };

  // Identifiers that resolve to the real globals (n8n leaves them untouched).
  const EXEMPT = new Set(['isFinite', 'isNaN', 'NaN', 'Date', 'RegExp', 'Math', 'undefined', '__n8n']);
  const scope = new Proxy(Object.create(null), {
    has: (_, key) => typeof key === 'string' && !EXEMPT.has(key),
    get(_, key) {
      if (typeof key !== 'string') return undefined;
      const locals = state.locals;
      if (locals !== null && Object.prototype.hasOwnProperty.call(locals, key)) return locals[key];
      const d = dynamic[key];
      if (d !== undefined) return d();
      return fixed[key];
    },
    set(_, key, value) {
      if (state.locals === null) state.locals = Object.create(null);
      state.locals[key] = value;
      return true;
    },
    deleteProperty: () => true,
  });

  // ---- compilation and evaluation (called from Rust) ------------------------------------------
  // Compiles an expression: [function, single, json paths as JSON].
  N.prepare = function (expression) {
    const compiled = N.compile(expression);
    const fn = indirectEval(compiled.code);
    return [fn, compiled.single, JSON.stringify(compiled.paths)];
  };

  const functionCache = new Map();
  N.evaluateNested = function (expression) {
    let fn = functionCache.get(expression);
    if (fn === undefined) {
      fn = N.prepare(expression)[0];
      functionCache.set(expression, fn);
    }
    return check(fn(scope));
  };

  function check(value) {
    if (typeof value === 'function') {
      if (value.name === 'DateTime') throw new ExpressionError('this is a DateTime, please access its methods');
      throw new ExpressionError('this is a function, please add ()');
    }
    return value;
  }

  // Registers a run's context (once per context, before its first evaluation).
  N.setContext = function (id, text) {
    const c = JSON.parse(text);
    c.id = id;
    c.outputs = new Map();
    c.input = undefined;
    contexts.set(id, c);
  };
  N.dropContext = (id) => contexts.delete(id);

  // One evaluation: `fn` from `N.prepare`, the item's json and extras (binary, pairedItem) as
  // JSON text. Returns the value as JSON text, or undefined.
  N.run = function (fn, contextId, itemIndex, jsonText, extraText) {
    const c = contextId === undefined ? null : contexts.get(contextId);
    if (c !== state.context) {
      state.context = c;
      const luxon = loaded.get('luxon');
      if (luxon) luxon.Settings.defaultZone = c ? c.timezone : 'America/New_York';
    }
    state.itemIndex = itemIndex;
    state.jsonText = jsonText;
    state.json = undefined;
    state.extraText = extraText;
    state.extra = undefined;
    state.locals = null;
    state.now = undefined;
    const value = check(fn(scope));
    if (value === undefined) return undefined;
    if (typeof value === 'string') return JSON.stringify(value);
    return JSON.stringify(value);
  };
})(globalThis.__n8n);
