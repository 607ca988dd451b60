// The part of `Intl` that Luxon and n8n's extensions use, for QuickJS (which has none): time zones
// from the IANA database (through the Rust host), English date and time formats as Node's ICU
// writes them, and number formats for a few locales. What is not covered fails with a message
// saying so, never with a silently different text.
'use strict';

(function () {
  const host = globalThis.__host;
  const unsupported = (what) => {
    throw new RangeError(`noderun: ${what} is not supported in expressions (QuickJS has no Intl; noderun covers English dates and a few number locales)`);
  };

  const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
  const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
  const pad = (n, width) => String(n).padStart(width, '0');
  const english = (locale) => {
    const list = locale === undefined ? [] : Array.isArray(locale) ? locale : [locale];
    const tag = list.length ? String(list[0]) : 'en-US';
    if (!/^en(-|$)/i.test(tag)) return null;
    return /^en-us/i.test(tag) || tag.toLowerCase() === 'en' ? 'en-US' : tag;
  };

  function zoneOf(name) {
    if (name === undefined) return host.systemZone();
    const canonical = host.tzValid(String(name));
    if (canonical === undefined) throw new RangeError(`Invalid time zone specified: ${name}`);
    return canonical;
  }

  // The wall-clock fields of instant `ms` in `zone`.
  function fields(ms, zone) {
    const offset = host.tzOffset(zone, ms);
    const d = new Date(ms + offset * 60000);
    return {
      year: d.getUTCFullYear(), month: d.getUTCMonth(), day: d.getUTCDate(), weekday: d.getUTCDay(),
      hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), ms: d.getUTCMilliseconds(), offset,
    };
  }

  const DATE_KEYS = ['weekday', 'era', 'year', 'month', 'day'];
  const TIME_KEYS = ['hour', 'minute', 'second', 'fractionalSecondDigits', 'dayPeriod'];

  function DateTimeFormat(locale, options) {
    if (!(this instanceof DateTimeFormat)) return new DateTimeFormat(locale, options);
    const o = Object.assign({}, options || {});
    this.locale = english(locale);
    this.requested = Array.isArray(locale) ? locale[0] : locale;
    this.zone = zoneOf(o.timeZone);
    if (o.dateStyle || o.timeStyle) unsupported('Intl.DateTimeFormat dateStyle/timeStyle');
    const any = [...DATE_KEYS, ...TIME_KEYS, 'timeZoneName'].some((k) => o[k] !== undefined);
    if (!any) Object.assign(o, { year: 'numeric', month: 'numeric', day: 'numeric' });
    this.options = o;
    this.hour12 = o.hourCycle ? o.hourCycle === 'h12' || o.hourCycle === 'h11' : o.hour12 === undefined ? true : !!o.hour12;
  }

  DateTimeFormat.prototype.resolvedOptions = function () {
    const o = this.options;
    const out = { locale: this.locale || String(this.requested), calendar: 'gregory', numberingSystem: 'latn', timeZone: this.zone };
    for (const k of [...DATE_KEYS, ...TIME_KEYS, 'timeZoneName']) if (o[k] !== undefined) out[k] = o[k];
    if (o.hour !== undefined) {
      out.hourCycle = this.hour12 ? 'h12' : 'h23';
      out.hour12 = this.hour12;
    }
    return out;
  };

  DateTimeFormat.prototype.formatToParts = function (date) {
    const ms = date === undefined ? Date.now() : typeof date === 'number' ? date : +date;
    if (!isFinite(ms)) throw new RangeError('Invalid time value');
    const o = this.options;
    const f = fields(ms, this.zone);
    const text = o.month === 'long' || o.month === 'short' || o.month === 'narrow' || o.weekday !== undefined || (o.era && o.era !== 'short') || o.timeZoneName === 'long';
    if (!this.locale && text) unsupported(`Date formatting in locale '${this.requested}'`);
    const parts = [];
    const lit = (value) => parts.push({ type: 'literal', value });
    const part = (type, value) => parts.push({ type, value: String(value) });
    const num = (value, style) => (style === '2-digit' ? pad(value % 100, 2) : String(value));
    const yearValue = f.year <= 0 ? 1 - f.year : f.year;
    // The date.
    const dateParts = [];
    if (o.weekday !== undefined) {
      const name = WEEKDAYS[f.weekday];
      dateParts.push(['weekday', o.weekday === 'long' ? name : o.weekday === 'short' ? name.slice(0, 3) : name[0]]);
    }
    const hasDate = o.year !== undefined || o.month !== undefined || o.day !== undefined;
    if (hasDate) {
      if (o.month === 'long' || o.month === 'short' || o.month === 'narrow') {
        const name = MONTHS[f.month];
        const month = o.month === 'long' ? name : o.month === 'short' ? name.slice(0, 3) : name[0];
        if (dateParts.length) dateParts.push(['literal', ', ']);
        dateParts.push(['month', month]);
        if (o.day !== undefined) dateParts.push(['literal', ' '], ['day', num(f.day, o.day)]);
        if (o.year !== undefined) dateParts.push(['literal', o.day !== undefined ? ', ' : ' '], ['year', num(yearValue, o.year)]);
      } else {
        if (dateParts.length) dateParts.push(['literal', ', ']);
        const seq = [];
        if (o.month !== undefined) seq.push(['month', num(f.month + 1, o.month)]);
        if (o.day !== undefined) seq.push(['day', num(f.day, o.day)]);
        if (o.year !== undefined) seq.push(['year', num(yearValue, o.year)]);
        seq.forEach((s, i) => {
          if (i) dateParts.push(['literal', '/']);
          dateParts.push(s);
        });
      }
      if (o.era !== undefined) dateParts.push(['literal', ' '], ['era', f.year <= 0 ? (o.era === 'long' ? 'Before Christ' : o.era === 'narrow' ? 'B' : 'BC') : o.era === 'long' ? 'Anno Domini' : o.era === 'narrow' ? 'A' : 'AD']);
    }
    for (const [type, value] of dateParts) (type === 'literal' ? lit(value) : part(type, value));
    // The time.
    const time = [];
    if (o.hour !== undefined || o.minute !== undefined || o.second !== undefined) {
      let hour = f.hour;
      if (this.hour12) hour = hour % 12 === 0 ? 12 : hour % 12;
      const seq = [];
      if (o.hour !== undefined) seq.push(['hour', this.hour12 ? num(hour, o.hour) : pad(hour, o.hour === '2-digit' || o.minute !== undefined ? 2 : 1)]);
      if (o.minute !== undefined) seq.push(['minute', o.hour !== undefined || o.minute === '2-digit' ? pad(f.minute, 2) : String(f.minute)]);
      if (o.second !== undefined) seq.push(['second', o.minute !== undefined || o.second === '2-digit' ? pad(f.second, 2) : String(f.second)]);
      seq.forEach((s, i) => {
        if (i) time.push(['literal', ':']);
        time.push(s);
      });
      if (o.fractionalSecondDigits) time.push(['literal', '.'], ['fractionalSecond', pad(f.ms, 3).slice(0, o.fractionalSecondDigits)]);
      if (o.hour !== undefined && this.hour12) time.push(['literal', ' '], ['dayPeriod', f.hour < 12 ? 'AM' : 'PM']);
    }
    if (o.timeZoneName !== undefined) {
      if (o.timeZoneName !== 'short') unsupported(`timeZoneName '${o.timeZoneName}'`);
      time.push(['literal', ' '], ['timeZoneName', host.tzAbbrev(this.zone, ms)]);
    }
    if (parts.length && time.length && time[0][0] !== 'literal') lit(o.month === 'long' ? ' at ' : ', ');
    else if (parts.length && time.length && time[0][1] === ' ' && time.length === 2) {
      // only a time zone name after the date
    }
    for (const [type, value] of time) (type === 'literal' ? lit(value) : part(type, value));
    if (!parts.length) return parts;
    if (parts[0].type === 'literal') parts.shift();
    return parts;
  };

  DateTimeFormat.prototype.format = function (date) {
    return this.formatToParts(date).map((p) => p.value).join('');
  };
  DateTimeFormat.supportedLocalesOf = (locales) => (Array.isArray(locales) ? locales : [locales]).filter((l) => english(l));

  // ---- numbers -----------------------------------------------------------------------------------
  const SEPARATORS = {
    en: [',', '.'],
    de: ['.', ','],
    fr: ['\u202f', ','],
    es: ['.', ','],
    it: ['.', ','],
    nl: ['.', ','],
    pt: ['.', ','],
  };
  const CURRENCIES = { USD: ['$', 2], EUR: ['€', 2], GBP: ['£', 2], JPY: ['¥', 0] };

  // Rounds the decimal text of a number (as `String(n)` writes it) half away from zero.
  function roundDecimal(n, maxFraction) {
    let [int, frac] = decimalParts(n);
    if (frac.length > maxFraction) {
      const up = frac.charCodeAt(maxFraction) >= 53;
      frac = frac.slice(0, maxFraction);
      if (up) {
        const digits = (int + frac).split('').map(Number);
        let i = digits.length - 1;
        while (i >= 0) {
          if (digits[i] === 9) {
            digits[i] = 0;
            i--;
          } else {
            digits[i]++;
            break;
          }
        }
        if (i < 0) digits.unshift(1);
        const all = digits.join('');
        int = all.slice(0, all.length - frac.length);
        frac = all.slice(all.length - frac.length);
      }
    }
    return [int, frac];
  }
  function decimalParts(n) {
    let s = String(n);
    if (s.includes('e')) {
      const [mant, exp] = s.split('e');
      const e = Number(exp);
      const [mi, mf = ''] = mant.split('.');
      const digits = mi + mf;
      const point = mi.length + e;
      if (point <= 0) s = '0.' + '0'.repeat(-point) + digits;
      else if (point >= digits.length) s = digits + '0'.repeat(point - digits.length);
      else s = digits.slice(0, point) + '.' + digits.slice(point);
    }
    const [int, frac = ''] = s.split('.');
    return [int, frac];
  }

  function NumberFormat(locale, options) {
    if (!(this instanceof NumberFormat)) return new NumberFormat(locale, options);
    const list = locale === undefined ? [] : Array.isArray(locale) ? locale : [locale];
    const tag = list.length ? String(list[0]) : 'en-US';
    const language = tag.split('-')[0].toLowerCase();
    if (!SEPARATORS[language]) unsupported(`Number formatting in locale '${tag}'`);
    const o = Object.assign({}, options || {});
    this.tag = tag;
    this.language = language;
    this.o = o;
    this.style = o.style || 'decimal';
    if (!['decimal', 'percent', 'currency'].includes(this.style)) unsupported(`Intl.NumberFormat style '${this.style}'`);
    for (const key of ['notation', 'compactDisplay', 'signDisplay', 'unit', 'unitDisplay', 'maximumSignificantDigits', 'minimumSignificantDigits', 'roundingMode', 'roundingIncrement']) {
      if (o[key] !== undefined) unsupported(`Intl.NumberFormat option '${key}'`);
    }
    let min = 0;
    let max = 3;
    if (this.style === 'percent') max = 0;
    if (this.style === 'currency') {
      if (!o.currency) throw new TypeError('Currency code is required with currency style.');
      this.currency = String(o.currency).toUpperCase();
      const known = CURRENCIES[this.currency];
      min = max = known ? known[1] : 2;
      if (o.currencyDisplay && o.currencyDisplay !== 'symbol' && o.currencyDisplay !== 'narrowSymbol') unsupported(`currencyDisplay '${o.currencyDisplay}'`);
    }
    if (o.minimumFractionDigits !== undefined) {
      min = Number(o.minimumFractionDigits);
      if (max < min) max = min;
    }
    if (o.maximumFractionDigits !== undefined) {
      max = Number(o.maximumFractionDigits);
      if (min > max) {
        if (o.minimumFractionDigits !== undefined) throw new RangeError('maximumFractionDigits value is out of range.');
        min = max;
      }
    }
    this.min = min;
    this.max = max;
    this.grouping = o.useGrouping === undefined ? true : !!o.useGrouping && o.useGrouping !== 'false';
    this.minInt = o.minimumIntegerDigits === undefined ? 1 : Number(o.minimumIntegerDigits);
  }
  NumberFormat.prototype.format = function (value) {
    const n = Number(value);
    if (Number.isNaN(n)) return 'NaN';
    const [group, decimal] = SEPARATORS[this.language];
    const negative = n < 0 || Object.is(n, -0);
    let body;
    if (!isFinite(n)) body = '∞';
    else {
      const scaled = this.style === 'percent' ? Math.abs(n) * 100 : Math.abs(n);
      let [int, frac] = roundDecimal(scaled, this.max);
      while (frac.length > this.min && frac.endsWith('0')) frac = frac.slice(0, -1);
      while (frac.length < this.min) frac += '0';
      int = int.replace(/^0+(?=\d)/, '').padStart(this.minInt, '0');
      if (this.grouping && (int.length > 4 || (int.length === 4 && this.language !== 'es'))) int = int.replace(/\B(?=(\d{3})+(?!\d))/g, group);
      body = frac ? int + decimal + frac : int;
    }
    const sign = negative ? '-' : '';
    if (this.style === 'percent') return sign + body + (this.language === 'en' ? '%' : '\u00a0%');
    if (this.style === 'currency') {
      const symbol = CURRENCIES[this.currency] ? CURRENCIES[this.currency][0] : this.currency;
      if (this.language === 'en') return sign + (CURRENCIES[this.currency] ? symbol : symbol + '\u00a0') + body;
      return sign + body + '\u00a0' + symbol;
    }
    return sign + body;
  };
  NumberFormat.prototype.formatToParts = function (value) {
    return [{ type: 'literal', value: this.format(value) }];
  };
  NumberFormat.prototype.resolvedOptions = function () {
    return { locale: this.tag, numberingSystem: 'latn', style: this.style, minimumFractionDigits: this.min, maximumFractionDigits: this.max, useGrouping: this.grouping };
  };
  NumberFormat.supportedLocalesOf = (locales) => (Array.isArray(locales) ? locales : [locales]).filter((l) => SEPARATORS[String(l).split('-')[0].toLowerCase()]);

  globalThis.Intl = { DateTimeFormat, NumberFormat, getCanonicalLocales: (l) => (Array.isArray(l) ? l : l === undefined ? [] : [l]).map(String) };

  // The locale methods of the built-ins, as Node (ICU, en-US) writes them.
  /* eslint-disable no-extend-native */
  Number.prototype.toLocaleString = function (locales, options) {
    return new NumberFormat(locales, options).format(this);
  };
  const dateString = (d, locales, options, defaults) => {
    const o = Object.assign({}, options || {});
    const any = [...DATE_KEYS, ...TIME_KEYS, 'timeZoneName'].some((k) => o[k] !== undefined);
    return new DateTimeFormat(locales, any ? o : Object.assign(o, defaults)).format(d);
  };
  Date.prototype.toLocaleString = function (locales, options) {
    return dateString(this, locales, options, { year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: '2-digit', second: '2-digit' });
  };
  Date.prototype.toLocaleDateString = function (locales, options) {
    return dateString(this, locales, options, { year: 'numeric', month: 'numeric', day: 'numeric' });
  };
  Date.prototype.toLocaleTimeString = function (locales, options) {
    return dateString(this, locales, options, { hour: 'numeric', minute: '2-digit', second: '2-digit' });
  };
  // ICU's root collation, approximately: letters compare without case and accents first, then
  // accents, then lower case before upper case; punctuation before digits before letters.
  const collationClass = (c) => (/\p{L}/u.test(c) ? 2 : /\p{N}/u.test(c) ? 1 : 0);
  const base = (s) => s.normalize('NFD').replace(/\p{M}/gu, '');
  String.prototype.localeCompare = function (that) {
    const a = String(this);
    const b = String(that);
    const ka = [...base(a).toLowerCase()];
    const kb = [...base(b).toLowerCase()];
    for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
      if (ka[i] === kb[i]) continue;
      const ca = collationClass(ka[i]);
      const cb = collationClass(kb[i]);
      if (ca !== cb) return ca < cb ? -1 : 1;
      return ka[i] < kb[i] ? -1 : 1;
    }
    if (ka.length !== kb.length) return ka.length < kb.length ? -1 : 1;
    const na = a.normalize('NFD');
    const nb = b.normalize('NFD');
    if (base(a) === base(b) && na.toLowerCase() !== nb.toLowerCase()) return na.toLowerCase() < nb.toLowerCase() ? -1 : 1;
    if (a === b) return 0;
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (a[i] === b[i]) continue;
      const la = a[i] === a[i].toLowerCase();
      const lb = b[i] === b[i].toLowerCase();
      if (la !== lb) return la ? -1 : 1;
      return a[i] < b[i] ? -1 : 1;
    }
    return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
  };
})();
