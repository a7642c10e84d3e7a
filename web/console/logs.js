// The Logs page (/logs?query=…&range=1h&end=…&limit=1000): a LogQL search through Loki's query API,
// a histogram of the matching lines over time (a count_over_time of the same query, by level) and
// the lines below, newest first; a line that carries a correlation ID links to its request's
// timeline. The state lives in the URL, so a link reproduces the view.
import { api, el, formatTime, parseDuration, formatDuration, parseTime } from './api.js';

const RANGES = ['5m', '15m', '30m', '1h', '3h', '6h', '12h', '1d', '2d', '7d', '30d'];
const LIMITS = [100, 500, 1000, 2000, 5000];
const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400].map((s) => s * 1000);
const BARS = 120;

function ensurePagesCss() {
  if (!document.querySelector('link[data-pages-css]')) {
    document.head.append(el('link', { rel: 'stylesheet', href: '/static/console/pages.css', 'data-pages-css': true }));
  }
}

// ---- Correlation IDs, as gnomond finds them (its default [logs] correlation_fields and pattern) ----

const ID_FIELDS = ['correlation_id', 'trace_id', 'request_id', 'traceparent'];
const ID_PATTERN = /(?:\b|_)(?:cid|correlation_id|trace_id|request_id)["']?\s*[=:]\s*["']?([A-Za-z0-9._:-]+)/;

function canonicalId(field, value) {
  if (typeof value !== 'string' || !value) return null;
  if (field === 'traceparent') {
    const m = value.match(/^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/i);
    return m ? m[1].toLowerCase() : null;
  }
  return value;
}

export function correlationId(line, labels) {
  for (const f of ID_FIELDS) {
    const id = canonicalId(f, labels?.[f]);
    if (id) return id;
  }
  if (line.startsWith('{')) {
    try {
      const j = JSON.parse(line);
      if (j && typeof j === 'object') {
        for (const f of ID_FIELDS) {
          const id = canonicalId(f, j[f]);
          if (id) return id;
        }
      }
    } catch { /* not JSON: try the pattern */ }
  }
  const m = line.match(ID_PATTERN);
  return m ? m[1] : null;
}

// ---- Helpers ----

function levelClass(level) {
  const l = String(level || '').toLowerCase();
  if (['error', 'err', 'fatal', 'critical', 'crit', 'panic', 'emerg', 'alert'].includes(l)) return 'error';
  if (l === 'warn' || l === 'warning') return 'warn';
  if (l === 'debug' || l === 'trace') return 'debug';
  return l ? 'info' : '';
}

const nsOf = (ms) => `${Math.round(ms)}000000`;
const msOfNs = (ns) => Number(ns) / 1e6;

function isLogQuery(q) { return q.trim().startsWith('{'); }

function pickStep(rangeMs) {
  return STEPS.find((s) => rangeMs / s <= BARS) || Math.ceil(rangeMs / BARS / 86400e3) * 86400e3;
}

function tickLabel(t, step, span) {
  const d = new Date(t), p = (n) => String(n).padStart(2, '0');
  const hm = `${p(d.getHours())}:${p(d.getMinutes())}`;
  if (span > 2 * 86400e3) return `${d.getMonth() + 1}/${d.getDate()} ${hm}`;
  return step < 60e3 ? `${hm}:${p(d.getSeconds())}` : hm;
}

// ---- The histogram: one bar per step, stacked by level ----

function histogram(series, start, step, n, onZoom, unit) {
  // series: [{level, values: Map(bucketIndex -> count)}]
  const totals = new Array(n).fill(0);
  for (const s of series) for (const [i, v] of s.values) totals[i] += v;
  const max = Math.max(1, ...totals);
  const order = { error: 0, warn: 1, info: 2, debug: 3, '': 4 };
  series.sort((a, b) => (order[levelClass(a.level)] ?? 4) - (order[levelClass(b.level)] ?? 4));
  const chart = el('div', { class: 'histogram', role: 'img', 'aria-label': `matching lines per ${formatDuration(step)}` });
  for (let i = 0; i < n; i++) {
    const from = start + i * step, to = from + step;
    const parts = series.map((s) => [s.level, s.values.get(i) || 0]).filter(([, v]) => v > 0);
    const title = `${formatTime(from)} – ${formatTime(to)}: ${totals[i].toLocaleString()}${unit ? ' lines' : ''}` +
      (parts.length > 1 || (parts.length === 1 && parts[0][0]) ? `\n${parts.map(([l, v]) => `${l || 'no level'}: ${v.toLocaleString()}`).join('\n')}` : '');
    const bar = el('div', { class: 'bar', title, 'data-count': totals[i], 'data-start': from, onclick: () => onZoom(from, to) });
    // column-reverse: the first child is at the bottom — errors at the bottom, where they are seen.
    for (const [level, v] of parts) {
      bar.append(el('span', { class: `level-${levelClass(level) || 'none'}`, style: `height:${(v / max) * 100}%` }));
    }
    chart.append(bar);
  }
  chart.append(el('span', { class: 'ymax' }, unit ? `${max.toLocaleString()} lines / ${formatDuration(step)}` : `max ${max.toLocaleString()}`));
  const span = n * step;
  const axis = el('div', { class: 'hist-axis' });
  const tickStep = STEPS.concat([2 * 86400e3, 7 * 86400e3]).find((s) => span / s <= 8) || span;
  const tz = new Date().getTimezoneOffset() * 60e3;
  for (let t = Math.ceil((start - tz) / tickStep) * tickStep + tz; t <= start + span; t += tickStep) {
    axis.append(el('span', { style: `left:${((t - start) / span) * 100}%` }, tickLabel(t, tickStep, span)));
  }
  return [chart, axis];
}

// ---- The lines ----

function linesTable(entries) {
  const rows = new Array(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    const level = e.labels.level || e.labels.detected_level || '';
    const lc = levelClass(level);
    const service = e.labels.service || e.labels.service_name || e.labels.job || '';
    const other = Object.entries(e.labels).filter(([k]) => !['service', 'level'].includes(k)).map(([k, v]) => `${k}="${v}"`).join(', ');
    const id = correlationId(e.line, e.labels);
    rows[i] = el('tr', { class: lc ? `level-${lc}` : null },
      el('td', { class: 'time', title: `${e.ns} ns` }, formatTime(e.t, true)),
      el('td', { class: 'labels', title: other || null },
        service ? el('span', { class: 'chip service' }, service) : null,
        level ? el('span', { class: `chip level level-${lc}` }, level) : null),
      el('td', { class: 'text' }, e.line),
      el('td', { class: 'cid' }, id ? el('a', {
        href: `/logs/correlation/${encodeURIComponent(id)}`, class: 'timeline-link', title: `The request's timeline: ${id}`,
      }, id.length > 14 ? `${id.slice(0, 12)}…` : id) : null));
  }
  return el('table', { class: 'loglines' },
    el('thead', {}, el('tr', {}, el('th', {}, 'Time'), el('th', {}, 'Labels'), el('th', {}, 'Line'), el('th', {}, 'Request'))),
    el('tbody', {}, rows));
}

// ---- The page ----

let inflight = null;

export async function render(main, url) {
  ensurePagesCss();
  delete document.body.dataset.pageReady;
  const state = {
    query: url.searchParams.get('query') || '',
    range: parseDuration(url.searchParams.get('range') || '') ? url.searchParams.get('range') : '1h',
    end: url.searchParams.get('end') || '',
    limit: Number(url.searchParams.get('limit')) > 0 ? Number(url.searchParams.get('limit')) : 1000,
  };

  const input = el('textarea', {
    class: 'logql', rows: 1, spellcheck: 'false', 'aria-label': 'LogQL query',
    placeholder: '{service="checkout"} |= "error"   (Enter runs, Shift+Enter for a new line)',
  });
  input.value = state.query;
  const rangeSel = el('select', { 'aria-label': 'range', title: 'Time range' },
    (RANGES.includes(state.range) ? RANGES : [state.range, ...RANGES]).map((r) => el('option', { value: r, selected: r === state.range }, r)));
  const endInput = el('input', { class: 'end', type: 'text', placeholder: 'end: now', title: 'End: RFC 3339 or unix seconds; empty for now', 'aria-label': 'end time' });
  endInput.value = state.end;
  const limitSel = el('select', { 'aria-label': 'limit', title: 'The most lines shown' },
    (LIMITS.includes(state.limit) ? LIMITS : [state.limit, ...LIMITS]).map((l) => el('option', { value: l, selected: l === state.limit }, `${l} lines`)));
  const run = el('button', { type: 'button', class: 'primary' }, 'Run');
  const shift = (dir) => {
    const rangeMs = parseDuration(rangeSel.value);
    const end = parseTime(endInput.value) ?? Date.now();
    const next = end + dir * rangeMs;
    endInput.value = next >= Date.now() ? '' : new Date(next).toISOString();
    go();
  };
  const toolbar = el('div', { class: 'toolbar' }, input, rangeSel,
    el('button', { type: 'button', title: 'Earlier', onclick: () => shift(-1) }, '◀'), endInput,
    el('button', { type: 'button', title: 'Later', onclick: () => shift(1) }, '▶'),
    el('button', { type: 'button', title: 'Up to now', onclick: () => { endInput.value = ''; go(); } }, 'now'),
    limitSel, run);
  const errorBox = el('div');
  const histPanel = el('div', { class: 'panel hist-panel' });
  const info = el('div', { class: 'toolbar small muted' });
  const linesPanel = el('div', { class: 'lines-panel' });
  main.replaceChildren(el('div', { class: 'logs-page' }, el('h2', { class: 'page-title' }, 'Logs'), toolbar, errorBox, histPanel, info, linesPanel));

  function go() {
    state.query = input.value.trim();
    state.range = rangeSel.value;
    state.end = endInput.value.trim();
    state.limit = Number(limitSel.value);
    const u = new URL(location.href);
    u.search = '';
    if (state.query) u.searchParams.set('query', state.query);
    u.searchParams.set('range', state.range);
    if (state.end) u.searchParams.set('end', state.end);
    if (state.limit !== 1000) u.searchParams.set('limit', state.limit);
    history.replaceState(null, '', u);
    return execute();
  }

  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); go(); }
  });
  input.addEventListener('input', () => { input.style.height = 'auto'; input.style.height = `${Math.min(input.scrollHeight + 2, 200)}px`; });
  rangeSel.addEventListener('change', go);
  limitSel.addEventListener('change', go);
  endInput.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') go(); });
  run.addEventListener('click', go);

  async function execute() {
    if (inflight) inflight.abort();
    const ctrl = new AbortController();
    inflight = ctrl;
    const signal = ctrl.signal;
    errorBox.replaceChildren();
    input.classList.remove('bad');
    if (!state.query) {
      await showHelp(signal);
      if (!signal.aborted) document.body.dataset.pageReady = '1';
      return;
    }
    const rangeMs = parseDuration(state.range);
    let end = Date.now();
    if (state.end) {
      const t = parseTime(state.end);
      if (t === null) {
        errorBox.replaceChildren(el('div', { class: 'error query-error' }, `Cannot read the end time "${state.end}": use RFC 3339 or unix seconds.`));
        document.body.dataset.pageReady = '1';
        return;
      }
      end = t;
    }
    const start = end - rangeMs;
    const step = pickStep(rangeMs);
    const bucketEnd = Math.ceil(end / step) * step;
    const n = Math.ceil((bucketEnd - start) / step);
    const bucketStart = bucketEnd - n * step;
    const logQuery = isLogQuery(state.query);
    histPanel.replaceChildren(el('p', { class: 'muted' }, 'Counting…'));
    info.replaceChildren(el('span', {}, 'Searching…'));
    linesPanel.replaceChildren();
    const began = performance.now();

    const histQuery = logQuery ? `sum by (level) (count_over_time(${state.query} [${formatDuration(step)}]))` : state.query;
    const histP = api('/loki/api/v1/query_range', {
      query: histQuery, start: nsOf(bucketStart + step), end: nsOf(bucketEnd), step: step / 1000,
    }, { signal });
    const linesP = logQuery ? api('/loki/api/v1/query_range', {
      query: state.query, start: nsOf(start), end: nsOf(end), limit: state.limit, direction: 'backward',
    }, { signal }) : Promise.resolve(null);
    const [hist, lines] = await Promise.allSettled([histP, linesP]);
    if (signal.aborted) return;

    const failure = lines.status === 'rejected' ? lines.reason : (!logQuery && hist.status === 'rejected' ? hist.reason : null);
    if (failure) {
      input.classList.add('bad');
      // "parse error at line 1, col 21: …": the query with a caret under that column.
      const pos = /line (\d+), col(?:umn)? (\d+)/.exec(failure.message);
      let caret = null;
      if (pos) {
        const line = state.query.split('\n')[Number(pos[1]) - 1];
        if (line !== undefined) caret = el('pre', { class: 'caret' }, line, '\n', `${' '.repeat(Math.max(0, Number(pos[2]) - 1))}^`);
      }
      errorBox.replaceChildren(el('div', { class: 'error query-error', role: 'alert' },
        el('b', {}, failure.status === 400 ? 'Query error: ' : `Error${failure.status ? ` (HTTP ${failure.status})` : ''}: `), failure.message, caret));
      histPanel.replaceChildren();
      info.replaceChildren();
      document.body.dataset.pageReady = '1';
      return;
    }

    // The histogram.
    if (hist.status === 'fulfilled') {
      const series = [];
      for (const s of hist.value.result || []) {
        const values = new Map();
        for (const [t, v] of s.values || []) {
          const i = Math.round((t * 1000 - bucketStart) / step) - 1;
          if (i >= 0 && i < n) values.set(i, (values.get(i) || 0) + Number(v));
        }
        series.push({ level: logQuery ? (s.metric?.level || '') : '', values });
      }
      const zoom = (from, to) => {
        const r = formatDuration(to - from);
        if (![...rangeSel.options].some((o) => o.value === r)) rangeSel.prepend(el('option', { value: r }, r));
        rangeSel.value = r;
        endInput.value = new Date(to).toISOString();
        go();
      };
      const total = series.reduce((a, s) => a + [...s.values.values()].reduce((x, y) => x + y, 0), 0);
      histPanel.replaceChildren(
        el('div', { class: 'toolbar small muted', style: 'margin-top:0' },
          el('span', {}, logQuery ? `${total.toLocaleString()} matching lines from ${formatTime(bucketStart)} to ${formatTime(bucketEnd)}, per ${formatDuration(step)}`
            : `the metric query, summed over its ${series.length} series, per ${formatDuration(step)}`),
          el('span', { style: 'margin-left:auto' }, 'click a bar to zoom in'),
          logQuery ? el('span', { class: 'legend', style: 'margin:0' },
            el('span', {}, el('i', { class: 'error', style: 'border-radius:2px' }), 'error'),
            el('span', {}, el('i', { style: 'background:var(--warn)' }), 'warn'),
            el('span', {}, el('i', { style: 'background:var(--accent)' }), 'info / other'),
            el('span', {}, el('i', { style: 'background:var(--muted)' }), 'debug')) : null),
        ...histogram(series, bucketStart, step, n, zoom, logQuery));
    } else {
      histPanel.replaceChildren(el('p', { class: 'muted' }, `No histogram: ${hist.reason.message}`));
    }

    if (!logQuery) {
      info.replaceChildren(el('span', {}, 'A metric query: the histogram shows it; a log query (starting with a stream selector {…}) lists lines.'));
      document.body.dataset.pageReady = '1';
      return;
    }

    // The lines, newest first.
    const entries = [];
    for (const s of lines.value.result || []) {
      const labels = s.stream || {};
      for (const [ns, line] of s.values || []) entries.push({ ns, t: msOfNs(ns), labels, line });
    }
    entries.sort((a, b) => (b.ns.length - a.ns.length) || (b.ns < a.ns ? -1 : b.ns > a.ns ? 1 : 0));
    const shown = entries.slice(0, state.limit);
    const ms = Math.round(performance.now() - began);
    const summary = lines.value.stats?.summary;
    info.replaceChildren(
      el('span', { class: 'count' }, `${shown.length.toLocaleString()} line${shown.length === 1 ? '' : 's'}`),
      el('span', {}, shown.length >= state.limit ? `(the limit: the newest ${state.limit} of the range)` : 'newest first'),
      summary ? el('span', {}, `${Number(summary.totalLinesProcessed || 0).toLocaleString()} lines scanned`) : null,
      el('span', {}, `${ms} ms`));
    linesPanel.replaceChildren(shown.length ? linesTable(shown)
      : el('p', { class: 'muted empty' }, `No lines match in ${formatTime(start)} – ${formatTime(end)}.`));
    document.body.dataset.pageReady = '1';
  }

  // No query yet: the services to start from, and a few examples.
  async function showHelp(signal) {
    info.replaceChildren();
    linesPanel.replaceChildren();
    const pick = (q) => { input.value = q; go(); };
    let services = [];
    try {
      const end = Date.now();
      services = await api('/loki/api/v1/label/service/values', { start: nsOf(end - 7 * 86400e3), end: nsOf(end) }, { signal });
    } catch (e) {
      if (signal.aborted) return;
      services = [];
    }
    if (signal.aborted) return;
    const first = services[0] || 'checkout';
    histPanel.replaceChildren(
      el('h3', { class: 'section' }, 'Search logs with LogQL'),
      el('p', { class: 'muted' }, 'Type a query and press Enter. Lines are listed newest first; a line with a correlation ID links to its request\'s timeline.'),
      services.length ? el('div', {}, el('span', { class: 'muted' }, 'Services: '),
        services.map((s) => el('button', { type: 'button', class: 'chip', onclick: () => pick(`{service="${s}"}`) }, s)))
        : el('p', { class: 'muted' }, 'No log lines yet: push some to /api/v1/logs (NDJSON) or /loki/api/v1/push.'),
      el('div', { style: 'margin-top:8px' }, el('span', { class: 'muted' }, 'Examples: '),
        [`{service="${first}"}`, `{service=~".+", level="error"}`, `{service="${first}"} |= "fail"`, `{service=~".+"} | json | level="error"`]
          .map((q) => el('button', { type: 'button', class: 'chip', onclick: () => pick(q) }, el('code', {}, q)))));
  }

  await execute();
}
