// PromQL in CodeMirror 5 (Debian's libjs-codemirror, loaded as classic scripts by index.html, so
// window.CodeMirror exists): a simple-mode highlighting, and a completion source for show-hint that
// knows where the cursor is — a function or metric name, a label name inside {…} or by (…) (the
// labels of that metric, /api/v1/labels?match[]=metric), a label value inside quotes after =, !=,
// =~ or !~ (/api/v1/label/NAME/values?match[]=metric), a duration inside […] or after offset.
import { api } from './api.js';

export const AGGREGATIONS = ['sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values',
  'bottomk', 'topk', 'quantile'];
export const FUNCTIONS = ['abs', 'absent', 'absent_over_time', 'acos', 'acosh', 'asin', 'asinh', 'atan', 'atanh',
  'avg_over_time', 'ceil', 'changes', 'clamp', 'clamp_max', 'clamp_min', 'cos', 'cosh', 'count_over_time',
  'day_of_month', 'day_of_week', 'day_of_year', 'days_in_month', 'deg', 'delta', 'deriv', 'exp', 'floor',
  'histogram_count', 'histogram_fraction', 'histogram_quantile', 'histogram_sum', 'holt_winters', 'hour', 'idelta',
  'increase', 'irate', 'label_join', 'label_replace', 'last_over_time', 'ln', 'log10', 'log2', 'max_over_time',
  'min_over_time', 'minute', 'month', 'pi', 'predict_linear', 'present_over_time', 'quantile_over_time', 'rad',
  'rate', 'resets', 'round', 'scalar', 'sgn', 'sin', 'sinh', 'sort', 'sort_desc', 'sqrt', 'stddev_over_time',
  'stdvar_over_time', 'sum_over_time', 'tan', 'tanh', 'time', 'timestamp', 'vector', 'year'];
export const KEYWORDS = ['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool',
  'and', 'or', 'unless', 'atan2'];
const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const NOT_METRIC = new Set([...AGGREGATIONS, ...FUNCTIONS, ...KEYWORDS]);
const DURATIONS = ['1m', '5m', '10m', '15m', '30m', '1h', '3h', '6h', '12h', '1d', '7d'];
const MATCH_OPS = new Set(['=', '!=', '=~', '!~']);

const words = (list) => new RegExp(`(?:${list.join('|')})\\b`);
const DURATION_RE = /\d+(?:ms|[smhdwy])(?:\d+(?:ms|[smhdwy]))*\b/;
const NUMBER_RE = /(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[Ii]nf\b|NaN\b)/;
const STRING_RES = [/"(?:[^\\"]|\\.)*"?/, /'(?:[^\\']|\\.)*'?/, /`[^`]*`?/];

// Tokens: keyword (by, without, offset, bool, and/or/unless, @), variable-2 (aggregations), builtin
// (functions), variable (metric names), attribute (label names in matchers and groupings), string,
// number (numbers), atom (durations), operator, bracket, comment.
export function defineMode(CodeMirror) {
  if (CodeMirror.modes.promql) return;
  const common = [
    { regex: /#.*/, token: 'comment' },
    ...STRING_RES.map((regex) => ({ regex, token: 'string' })),
  ];
  CodeMirror.defineSimpleMode('promql', {
    start: [
      ...common,
      { regex: /(by|without|on|ignoring|group_left|group_right)(\s*)(\()/, token: ['keyword', null, 'bracket'], push: 'labels' },
      { regex: /\{/, token: 'bracket', push: 'matchers' },
      { regex: /\[/, token: 'bracket', push: 'range' },
      { regex: words(AGGREGATIONS), token: 'variable-2' },
      { regex: new RegExp(`(?:${FUNCTIONS.join('|')})(?=\\s*\\()`), token: 'builtin' },
      { regex: words(KEYWORDS), token: 'keyword' },
      { regex: /@|\b(?:start|end)(?=\s*\(\s*\))/, token: 'keyword' },
      { regex: DURATION_RE, token: 'atom' },
      { regex: NUMBER_RE, token: 'number' },
      { regex: /[a-zA-Z_:][\w:]*/, token: 'variable' },
      { regex: /(?:==|!=|>=|<=|=~|!~|[-+*/%^<>=])/, token: 'operator' },
      { regex: /[()\]}]/, token: 'bracket' },
    ],
    matchers: [
      ...common,
      { regex: /\}/, token: 'bracket', pop: true },
      { regex: /(?:=~|!~|!=|=)/, token: 'operator' },
      { regex: /[a-zA-Z_][\w]*/, token: 'attribute' },
    ],
    labels: [
      ...common,
      { regex: /\)/, token: 'bracket', pop: true },
      { regex: /[a-zA-Z_][\w]*/, token: 'attribute' },
    ],
    range: [
      { regex: /\]/, token: 'bracket', pop: true },
      { regex: DURATION_RE, token: 'atom' },
      { regex: /:/, token: 'operator' },
    ],
    meta: { lineComment: '#', electricChars: ')}]' },
  });
}

