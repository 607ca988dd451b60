// noderun's n8n expression compiler: an expression (the text after `=`) becomes one JavaScript
// function with n8n's semantics. Our own code, written from n8n's documented and observed
// behaviour (tests/n8n runs n8n's evaluator on the same corpus).
//
// - Splitting into text and `{{ }}` segments follows n8n's splitter: the first `}}` closes a
//   segment (strings are not looked into), `\{{` is no opener.
// - A lone segment (`={{ x }}`) yields its value with its type; anything else is text: each
//   segment's value, when falsy other than 0 and false, becomes '', then `Array.join('')`.
// - Free identifiers are looked up in the data scope (`with` over a proxy): unknown names are
//   `undefined`, never a ReferenceError.
// - n8n's sandbox rules: `.constructor` anywhere refused, unsafe property names refused
//   statically and (for computed keys) at run time, `this` replaced, functions bound to a safe
//   `this`, reserved names, `with`, dynamic class extension and a bare `$` refused.
// - n8n's extension methods (`'a'.isEmpty()`, `arr.sum()`, `date.plus(1, 'days')`) dispatch by
//   the value's type when the expression calls one, as n8n does.
// - The deliberate difference: a member access on `undefined`/`null` fails naming the path
//   (`$json.customer is undefined (cannot read "name")`) where n8n gives `undefined`.
'use strict';

