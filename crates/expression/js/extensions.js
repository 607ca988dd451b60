// n8n's extension methods (`'a'.isEmpty()`, `[1, 2].sum()`, `$now.plus(1, 'day')`, ...): our own
// implementations of the behaviour n8n documents, dispatched by the value's type as n8n does.
'use strict';

(function (N) {
  const host = globalThis.__host;
  const { ExpressionError, ExpressionExtensionError } = N;
  const fail = (message) => {
    throw new ExpressionExtensionError(message);
  };
  const define = (target, key, value) =>
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  const own = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
  const readable = (value, field) => {
    if (own(value, field)) return true;
    const proto = Object.getPrototypeOf(value);
    return field in value && (proto === null || !(field in proto));
  };
  const luxon = () => N.luxon();
  const isDateTime = (v) => v !== null && typeof v === 'object' && v.isLuxonDateTime === true;
  N.isDateTime = isDateTime;

  // lodash's isEqual for the JSON-like values expressions handle (NaN equals NaN).
  function equal(a, b) {
    if (a === b) return true;
    if (typeof a === 'number' && typeof b === 'number') return a !== a && b !== b;
    if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
    if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
    if (a instanceof Date) return a.getTime() === b.getTime();
    if (Array.isArray(a)) {
      if (a.length !== b.length) return false;
      for (let i = 0; i < a.length; i++) if (!equal(a[i], b[i])) return false;
      return true;
    }
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.length !== kb.length) return false;
    for (const k of ka) if (!own(b, k) || !equal(a[k], b[k])) return false;
    return true;
  }
  const uniqueWith = (list, same) => {
    const out = [];
    for (const v of list) if (!out.some((w) => same(w, v))) out.push(v);
    return out;
  };

  // ---- strings ---------------------------------------------------------------------------------
  const CURRENCY = /(Lek|؋|\$|ƒ|₼|Br|BZ\$|\$b|KM|P|лв|R\$|៛|¥|₡|kn|₱|Kč|kr|RD\$|£|€|¢|Q|L|Ft|₹|Rp|﷼|₪|J\$|₩|₭|ден|RM|₨|₮|MT|C\$|₦|B\/\.|Gs|S\/\.|zł|lei|₽|Дин\.|S|R|CHF|NT\$|฿|TT\$|₺|₴|\$U|Bs|₫|Z\$)/gu;
  const DOMAIN_EXTRACT = /^(?:(?:https?|ftp):\/\/)?(?:mailto:)?(?:\/\/)?((?:www\.)?(?:(?:[-\w]+\.)+(?:[a-zA-Z]{2,}|xn--[a-zA-Z0-9]+)|localhost|\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}))(?::\d+)?(?:\/[^\s?]*)?(?:\?[^\s#]*)?(?:#[^\s]*)?$/i;
  const DOMAIN = /^(?:www\.)?((?:(?:[-\w]+\.)+(?:[a-zA-Z]{2,}|xn--[a-zA-Z0-9]+)|localhost|\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}))(?::\d+)?(?:\/[^\s?]*)?(?:\?[^\s#]*)?(?:#[^\s]*)?$/i;
  const EMAIL = /(([^<>()\[\]\\.,;:\s@"]+(\.[^<>()\[\]\\.,;:\s@"]+)*)|(".+"))@(?<domain>(\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}])|(([a-zA-Z\-0-9]+\.)+[a-zA-Z]{2,}))/;
  const URL_EXACT = /^(?:(?:https?|ftp):\/\/)(?:www\.)?((?:(?:[-\w]+\.)+(?:[a-zA-Z]{2,}|xn--[a-zA-Z0-9]+)|localhost|\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}))(?::\d+)?(?:\/[^\s?#]*)?(?:\?[^\s#]*)?(?=([^\s]+#.*)?)#?[^\s]*$/i;
  const URL_ANYWHERE = /(?:(?:https?|ftp):\/\/)(?:www\.)?((?:(?:[-\w]+\.)+(?:[a-zA-Z]{2,}|xn--[a-zA-Z0-9]+)|localhost|\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}))(?::\d+)?(?:\/[^\s?#]*)?(?:\?[^\s#]*)?(?=([^\s]+#.*)?)#?[^\s]*/i;
  const HASHES = ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512', 'sha3'];

  const isEmailText = (v) => EMAIL.test(v) && !v.includes(' ');

  // title-case 3 (MIT, Blake Embrey): small words stay lower inside a title, words with inner
  // capitals stay as they are, URLs are left alone.
  const SMALL_WORDS = /\b(?:an?d?|a[st]|because|but|by|en|for|i[fn]|neither|nor|o[fnr]|only|over|per|so|some|tha[tn]|the|to|up|upon|vs?\.?|versus|via|when|with|without|yet)\b/i;
  function titleCase(input) {
    const tokens = /[^\s:–—-]+|./g;
    let out = '';
    let m;
    while ((m = tokens.exec(input)) !== null) {
      const token = m[0];
      const at = m.index;
      const manual = /.(?=[A-Z]|\..)/.test(token);
      const small = SMALL_WORDS.test(token) && at !== 0 && at + token.length !== input.length;
      const url = input.charAt(at + token.length) === ':' && !/\s/.test(input.charAt(at + token.length + 1));
      out += !manual && !small && !url ? token.replace(/[A-Za-z0-9\u00C0-\u00FF]/, (c) => c.toUpperCase()) : token;
    }
    return out;
  }

  function stringToDateTime(value, args = ['']) {
    try {
      const [format] = args;
      if (format) {
        if (['ms', 's', 'us', 'excel'].includes(format)) return Number_.toDateTime(Number(value), [format]);
        return luxon().DateTime.fromFormat(value, format);
      }
      return parseDateTime(value);
    } catch (e) {
      fail('cannot convert to Luxon DateTime');
    }
  }
  // ISO, HTTP, RFC 2822, SQL, then Date.parse; in the workflow's zone unless the text has one.
  function parseDateTime(value) {
    const { DateTime } = luxon();
    if (isDateTime(value) && value.isValid) return value;
    if (value instanceof Date) {
      const d = DateTime.fromJSDate(value);
      if (d.isValid) return d;
    }
    const text = String(value).trim();
    for (const parse of ['fromISO', 'fromHTTP', 'fromRFC2822', 'fromSQL']) {
      const d = DateTime[parse](text, { setZone: true });
      if (d.isValid) return d;
    }
    const d = DateTime.fromMillis(Date.parse(text));
    if (d.isValid) return d;
    throw new Error('Value is not a valid date');
  }

  function base64Encode(value) {
    return host.base64Encode(String(value));
  }

  const String_ = {
    hash(value, args) {
      const algorithm = args[0] === undefined || args[0] === null ? 'md5' : args[0].toLowerCase();
      if (algorithm === 'base64') return base64Encode(value);
      if (HASHES.includes(algorithm)) return host.hash(algorithm, value);
      fail(`Unknown algorithm ${algorithm}. Available algorithms are: ${HASHES.join()}, and Base64.`);
    },
    removeMarkdown(value) {
      let out = value;
      try {
        out = out.replace(/^([\s\t]*)([*\-+]|\d\.)\s+/gm, '$1');
        out = out.replace(/\n={2,}/g, '\n').replace(/~~/g, '').replace(/`{3}.*\n/g, '');
        out = out
          .replace(/<[\w|\s|=|'|"|:|(|)|,|;|/|0-9|.|-]+[>|\\>]/g, '')
          .replace(/^[=-]{2,}\s*$/g, '')
          .replace(/\[\^.+?\](: .*?$)?/g, '')
          .replace(/\s{0,2}\[.*?\]: .*?$/g, '')
          .replace(/!\[.*?\][[(].*?[\])]/g, '')
          .replace(/\[(.*?)\][[(].*?[\])]/g, '$1')
          .replace(/>/g, '')
          .replace(/^\s{1,2}\[(.*?)\]: (\S+)( ".*?")?\s*$/g, '')
          .replace(/^#{1,6}\s*([^#]*)\s*(#{1,6})?/gm, '$1')
          .replace(/([*_]{1,3})(\S.*?\S)\1/g, '$2')
          .replace(/(`{3,})(.*?)\1/gm, '$2')
          .replace(/^-{3,}\s*$/g, '')
          .replace(/`(.+?)`/g, '$1')
          .replace(/\n{2,}/g, '\n\n');
      } catch (e) {
        return value;
      }
      return out;
    },
    removeTags: (value) => value.replace(/<[^>]*>?/gm, ''),
    toDate(value) {
      const date = new Date(Date.parse(value));
      if (date.toString() === 'Invalid Date') fail('cannot convert to date');
      if (!/:/.test(value)) date.setHours(0, 0, 0);
      return date;
    },
    toDateTime: stringToDateTime,
    toBoolean(value) {
      const v = value.toLowerCase();
      return v.length > 0 && !['false', 'no', '0'].includes(v);
    },
    toFloat(value) {
      if (value.includes(',')) fail('cannot convert to float, expected . as decimal separator');
      const n = parseFloat(value.replace(CURRENCY, ''));
      if (isNaN(n)) fail('cannot convert to float');
      return n;
    },
    toNumber(value) {
      const n = Number(value.replace(CURRENCY, ''));
      if (isNaN(n)) fail('cannot convert to number');
      return n;
    },
    toInt(value, args) {
      const n = parseInt(value.replace(CURRENCY, ''), args[0]);
      if (isNaN(n)) fail('cannot convert to integer');
      return n;
    },
    toSentenceCase(value) {
      const letter = /\p{L}/u;
      let current = value.slice();
      let buffer = '';
      while (letter.test(current)) {
        const at = current.search(letter);
        current = current.slice(0, at) + current[at].toLocaleUpperCase() + current.slice(at + 1).toLocaleLowerCase();
        const end = current.search(/[!?.]/);
        if (end === -1) {
          buffer += current;
          current = '';
          break;
        }
        buffer += current.slice(0, end + 1);
        current = current.slice(end + 1);
      }
      return buffer + current;
    },
    toSnakeCase: (value) =>
      value.toLocaleLowerCase().replace(/[ \-]/g, '_').replace(/[\u2000-\u206F\u2E00-\u2E7F\\'!"#$%&()*+,.\/:;<=>?@\[\]^`{|}~]/g, ''),
    toTitleCase: (value) => titleCase(value),
    urlDecode: (value, args) => (args[0] ? decodeURI(value.toString()) : decodeURIComponent(value.toString())),
    urlEncode: (value, args) => (args[0] ? encodeURI(value.toString()) : encodeURIComponent(value.toString())),
    quote(value, args) {
      const mark = args[0] === undefined ? '"' : args[0];
      const escaped = value.replace(/\\/g, '\\\\');
      return `${mark}${escaped.replace(new RegExp(`\\${mark}`, 'g'), `\\${mark}`)}${mark}`;
    },
    replaceSpecialChars: (value) => N.library('transliteration').transliterate(value, { unknown: '?' }),
    length: (value) => value.length,
    isDomain: (value) => DOMAIN.test(value),
    isEmail: isEmailText,
    isNumeric: (value) => !value.includes(' ') && !isNaN(value) && !isNaN(parseFloat(value)),
    isUrl: (value) => URL_EXACT.test(value),
    isEmpty: (value) => value === '',
    isNotEmpty: (value) => value !== '',
    toJsonString: (value) => JSON.stringify(value),
    extractEmail(value) {
      const m = EMAIL.exec(value);
      return m ? m[0] : undefined;
    },
    extractDomain(value) {
      if (isEmailText(value)) {
        const m = EMAIL.exec(value);
        return m ? m.groups.domain : undefined;
      }
      const m = value.match(DOMAIN_EXTRACT);
      return m ? m[1] : undefined;
    },
    extractUrl(value) {
      const m = URL_ANYWHERE.exec(value);
      return m ? m[0] : undefined;
    },
    extractUrlPath: (value) => host.urlPath(String(value)),
    parseJson(value) {
      try {
        return JSON.parse(value);
      } catch (e) {
        fail(value.includes("'") ? "Parsing failed. Check you're using double quotes" : 'Parsing failed');
      }
    },
    base64Encode,
    base64Decode: (value) => host.base64Decode(String(value)),
  };
  String_.toDecimalNumber = String_.toFloat;
  String_.toWholeNumber = String_.toInt;

  // ---- numbers ---------------------------------------------------------------------------------
  const Number_ = {
    ceil: (v) => Math.ceil(v),
    floor: (v) => Math.floor(v),
    format: (v, args) => new Intl.NumberFormat(args[0] === undefined ? 'en-US' : args[0], args[1] === undefined ? {} : args[1]).format(v),
    round: (v, args) => +v.toFixed(args[0] === undefined ? 0 : args[0]),
    abs: (v) => Math.abs(v),
    isInteger: (v) => Number.isInteger(v),
    isEven(v) {
      if (!Number.isInteger(v)) fail('isEven() is only callable on integers');
      return v % 2 === 0;
    },
    isOdd(v) {
      if (!Number.isInteger(v)) fail('isOdd() is only callable on integers');
      return Math.abs(v) % 2 === 1;
    },
    toBoolean: (v) => v !== 0,
    toInt: (v) => +v.toFixed(0),
    toFloat: (v) => v,
    toDateTime(v, args) {
      const format = args[0] === undefined ? 'ms' : args[0];
      const { DateTime } = luxon();
      switch (format) {
        case 'excel':
          return DateTime.fromSeconds((v - (25567 + 2)) * 86400);
        case 's':
          return DateTime.fromSeconds(v);
        case 'us':
          return DateTime.fromMillis(v / 1000);
        case 'ms':
          return DateTime.fromMillis(v);
        default:
          fail(`Unsupported format '${String(format)}'. toDateTime() supports 'ms', 's', 'us' and 'excel'.`);
      }
    },
  };

  // ---- objects ---------------------------------------------------------------------------------
  function compactObject(value) {
    const out = {};
    for (const [key, v] of Object.entries(value)) {
      if (v === null || v === undefined || v === 'nil' || v === '') continue;
      if (typeof v === 'object') {
        if (Object.keys(v).length === 0) continue;
        define(out, key, compactObject(v));
      } else define(out, key, v);
    }
    return out;
  }
  const formEncode = (text) =>
    Array.from(utf8(text)).map((b) => {
      const c = String.fromCharCode(b);
      if (/[A-Za-z0-9*\-._]/.test(c)) return c;
      if (b === 0x20) return '+';
      return '%' + b.toString(16).toUpperCase().padStart(2, '0');
    }).join('');
  // UTF-8 bytes of a string.
  function* utf8(text) {
    for (const ch of text) {
      let cp = ch.codePointAt(0);
      if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
      if (cp < 0x80) yield cp;
      else if (cp < 0x800) {
        yield 0xc0 | (cp >> 6);
        yield 0x80 | (cp & 63);
      } else if (cp < 0x10000) {
        yield 0xe0 | (cp >> 12);
        yield 0x80 | ((cp >> 6) & 63);
        yield 0x80 | (cp & 63);
      } else {
        yield 0xf0 | (cp >> 18);
        yield 0x80 | ((cp >> 12) & 63);
        yield 0x80 | ((cp >> 6) & 63);
        yield 0x80 | (cp & 63);
      }
    }
  }

  const Object_ = {
    isEmpty: (v) => Object.keys(v).length === 0,
    isNotEmpty: (v) => Object.keys(v).length !== 0,
    hasField: (v, args) => args[0] in v,
    removeField(v, args) {
      const [name] = args;
      if (!(name in v)) return v;
      const out = { ...v };
      delete out[name];
      return out;
    },
    removeFieldsContaining(v, args) {
      const [match] = args;
      if (typeof match !== 'string' || match === '') fail('removeFieldsContaining(): expected non-empty string arg');
      const out = { ...v };
      for (const [key, val] of Object.entries(v)) if (typeof val === 'string' && val.includes(match)) delete out[key];
      return out;
    },
    keepFieldsContaining(v, args) {
      const [match] = args;
      if (typeof match !== 'string' || match === '') fail('argument of keepFieldsContaining must be a non-empty string');
      const out = { ...v };
      for (const [key, val] of Object.entries(v)) if (typeof val !== 'string' || !val.includes(match)) delete out[key];
      return out;
    },
    compact: compactObject,
    urlEncode: (v) => Object.keys(v).map((k) => `${formEncode(k)}=${formEncode(String(v[k]))}`).join('&'),
    keys: (v) => Object.keys(v),
    values: (v) => Object.values(v),
    toJsonString: (v) => JSON.stringify(v),
    toInt: () => undefined,
    toFloat: () => undefined,
    toBoolean: () => undefined,
    toDateTime: () => undefined,
  };

  // ---- arrays ----------------------------------------------------------------------------------
  const numbersOnly = (list, name) => {
    if (list.some((i) => typeof i !== 'number')) fail(`${name}(): all array elements must be numbers`);
  };
  const sum = (list) => {
    numbersOnly(list, 'sum');
    return list.reduce((a, b) => a + b, 0);
  };
  const unique = (list, fields) => {
    const key = (item) => {
      if (fields.length > 0 && item && typeof item === 'object') {
        const out = {};
        for (const f of fields) define(out, f, readable(item, f) ? item[f] : undefined);
        return out;
      }
      return item;
    };
    return uniqueWith(list, (a, b) => equal(key(a), key(b)));
  };
  const chunk = (list, args) => {
    const [size] = args;
    if (typeof size !== 'number' || size === 0) fail('chunk(): expected non-zero numeric arg, e.g. .chunk(5)');
    const out = [];
    for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
    return out;
  };
  const mergeObjects = (value, other) => {
    if (!other) return value;
    if (typeof other !== 'object') fail('merge(): expected object arg');
    const out = { ...value };
    for (const [key, val] of Object.entries(other)) if (!own(out, key)) define(out, key, val);
    return out;
  };
  const otherArray = (args, name, example) => {
    const [others] = args;
    if (!Array.isArray(others)) fail(`${name}(): expected array arg, e.g. .${name}(${example})`);
    return others;
  };

  const Array_ = {
    removeDuplicates: (v, args) => unique(v, args),
    unique: (v, args) => unique(v, args),
    first: (v) => v[0],
    last: (v) => v[v.length - 1],
    reverse: (v) => [...v].reverse(),
    pluck(v, args) {
      if (!args || args.length === 0) return v;
      const out = [];
      for (const current of v) {
        if (current && typeof current === 'object') {
          const found = [];
          for (const k of Object.keys(current)) for (const f of args) if (f === k) found.push(current[k]);
          if (found.length > 0) out.push(found.length === 1 ? found[0] : found);
        }
      }
      return out;
    },
    randomItem: (v) => (v.length ? v[Math.floor(Math.random() * v.length)] : undefined),
    sum,
    min(v) {
      numbersOnly(v, 'min');
      return Math.min(...v);
    },
    max(v) {
      numbersOnly(v, 'max');
      return Math.max(...v);
    },
    average(v) {
      numbersOnly(v, 'average');
      return v.length === 0 ? 0 : sum(v) / v.length;
    },
    isNotEmpty: (v) => v.length > 0,
    isEmpty: (v) => v.length === 0,
    compact: (v) =>
      v
        .filter((x) => !(x && typeof x === 'object' && Object.keys(x).length === 0) && x !== null && x !== undefined && x !== 'nil' && x !== '')
        .map((x) => (typeof x === 'object' && x !== null ? compactObject(x) : x)),
    smartJoin(v, args) {
      const [keyField, valueField] = args;
      if (!keyField || !valueField || typeof keyField !== 'string' || typeof valueField !== 'string') {
        fail('smartJoin(): expected two string args, e.g. .smartJoin("name", "value")');
      }
      const out = {};
      for (const x of v) {
        if (typeof x === 'object' && x !== null && readable(x, keyField) && readable(x, valueField)) define(out, x[keyField], x[valueField]);
      }
      return out;
    },
    chunk,
    renameKeys(v, args) {
      if (args.length === 0 || args.length % 2 !== 0) {
        fail('renameKeys(): expected an even amount of args: from1, to1 [, from2, to2, ...]. e.g. .renameKeys("name", "title")');
      }
      return v.map((x) => {
        if (typeof x !== 'object' || x === null) return x;
        const out = { ...x };
        for (const [from, to] of chunk(args, [2])) {
          if (own(out, from)) {
            define(out, to, out[from]);
            delete out[from];
          }
        }
        return out;
      });
    },
    merge(v, args) {
      const [others] = args;
      if (others === undefined) {
        return v.reduce((all, x) => (x !== null && typeof x === 'object' && !Array.isArray(x) ? mergeObjects(all, x) : all), {});
      }
      if (!Array.isArray(others)) fail('merge(): expected array arg, e.g. .merge([{ id: 1, otherValue: 3 }])');
      const out = {};
      const n = Math.max(v.length, others.length);
      for (let i = 0; i < n; i++) {
        if (v[i] !== undefined && typeof v[i] === 'object' && typeof others[i] === 'object') {
          for (const [key, val] of Object.entries(mergeObjects(v[i], others[i]))) define(out, key, val);
        }
      }
      return out;
    },
    mergeIntoObject(v, args) {
      const [others] = args;
      if (!Array.isArray(others)) fail('mergeIntoObject(): expected array arg, e.g. .mergeIntoObject([{ id: 1, otherValue: 3 }])');
      const out = {};
      const n = Math.max(v.length, others.length);
      for (let i = 0; i < n; i++) {
        const base = v[i] !== null && typeof v[i] === 'object';
        const other = others[i] !== null && typeof others[i] === 'object';
        const source = base ? mergeObjects(v[i], other ? others[i] : undefined) : other ? others[i] : undefined;
        if (source) for (const [key, val] of Object.entries(source)) define(out, key, val);
      }
      return out;
    },
    union(v, args) {
      const others = otherArray(args, 'union', '[1, 2, 3, 4]');
      const out = Array.from(v);
      for (const x of others) if (out.findIndex((w) => equal(w, x)) === -1) out.push(x);
      return unique(out, []);
    },
    difference(v, args) {
      const others = otherArray(args, 'difference', '[1, 2, 3, 4]');
      return unique(v.filter((x) => others.findIndex((w) => equal(w, x)) === -1), []);
    },
    intersection(v, args) {
      const others = otherArray(args, 'intersection', '[1, 2, 3, 4]');
      const out = v.filter((x) => others.findIndex((w) => equal(w, x)) !== -1);
      for (const x of others) if (v.findIndex((w) => equal(w, x)) !== -1) out.push(x);
      return unique(out, []);
    },
    append: (v, args) => v.concat(args),
    toJsonString: (v) => JSON.stringify(v),
    toInt: () => undefined,
    toFloat: () => undefined,
    toBoolean: () => undefined,
    toDateTime: () => undefined,
  };

  // ---- dates (Luxon DateTime or JS Date; a JS Date in gives a JS Date out) ----------------------
  const DURATION_UNIT = { day: 'days', month: 'months', year: 'years', week: 'weeks', hour: 'hours', minute: 'minutes', second: 'seconds', millisecond: 'milliseconds', ms: 'milliseconds', sec: 'seconds', secs: 'seconds', hr: 'hours', hrs: 'hours', min: 'minutes', mins: 'minutes' };
  const DATE_UNIT = { days: 'day', months: 'month', years: 'year', hours: 'hour', minutes: 'minute', seconds: 'second', milliseconds: 'millisecond', hrs: 'hour', hr: 'hour', mins: 'minute', min: 'minute', secs: 'second', sec: 'second', ms: 'millisecond' };
  const DURATION_UNITS = ['milliseconds', 'seconds', 'minutes', 'hours', 'days', 'weeks', 'months', 'quarters', 'years'];
  const DATE_PARTS = ['day', 'week', 'month', 'year', 'hour', 'minute', 'second', 'millisecond', 'weekNumber', 'yearDayNumber', 'weekday'];
  const asDateTime = (d) => (isDateTime(d) ? d : luxon().DateTime.fromJSDate(d));
  const sameKind = (d, result) => (isDateTime(d) ? result : result.toJSDate());
  const duration = (args) => {
    if (args.length === 1) return args[0];
    const value = args[0] === undefined ? 0 : args[0];
    const unit = args[1] === undefined ? 'minutes' : args[1];
    return { [`${DURATION_UNIT[unit] || unit}`]: value };
  };
  const toDateTime = (d) => {
    if (isDateTime(d)) return d;
    if (typeof d === 'string') return stringToDateTime(d);
    return luxon().DateTime.fromJSDate(d);
  };
  const toDateTimeOrNothing = (v) => {
    if (typeof v === 'string') {
      const d = luxon().DateTime.fromJSDate(new Date(v));
      return d.invalidReason !== null ? undefined : d;
    }
    if (v instanceof Date) return luxon().DateTime.fromJSDate(v);
    if (isDateTime(v)) return v;
    return undefined;
  };
  function diffTo(d, args) {
    const [other, unit = 'days'] = args;
    let units = Array.isArray(unit) ? unit : [unit];
    if (units.length === 0) units = ['days'];
    const allowed = new Set([...DATE_PARTS, ...DURATION_UNITS]);
    const wrong = units.find((u) => !allowed.has(u));
    if (wrong) fail(`Unsupported unit '${String(wrong)}'. Supported: ${DURATION_UNITS.map((u) => `'${u}'`).join(', ')}.`);
    const diff = d.diff(toDateTime(other), units);
    return units.length > 1 ? diff.toObject() : diff.as(units[0]);
  }
  const Date_ = {
    beginningOf(d, args) {
      const raw = args[0] === undefined ? 'week' : args[0];
      return sameKind(d, asDateTime(d).startOf(DATE_UNIT[raw] || raw));
    },
    endOfMonth: (d) => sameKind(d, asDateTime(d).endOf('month')),
    extract(d, args) {
      let part = args[0] === undefined ? 'week' : args[0];
      if (part === 'yearDayNumber') {
        const date = isDateTime(d) ? d.toJSDate() : d;
        const first = new Date(date.getFullYear(), 0, 0);
        const diff = date.getTime() - first.getTime() + (first.getTimezoneOffset() - date.getTimezoneOffset()) * 60000;
        return Math.floor(diff / 86400000);
      }
      if (part === 'week') part = 'weekNumber';
      return asDateTime(d).get(DATE_UNIT[part] || part);
    },
    isBetween(d, args) {
      if (args.length !== 2) fail('isBetween(): expected exactly two args');
      const a = toDateTimeOrNothing(args[0]);
      const b = toDateTimeOrNothing(args[1]);
      if (!a || !b) return undefined;
      return a > b ? b < d && d < a : b > d && d > a;
    },
    isDst: (d) => asDateTime(d).isInDST,
    isInLast(d, args) {
      const value = args[0] === undefined ? 0 : args[0];
      const unit = args[1] === undefined ? 'minutes' : args[1];
      const { DateTime } = luxon();
      const past = DateTime.now().minus({ [DURATION_UNIT[unit] || unit]: value });
      const date = asDateTime(d);
      return past <= date && date <= DateTime.now();
    },
    isWeekend: (d) => [6, 7].includes(asDateTime(d).weekday),
    minus: (d, args) => sameKind(d, asDateTime(d).minus(duration(args))),
    plus: (d, args) => sameKind(d, asDateTime(d).plus(duration(args))),
    format: (d, args) => asDateTime(d).toFormat(args[0], { ...(args[1] === undefined ? {} : args[1]) }),
    toDateTime,
    diffTo,
    diffToNow: (d, args) => diffTo(d, [luxon().DateTime.now(), args[0]]),
    toInt: (d) => (isDateTime(d) ? d.toMillis() : d.getTime()),
    toFloat: (d) => (isDateTime(d) ? d.toMillis() : d.getTime()),
    toBoolean: () => undefined,
    isEmpty: () => false,
    isNotEmpty: () => true,
  };

  const Boolean_ = {
    toBoolean: (v) => v,
    toInt: (v) => (v ? 1 : 0),
    toFloat: (v) => (v ? 1 : 0),
    toNumber: (v) => (v ? 1 : 0),
    toDateTime: () => undefined,
  };

  const TABLES = [['Array', Array_], ['Date', Date_], ['Number', Number_], ['Object', Object_], ['String', String_], ['Boolean', Boolean_]];
  N.extensions = { Array: Array_, Date: Date_, Number: Number_, Object: Object_, String: String_, Boolean: Boolean_ };
  const GENERIC = {
    isEmpty: (v) => v === null || v === undefined || !v,
    isNotEmpty: (v) => !(v === null || v === undefined || !v),
  };
  N.extensionNames = () => {
    const names = new Set();
    for (const [, table] of TABLES) for (const k of Object.keys(table)) names.add(k);
    for (const k of Object.keys(GENERIC)) names.add(k);
    return [...names];
  };

  // An ISO date string exactly as `Date.toISOString` writes it (n8n picks date extensions for it).
  function isIsoDate(v) {
    if (typeof v !== 'string' || !v.length) return false;
    if (!/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}.\d{3}Z/.test(v)) return false;
    const d = new Date(v);
    return !isNaN(d.valueOf()) && d.toISOString() === v;
  }

  // The extension (or native method) `name` for `value`: a function of the call's arguments.
  function find(value, name) {
    name = typeof name === 'string' ? name : String(name);
    if (!N.isSafeProperty(name)) throw new ExpressionExtensionError(`Cannot access "${name}" via expression extension due to security concerns`);
    let table;
    if (Array.isArray(value)) table = Array_;
    else if (isIsoDate(value) && name !== 'toDate' && name !== 'toDateTime') table = Date_;
    else if (typeof value === 'string') table = String_;
    else if (typeof value === 'number') table = Number_;
    else if (value && (isDateTime(value) || value instanceof Date)) table = Date_;
    else if (value !== null && typeof value === 'object') table = Object_;
    else if (typeof value === 'boolean') table = Boolean_;
    let fn = table && own(table, name) ? table[name] : undefined;
    if (!fn) {
      if (value && name && typeof value[name] === 'function') {
        const native = value[name];
        return (args) => native.apply(value, args);
      }
      fn = own(GENERIC, name) ? GENERIC[name] : undefined;
    }
    return fn ? (args) => fn(value, args) : undefined;
  }
  N.findExtension = (value, name) => {
    const fn = find(value, name);
    return fn ? (...args) => fn(args) : undefined;
  };

  N.extend = function (value, name, args, path) {
    const fn = find(value, name);
    if (fn) return fn(args);
    if (value === undefined || value === null) {
      const where = path ? ` (${path} is ${String(value)})` : '';
      throw new ExpressionExtensionError(`${name} can't be used on ${String(value)} value${where}`);
    }
    const types = TABLES.filter(([, table]) => own(table, name)).map(([type]) => `"${type}"`);
    if (types.length === 0) throw new ExpressionExtensionError(`Unknown expression function: ${name}`);
    if (types.length > 1) {
      const last = types.pop();
      throw new ExpressionExtensionError(`${name}() is only callable on types ${types.join(', ')}, and ${last}`);
    }
    throw new ExpressionExtensionError(`${name}() is only callable on type ${types[0]}`);
  };

  // n8n serialises BigInt as its decimal text.
  // eslint-disable-next-line no-extend-native
  BigInt.prototype.toJSON = function () {
    return this.toString();
  };
  void ExpressionError;
})(globalThis.__n8n);