// The metric of {__name__="x", …}, from its matchers' tokens (null if none).
function nameMatcher(level) {
  for (let k = 0; k + 2 < level.length; k++) {
    if (level[k].t !== '__name__' || level[k + 1].t !== '=' || level[k + 2].kind !== 'string') continue;
    const q = level[k + 2].t;
    if (q[0] === '`') return q.slice(1, -1);
    try { return JSON.parse(q[0] === '"' ? q : `"${q.slice(1, -1).replace(/"/g, '\\"')}"`); } catch { return null; }
  }
  return null;
}

// Where the cursor is, from the text before it (a small lexer: strings, comments, brackets and the
// tokens before the cursor). One of
//   {kind: 'none'}
//   {kind: 'expr', from, prefix}                  a function, aggregation, keyword or metric name
//   {kind: 'labelName', from, prefix, metric}     inside {…} (metric: the selector's name, or null)
//                                                 or inside by (…)/on (…) (metric null)
//   {kind: 'labelValue', from, prefix, label, metric, quoted}
//                                                 inside the quotes after name= (quoted: the string's
//                                                 opening quote, else null: the value is to be quoted)
//   {kind: 'duration', from, prefix}              inside […] or after offset
export function completionContext(text, pos) {
  const stack = [];  // {ch, metric, grouping}
  let tokLevel = [];  // the significant tokens of the innermost open bracket's level, as {t, kind}
  let i = 0;
  let lastTok = null;
  const push = (t, kind) => { lastTok = { t, kind }; tokLevel.push(lastTok); };
  while (i < pos) {
    const c = text[i];
    if (c === '#') {
      const nl = text.indexOf('\n', i);
      if (nl < 0 || nl >= pos) return { kind: 'none' };
      i = nl + 1;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < pos && text[j] !== c) j += c !== '`' && text[j] === '\\' ? 2 : 1;
      if (j >= pos) {
        // The cursor is inside this string.
        const top = stack[stack.length - 1];
        const n = tokLevel.length;
        if (top && top.ch === '{' && n >= 2 && MATCH_OPS.has(tokLevel[n - 1].t) && tokLevel[n - 2].kind === 'ident') {
          return { kind: 'labelValue', from: i + 1, prefix: text.slice(i + 1, pos), label: tokLevel[n - 2].t, metric: top.metric ?? nameMatcher(tokLevel), quoted: c };
        }
        return { kind: 'none' };
      }
      push(text.slice(i, j + 1), 'string');
      i = j + 1;
      continue;
    }
    if (/\s/.test(c)) { i++; continue; }
    if (c === '{' || c === '(' || c === '[') {
      const entry = { ch: c, metric: null, grouping: false, saved: tokLevel, savedLast: lastTok };
      if (c === '{' && lastTok && lastTok.kind === 'ident' && !NOT_METRIC.has(lastTok.t)) entry.metric = lastTok.t;
      if (c === '(' && lastTok && GROUPING.has(lastTok.t)) entry.grouping = true;
      stack.push(entry);
      tokLevel = [];
      lastTok = { t: c, kind: 'open' };
      i++;
      continue;
    }
    if (c === '}' || c === ')' || c === ']') {
      const entry = stack.pop();
      if (entry) { tokLevel = entry.saved; lastTok = entry.savedLast; }
      push(c, 'close');
      i++;
      continue;
    }
    const m = /^[a-zA-Z_:][\w:]*/.exec(text.slice(i, Math.min(pos, i + 256)));
    if (m) {
      push(m[0], 'ident');
      i += m[0].length;
      continue;
    }
    const num = /^(?:\d+(?:ms|[smhdwy])(?:\d+(?:ms|[smhdwy]))*|0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/.exec(text.slice(i, Math.min(pos, i + 64)));
    if (num) {
      push(num[0], 'number');
      i += num[0].length;
      continue;
    }
    const op = /^(?:==|!=|>=|<=|=~|!~|[-+*/%^<>=,@:])/.exec(text.slice(i, i + 2));
    push(op ? op[0] : c, 'op');
    i += op ? op[0].length : 1;
  }
  // The word the cursor is in (or right after).
  const before = /[\w:]*$/.exec(text.slice(Math.max(0, pos - 256), pos))[0];
  let prefix = before;
  let from = pos - prefix.length;
  // If the lexer took the word as the last token, look at what came before it.
  let level = tokLevel;
  if (prefix && level.length && level[level.length - 1].t.endsWith(prefix) && level[level.length - 1].kind !== 'open') {
    level = level.slice(0, -1);
  }
  if (/^\d/.test(prefix)) {
    const top = stack[stack.length - 1];
    const prev = level[level.length - 1];
    if ((top && top.ch === '[') || (prev && prev.t === 'offset')) return { kind: 'duration', from, prefix };
    return { kind: 'none' };
  }
  const top = stack[stack.length - 1];
  const prev = level[level.length - 1];
  const prev2 = level[level.length - 2];
  if (top && top.ch === '[') return { kind: 'duration', from, prefix };
  if (prev && prev.t === 'offset') return { kind: 'duration', from, prefix };
  if (top && top.ch === '{') {
    const metric = top.metric ?? nameMatcher(level);
    if (prev && MATCH_OPS.has(prev.t) && prev2 && prev2.kind === 'ident') {
      return { kind: 'labelValue', from, prefix, label: prev2.t, metric, quoted: null };
    }
    if (!prev || prev.t === ',') return { kind: 'labelName', from, prefix, metric };
    return { kind: 'none' };
  }
  if (top && top.ch === '(' && top.grouping) {
    if (!prev || prev.t === ',') return { kind: 'labelName', from, prefix, metric: null };
    return { kind: 'none' };
  }
  return { kind: 'expr', from, prefix };
}