(function (N) {
  const acorn = globalThis.acorn;

  // ---- errors ------------------------------------------------------------------------------
  class ExpressionError extends Error {}
  ExpressionError.prototype.name = 'ExpressionError';
  class ExpressionExtensionError extends Error {}
  ExpressionExtensionError.prototype.name = 'ExpressionExtensionError';
  N.ExpressionError = ExpressionError;
  N.ExpressionExtensionError = ExpressionExtensionError;

  // n8n's list of property names no expression may read or write.
  const UNSAFE = new Set([
    '__proto__', 'prototype', 'constructor', 'getPrototypeOf', 'setPrototypeOf',
    'getOwnPropertyDescriptor', 'getOwnPropertyDescriptors', 'defineProperty', 'defineProperties',
    'mainModule', 'binding', '_linkedBinding', '_load', 'prepareStackTrace', '__lookupGetter__',
    '__lookupSetter__', '__defineGetter__', '__defineSetter__', 'caller', 'callee', 'arguments',
    'getBuiltinModule', 'dlopen', 'execve', 'loadEnvFile',
  ]);
  N.isSafeProperty = (name) => !UNSAFE.has(name);
  N.sanitize = (value) => {
    const key = String(value);
    if (UNSAFE.has(key)) throw new ExpressionError(`Cannot access "${key}" due to security concerns`);
    return key;
  };
  const RESERVED = new Set(['___n8n_data', '__sanitize']);
  const DOLLAR_SIGN_ERROR = 'Cannot access "$" without calling it as a function';
  const BLOCKED_BASES = new Set(['Function', 'GeneratorFunction', 'AsyncFunction', 'AsyncGeneratorFunction', 'Buffer']);
  const SAFE_THIS = '(0, {process: {}, require: {}, module: {}, Buffer: {}})';
  const SAFE_CONTEXT = '{process: {}, require: {}, module: {}, Buffer: {}}';

  // ---- splitting ---------------------------------------------------------------------------
  // n8n's splitter: `{{` opens unless preceded by an odd number of backslashes, the next `}}`
  // closes; text before an opener has `\\` turned into `\`; code has its first `\}}` unescaped.
  function split(expression) {
    if (expression === '') return [{ type: 'text', text: '' }];
    const chunks = [];
    let open = true;
    let buffer = '';
    let index = 0;
    while (index < expression.length) {
      const rest = expression.slice(index);
      const at = rest.indexOf(open ? '{{' : '}}');
      if (at < 0) {
        buffer += rest;
        chunks.push(open ? { type: 'text', text: buffer } : { type: 'code', text: buffer.replace('\\}}', '}}'), closed: false });
        break;
      }
      const before = rest.slice(0, at);
      const backslashes = before.match(/\\*$/)[0].length;
      if (backslashes % 2 === 1) {
        buffer += rest.slice(0, at + 2);
        index += at + 2;
        continue;
      }
      buffer += before;
      if (open) chunks.push({ type: 'text', text: buffer.replace(/\\\\/g, '\\') });
      else chunks.push({ type: 'code', text: buffer.replace('\\}}', '}}'), closed: true });
      open = !open;
      index += at + 2;
      buffer = '';
    }
    return chunks;
  }
  N.split = split;

  // ---- the extension gate --------------------------------------------------------------------
  let extensionNames = null;
  let extensionRegex = null;
  function extensionGate(codeChunks) {
    if (!extensionRegex) {
      extensionNames = new Set(N.extensionNames());
      extensionRegex = new RegExp(`(\\$if|\\.(${[...extensionNames].join('|')})\\s*(\\?\\.)?)\\s*\\(`);
    }
    return codeChunks.some((c) => extensionRegex.test(c.replace(/("|').*?("|')/, '').trim()));
  }

  // ---- the transform -------------------------------------------------------------------------
  const SKIP_KEYS = new Set(['type', 'start', 'end', 'loc', 'range', 'raw', 'regex', 'value', 'bigint']);

  function childNodes(node) {
    const list = [];
    for (const key in node) {
      if (SKIP_KEYS.has(key) && key !== 'value') continue;
      const v = node[key];
      if (Array.isArray(v)) {
        for (const c of v) if (c && typeof c.type === 'string') list.push(c);
      } else if (v && typeof v.type === 'string') list.push(v);
    }
    list.sort((a, b) => a.start - b.start);
    return list;
  }

  function pathText(src, node) {
    const text = src.slice(node.start, node.end).replace(/\s+/g, ' ').trim();
    return text.length > 80 ? text.slice(0, 77) + '...' : text;
  }

  function patternNames(node, out) {
    if (!node) return out;
    switch (node.type) {
      case 'Identifier': out.push(node.name); break;
      case 'ObjectPattern':
        for (const p of node.properties) patternNames(p.type === 'RestElement' ? p.argument : p.value, out);
        break;
      case 'ArrayPattern': for (const e of node.elements) patternNames(e, out); break;
      case 'AssignmentPattern': patternNames(node.left, out); break;
      case 'RestElement': patternNames(node.argument, out); break;
      case 'VariableDeclaration': for (const d of node.declarations) patternNames(d.id, out); break;
    }
    return out;
  }
  function refuseReserved(node) {
    const name = patternNames(node, []).find((n) => RESERVED.has(n));
    if (name !== undefined) throw new ExpressionError(`Cannot use "${name}" due to security concerns`);
  }
  function staticKey(key) {
    if (!key) return undefined;
    if (key.type === 'Identifier') return key.name;
    if (key.type === 'Literal' && typeof key.value === 'string') return key.value;
    if (key.type === 'TemplateLiteral' && key.expressions.length === 0 && key.quasis.length === 1) return key.quasis[0].value.cooked;
    return undefined;
  }

  // Checks every node for n8n's sandbox rules (throws), before any code is generated.
  // `ancestors` holds the nodes above `node`, nearest last.
  function check(node, ancestors, statement) {
    const parent = ancestors[ancestors.length - 1];
    switch (node.type) {
      case 'WithStatement':
        throw new ExpressionError('Cannot use "with" statements due to security concerns');
      case 'ImportExpression':
        throw new Error('Imports are not supported');
      case 'ClassDeclaration':
      case 'ClassExpression':
        if (node.superClass) {
          if (node.superClass.type !== 'Identifier') throw new ExpressionError('Cannot use dynamic class extension due to security concerns');
          if (BLOCKED_BASES.has(node.superClass.name)) throw new ExpressionError(`Cannot extend "${node.superClass.name}" due to security concerns`);
        }
        refuseReserved(node.id);
        for (const member of node.body.body) {
          if (member.computed && member.key && member.key.type === 'Identifier') continue;
          const key = staticKey(member.key);
          if (key !== undefined && RESERVED.has(key)) throw new ExpressionError(`Cannot use "${key}" due to security concerns`);
        }
        break;
      case 'VariableDeclarator': refuseReserved(node.id); break;
      case 'FunctionExpression':
      case 'FunctionDeclaration':
      case 'ArrowFunctionExpression':
        refuseReserved(node.id);
        for (const p of node.params) refuseReserved(p);
        break;
      case 'CatchClause': refuseReserved(node.param); break;
      case 'AssignmentExpression': refuseReserved(node.left); break;
      case 'UpdateExpression': refuseReserved(node.argument); break;
      case 'ForOfStatement':
      case 'ForInStatement': refuseReserved(node.left); break;
      case 'ObjectPattern':
        for (const p of node.properties) {
          if (p.type !== 'Property') continue;
          if (p.computed) throw new ExpressionError('Computed property names in destructuring are not allowed due to security concerns');
          const key = p.key.type === 'Identifier' ? p.key.name : p.key.type === 'Literal' ? String(p.key.value) : undefined;
          if (key !== undefined && UNSAFE.has(key)) throw new ExpressionError(`Cannot destructure "${key}" due to security concerns`);
        }
        break;
      case 'MemberExpression':
        if (!node.computed) {
          if (node.property.type !== 'Identifier') throw new ExpressionError(`Unknown property type ${node.property.type} while sanitising expression`);
          if (UNSAFE.has(node.property.name)) throw new ExpressionError(`Cannot access "${node.property.name}" due to security concerns`);
        } else if (node.property.type === 'Literal' && !N.isSafeProperty(node.property.value)) {
          throw new ExpressionError(`Cannot access "${node.property.value}" due to security concerns`);
        }
        break;
      case 'Identifier':
        checkIdentifier(node, ancestors, statement);
        break;
    }
    ancestors.push(node);
    for (const child of childNodes(node)) check(child, ancestors, statement);
    ancestors.pop();
  }

  // Whether an identifier is a variable reference, not a property name, a key or a binding.
  function isReference(node, ancestors) {
    const parent = ancestors[ancestors.length - 1];
    const grand = ancestors[ancestors.length - 2];
    if (!parent) return true;
    switch (parent.type) {
      case 'MemberExpression': return parent.object === node || parent.computed;
      case 'Property':
        if (grand && grand.type === 'ObjectPattern') return parent.computed && parent.key === node;
        if (parent.key === node && parent.value !== node && !parent.shorthand) return parent.computed;
        return true;
      case 'MethodDefinition':
      case 'PropertyDefinition': return parent.computed && parent.key === node;
      case 'VariableDeclarator': return parent.init === node;
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression': return parent.body === node;
      case 'ClassDeclaration':
      case 'ClassExpression': return parent.superClass === node;
      case 'AssignmentPattern': return parent.right === node;
      case 'LabeledStatement':
      case 'BreakStatement':
      case 'ContinueStatement':
      case 'CatchClause':
      case 'ArrayPattern':
      case 'ObjectPattern':
      case 'RestElement':
      case 'MetaProperty':
      case 'ImportSpecifier':
      case 'ExportSpecifier': return false;
      default: return true;
    }
  }

  function checkIdentifier(node, ancestors, statement) {
    const parent = ancestors[ancestors.length - 1];
    const grand = ancestors[ancestors.length - 2];
    const isCallee = (callee, call) => call && (call.type === 'CallExpression' || call.type === 'NewExpression') && call.callee === callee;
    if (node.name === '$') {
      if (isCallee(node, parent)) return;
      if (parent && parent.type === 'MemberExpression' && parent.property === node && !parent.computed) {
        if (isCallee(parent, grand)) return;
        const obj = parent.object;
        if (statement.expression === parent && (obj.type === 'Identifier' || obj.type === 'MemberExpression') &&
            !(obj.type === 'Identifier' && obj.name === '$')) return;
      }
      throw new ExpressionError(DOLLAR_SIGN_ERROR);
    }
    if (UNSAFE.has(node.name) && isReference(node, ancestors)) {
      throw new ExpressionError(`Cannot access "${node.name}" due to security concerns`);
    }
  }

  // Code generation: the source with the nodes that need it rewritten. `chainLinks` holds the
  // member and call expressions of native optional chains (left as they are).
  function generator(src, extend) {
    const chainLinks = new Set();
    const wrap = (node, code) => (node.type === 'SpreadElement' ? code : `(${code})`);
    function gen(node, parent) {
      const out = rewrite(node, parent);
      return out !== undefined ? out : splice(node);
    }
    function splice(node) {
      let out = '';
      let pos = node.start;
      for (const child of childNodes(node)) {
        if (child.start < pos) continue; // shorthand properties: key and value share their text
        out += src.slice(pos, child.start) + gen(child, node);
        pos = child.end;
      }
      return out + src.slice(pos, node.end);
    }
    const args = (list, parent) => list.map((a) => wrap(a, gen(a, parent))).join(', ');
    const isMethod = (node, parent) =>
      parent && ((parent.type === 'Property' && parent.value === node && (parent.method || parent.kind !== 'init')) || parent.type === 'MethodDefinition');
    const isExtensionCall = (node) =>
      node.type === 'CallExpression' && node.callee.type === 'MemberExpression' && !node.callee.computed &&
      node.callee.property.type === 'Identifier' && extensionNames.has(node.callee.property.name);

    function rewrite(node, parent) {
      switch (node.type) {
        case 'ThisExpression':
          return SAFE_THIS;
        case 'FunctionExpression':
          if (isMethod(node, parent)) return undefined;
          return `(${splice(node)}).bind(${SAFE_CONTEXT})`;
        case 'ChainExpression': {
          const links = [];
          for (let cur = node.expression; cur.type === 'MemberExpression' || cur.type === 'CallExpression'; cur = cur.type === 'MemberExpression' ? cur.object : cur.callee) {
            links.push(cur);
          }
          if (extend && links.some(isExtensionCall)) return chain(node);
          for (const link of links) chainLinks.add(link);
          return undefined;
        }
        case 'CallExpression': {
          if (node.callee.type === 'FunctionExpression') {
            const rest = node.arguments.length ? ', ' + args(node.arguments, node) : '';
            return `(${splice(node.callee)}).call(${SAFE_CONTEXT}${rest})`;
          }
          if (!extend || chainLinks.has(node)) return undefined;
          const callee = node.callee;
          if (callee.type === 'Identifier' && callee.name === '$if' && node.arguments.every((a) => a.type !== 'SpreadElement')) {
            if (node.arguments.length < 2) {
              throw new ExpressionExtensionError('$if requires at least 2 parameters: test, value_if_true[, and value_if_false]');
            }
            const [test, yes, no] = node.arguments;
            return `((${gen(test, node)}) ? (${gen(yes, node)}) : (${no ? gen(no, node) : 'false'}))`;
          }
          if (isExtensionCall(node)) {
            return `__n8n.extend((${gen(callee.object, callee)}), ${JSON.stringify(callee.property.name)}, [${args(node.arguments, node)}], ${JSON.stringify(pathText(src, callee.object))})`;
          }
          return undefined;
        }
        case 'MemberExpression': {
          if (chainLinks.has(node)) {
            if (node.computed && node.property.type !== 'Literal') {
              return `${gen(node.object, node)}${node.optional ? '?.' : ''}[__n8n.sanitize(${gen(node.property, node)})]`;
            }
            return undefined;
          }
          const obj = node.object;
          let objCode = gen(obj, node);
          if (obj.type === 'Identifier' || obj.type === 'MemberExpression' || obj.type === 'CallExpression') {
            const prop = node.computed ? null : node.property.name;
            objCode = `__n8n.defined(${objCode}, ${JSON.stringify(pathText(src, obj))}, ${JSON.stringify(prop)})`;
          } else if (obj.type !== 'Super' && obj.type !== 'ThisExpression') {
            objCode = `(${objCode})`;
          }
          if (node.computed) {
            if (node.property.type === 'Literal') return `${objCode}[${gen(node.property, node)}]`;
            return `${objCode}[__n8n.sanitize(${gen(node.property, node)})]`;
          }
          return `${objCode}.${node.property.name}`;
        }
      }
      return undefined;
    }

    // An optional chain with an extension call: each link applied in turn, an optional link
    // ending the chain on null or undefined.
    function chain(node) {
      const links = [];
      let cur = node.expression;
      while (cur.type === 'MemberExpression' || cur.type === 'CallExpression') {
        links.unshift(cur);
        cur = cur.type === 'MemberExpression' ? cur.object : cur.callee;
      }
      const base = wrap(cur, gen(cur, node));
      const ops = [];
      for (let i = 0; i < links.length; i++) {
        const link = links[i];
        const path = JSON.stringify(pathText(src, link.type === 'MemberExpression' ? link.object : link.callee));
        const next = links[i + 1];
        if (link.type === 'MemberExpression' && !link.computed && next && next.type === 'CallExpression' && next.callee === link &&
            extensionNames.has(link.property.name)) {
          ops.push(`[3, ${JSON.stringify(link.property.name)}, () => [${args(next.arguments, next)}], ${!!link.optional}, ${!!next.optional}, ${path}]`);
          i++;
        } else if (link.type === 'MemberExpression') {
          const key = link.computed ? `() => __n8n.sanitize(${gen(link.property, link)})` : JSON.stringify(link.property.name);
          ops.push(`[${link.computed ? 0 : 1}, ${key}, ${!!link.optional}, ${path}]`);
        } else {
          ops.push(`[2, () => [${args(link.arguments, link)}], ${!!link.optional}, ${path}]`);
        }
      }
      return `__n8n.chain(${base}, [${ops.join(', ')}])`;
    }

    return gen;
  }

  // Parses one segment like n8n (a segment starting with `{` is an object literal), checks it and
  // returns the generated code of its expression, and the static `$json` paths it reads.
  function segment(text, extend) {
    let code = text;
    if (code.trimStart()[0] === '{') code = '(' + code + ')';
    let program;
    try {
      program = acorn.parse(code, { ecmaVersion: 'latest', sourceType: 'module' });
    } catch (e) {
      throw new SyntaxError(e.message);
    }
    const statement = program.body[0];
    if (!statement || statement.type !== 'ExpressionStatement') throw new SyntaxError('Not a expression statement');
    check(statement, [], statement);
    const gen = generator(code, extend);
    const paths = [];
    collectJsonPaths(statement.expression, paths);
    return { code: gen(statement.expression, statement), paths };
  }

  function collectJsonPaths(node, out) {
    if (!node || typeof node.type !== 'string') return;
    if (node.type === 'MemberExpression') {
      const parts = [];
      let cur = node;
      while (cur.type === 'MemberExpression' && (!cur.computed || (cur.property.type === 'Literal'))) {
        parts.unshift(cur.computed ? String(cur.property.value) : cur.property.name);
        cur = cur.object;
      }
      if (cur.type === 'Identifier' && cur.name === '$json' && parts.length) {
        out.push(parts.join('.'));
        return;
      }
    }
    for (const child of childNodes(node)) collectJsonPaths(child, out);
  }

  // Compiles an expression (the text after `=`): {code, single, paths} where `code` is the
  // source of a function of the data scope.
  N.compile = function (expression) {
    if (/\.\s*constructor/m.test(expression)) {
      throw new ExpressionError('Expression contains invalid constructor function call');
    }
    const chunks = split(expression);
    const codeChunks = chunks.filter((c) => c.type === 'code').map((c) => c.text);
    const extend = codeChunks.length > 0 && extensionGate(codeChunks);
    const paths = [];
    const parts = chunks.map((chunk) => {
      if (chunk.type === 'text') return { text: chunk.text };
      const s = segment(chunk.text, extend);
      paths.push(...s.paths);
      return { code: s.code };
    });
    const single = chunks.length === 2 && chunks[0].text === '';
    let body;
    if (single) {
      body = `return (${parts[1].code}\n);`;
    } else if (parts.length < 2) {
      body = `return ${JSON.stringify(parts[0].text)};`;
    } else {
      const items = parts
        .filter((p) => p.code !== undefined || p.text !== '')
        .map((p) => (p.code !== undefined ? `__n8n.segment((${p.code}\n))` : JSON.stringify(p.text)));
      body = `return [${items.join(', ')}].join('');`;
    }
    return { code: `(function (__scope) { with (__scope) { ${body} } })`, single, paths };
  };
})(globalThis.__n8n);