// Names from the API, fetched once a page (and per metric / label), shared by every editor.
const cache = new Map();
function cached(key, load) {
  if (!cache.has(key)) {
    const p = load().catch((e) => { cache.delete(key); throw e; });
    cache.set(key, p);
  }
  return cache.get(key);
}
export function clearCompletionCache() { cache.clear(); }
const metricNames = () => cached('metrics', () => api('/api/v1/label/__name__/values'));
const labelNames = (metric) => cached(`labels:${metric || ''}`,
  () => api('/api/v1/labels', metric ? { 'match[]': metric } : {}).then((l) => l.filter((n) => n !== '__name__')));
const labelValues = (label, metric) => cached(`values:${label}:${metric || ''}`,
  () => api(`/api/v1/label/${encodeURIComponent(label)}/values`, metric ? { 'match[]': metric } : {}));

// Candidates that start with the prefix first, then those that contain it; at most `limit`.
function rank(candidates, prefix, limit = 300) {
  const p = prefix.toLowerCase();
  const starts = [], contains = [];
  for (const c of candidates) {
    const l = c.text.toLowerCase();
    if (!p || l.startsWith(p)) starts.push(c);
    else if (l.includes(p)) contains.push(c);
    if (starts.length >= limit) break;
  }
  return starts.concat(contains).slice(0, limit);
}

function item(text, kind, displayText = text) {
  return {
    text, displayText, className: `hint-${kind}`,
    render(elt, _data, cur) {
      const name = document.createElement('span');
      name.textContent = cur.displayText;
      const k = document.createElement('span');
      k.className = 'hint-kind';
      k.textContent = kind;
      elt.append(name, k);
    },
  };
}

const escapeValue = (v, q) => (q === '`' ? v : v.replace(/\\/g, '\\\\').replace(new RegExp(q, 'g'), `\\${q}`));

// The show-hint source: hint(cm, options) -> Promise<{list, from, to}|null>. `explicit` (Ctrl-Space)
// completes an empty word too.
export async function promqlHint(cm, options = {}) {
  const doc = cm.getDoc();
  const cursor = doc.getCursor();
  const text = doc.getValue();
  const pos = doc.indexFromPos(cursor);
  const ctx = completionContext(text, pos);
  if (ctx.kind === 'none') return null;
  if (!ctx.prefix && !options.explicit && ctx.kind === 'expr') return null;
  // Replace the whole word under the cursor (its part after the cursor too).
  let end = pos;
  let list = [];
  try {
    if (ctx.kind === 'expr') {
      const names = await metricNames().catch(() => []);
      const candidates = [
        ...AGGREGATIONS.map((a) => item(a, 'aggregation')),
        ...FUNCTIONS.map((f) => item(`${f}(`, 'function', f)),
        ...KEYWORDS.map((k) => item(k, 'keyword')),
        ...names.map((n) => item(n, 'metric')),
      ];
      list = rank(candidates, ctx.prefix);
      while (end < text.length && /[\w:]/.test(text[end])) end++;
    } else if (ctx.kind === 'labelName') {
      const names = await labelNames(ctx.metric);
      list = rank(names.map((n) => item(n, 'label')), ctx.prefix);
      while (end < text.length && /\w/.test(text[end])) end++;
    } else if (ctx.kind === 'labelValue') {
      const values = await labelValues(ctx.label, ctx.metric);
      if (ctx.quoted) {
        const q = ctx.quoted;
        while (end < text.length && text[end] !== q && text[end] !== '\n') end += text[end] === '\\' ? 2 : 1;
        if (text[end] === q) end++;  // the closing quote is replaced too, and always written
        list = rank(values.map((v) => item(escapeValue(v, q) + q, 'value', v)), ctx.prefix);
      } else {
        list = rank(values.map((v) => item(JSON.stringify(v), 'value', v)), ctx.prefix);
        while (end < text.length && /[\w:]/.test(text[end])) end++;
      }
    } else if (ctx.kind === 'duration') {
      list = rank(DURATIONS.map((d) => item(d, 'duration')), ctx.prefix);
      while (end < text.length && /[\w]/.test(text[end])) end++;
    }
  } catch {
    return null;
  }
  if (!list.length) return null;
  // Nothing to offer when the only candidate is what is already typed.
  if (list.length === 1 && text.slice(ctx.from, end) === list[0].text) return null;
  return { list, from: doc.posFromIndex(ctx.from), to: doc.posFromIndex(end) };
}
