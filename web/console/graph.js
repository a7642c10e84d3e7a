// The Graph page: PromQL panels, each an editor (highlighting and completion, promql_mode.js), a
// range/end/step picker, and a Graph tab (/api/v1/query_range drawn by chart.js) or a Table tab
// (/api/v1/query). All of the page's state is in its URL, so a link reproduces the view.
//
// The URL: panel 0's parameters are bare, panel N's (N >= 1) carry the suffix N:
//   expr, expr1, …    the expression (every panel has its exprN, possibly empty)
//   range, range1, …  the graph's range as a Prometheus duration (1h, 1d, 90m); default 1h
//   end, end1, …      the range's end (the table's evaluation time): unix seconds or RFC 3339;
//                     absent means now
//   step, step1, …    the resolution as a duration (or seconds); absent means chosen from the
//                     chart's width (about one point per 2 px, rounded up to a nice duration)
//   tab, tab1, …      graph (the default) or table
//   stacked, stacked1 1 for a stacked graph
// so /graph?expr=rate(x[5m])&range=1d&end=1700000000&step=60s is one panel. Prometheus' own
// scheme is read too (g0.expr, g0.range_input, g0.end_input, g0.moment_input, g0.step_input,
// g0.tab = 0|1|graph|table, g0.stacked, g0.display_mode; g1.…), so the generatorURLs of alerts
// open here; the URL is then rewritten in the scheme above. Execute, zoom, the range and end
// pickers and adding or removing a panel push a history entry; tab and stacked replace it.
import { api, el, parseDuration, formatDuration, parseTime, formatTime, ApiError, token } from './api.js';
import { defineMode, promqlHint, clearCompletionCache } from './promql_mode.js';

// chart.js (and uPlot) load while the first query is in flight.
const chartModule = import('./chart.js');

const DEFAULT_RANGE = 3600e3;
const RANGES = ['1m', '5m', '15m', '30m', '1h', '3h', '6h', '12h', '1d', '2d', '7d', '14d', '30d', '90d', '1y'];
const NICE_STEPS = ['1s', '2s', '5s', '10s', '15s', '20s', '30s', '1m', '2m', '5m', '10m', '15m', '20m', '30m',
  '1h', '2h', '3h', '6h', '12h', '1d'].map(parseDuration);
const TABLE_LIMIT = 2000;

let current = null;  // the page on screen: its panels, to stop when the page is rendered again

// ---- the URL -------------------------------------------------------------------------------

function parseRange(text) {
  if (text === null || text === undefined || text === '') return null;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  return parseDuration(String(text).trim());
}

// Prometheus writes end_input / moment_input as "2023-05-01 10:00:00" in UTC.
function parsePromTime(text) {
  if (!text) return null;
  const m = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d(?::\d\d(?:\.\d+)?)?)$/.exec(text.trim());
  return m ? parseTime(`${m[1]}T${m[2]}Z`) : parseTime(text);
}

function newPanelState(over = {}) {
  return { expr: '', range: DEFAULT_RANGE, end: null, step: null, tab: 'graph', stacked: false, ...over };
}

export function readUrl(url) {
  const p = url.searchParams;
  const panels = [];
  const hasProm = [...p.keys()].some((k) => /^g\d+\./.test(k));
  if (hasProm) {
    const indices = new Set();
    for (const k of p.keys()) { const m = /^g(\d+)\./.exec(k); if (m) indices.add(Number(m[1])); }
    for (const i of [...indices].sort((a, b) => a - b)) {
      const g = (name) => p.get(`g${i}.${name}`);
      const tab = g('tab');
      panels.push(newPanelState({
        expr: g('expr') || '',
        range: parseRange(g('range_input')) || DEFAULT_RANGE,
        end: parsePromTime(g('end_input')) ?? parsePromTime(g('moment_input')),
        step: parseRange(g('step_input')),
        tab: tab === '1' || tab === 'table' ? 'table' : 'graph',
        stacked: g('stacked') === '1' || g('display_mode') === 'stacked',
      }));
    }
  } else {
    for (let i = 0; i < 100; i++) {
      const s = i ? String(i) : '';
      const keys = ['expr', 'range', 'end', 'step', 'tab', 'stacked'].map((k) => k + s);
      if (i > 0 && !keys.some((k) => p.has(k))) break;
      panels.push(newPanelState({
        expr: p.get(`expr${s}`) || '',
        range: parseRange(p.get(`range${s}`)) || DEFAULT_RANGE,
        end: parseTime(p.get(`end${s}`)),
        step: parseRange(p.get(`step${s}`)),
        tab: p.get(`tab${s}`) === 'table' ? 'table' : 'graph',
        stacked: ['1', 'true', 'stacked'].includes(p.get(`stacked${s}`)),
      }));
    }
  }
  if (!panels.length) panels.push(newPanelState());
  return panels;
}

export function urlFor(states) {
  const q = new URLSearchParams();
  if (!(states.length === 1 && !states[0].expr)) {
    states.forEach((st, i) => {
      const s = i ? String(i) : '';
      q.set(`expr${s}`, st.expr);
      q.set(`range${s}`, formatDuration(st.range));
      if (st.end !== null) q.set(`end${s}`, String(st.end % 1000 ? st.end / 1000 : Math.round(st.end / 1000)));
      if (st.step !== null) q.set(`step${s}`, formatDuration(st.step));
      if (st.tab !== 'graph') q.set(`tab${s}`, st.tab);
      if (st.stacked) q.set(`stacked${s}`, '1');
    });
  }
  const qs = q.toString();
  return location.pathname + (qs ? `?${qs}` : '');
}

// ---- the page --------------------------------------------------------------------------------

function ensureCss() {
  let link = document.getElementById('graph-css');
  if (!link) {
    link = el('link', { id: 'graph-css', rel: 'stylesheet', href: '/static/console/graph.css' });
    link.loaded = new Promise((resolve) => {
      link.addEventListener('load', resolve, { once: true });
      link.addEventListener('error', resolve, { once: true });
      setTimeout(resolve, 2000);
    });
    document.head.append(link);
  }
  return link.loaded;
}

export async function render(main, url) {
  if (current) current.dispose();
  const cssReady = ensureCss();
  defineMode(window.CodeMirror);
  clearCompletionCache();
  const page = new Page(main, readUrl(url), cssReady);
  current = page;
  page.writeUrl(false);
  page.panels.forEach((p) => p.execute({ push: false }));
  page.panels.forEach((p) => p.createEditor());
}

class Page {
  constructor(main, states, cssReady) {
    this.cssReady = cssReady;
    this.list = el('div', { class: 'graph-panels' });
    const add = el('button', { type: 'button', class: 'add-panel', onclick: () => this.addPanel() }, 'Add panel');
    main.append(this.list, el('div', { class: 'toolbar' }, add));
    this.panels = [];
    for (const st of states) this.panels.push(new Panel(this, st));
    this.panels.forEach((p, i) => p.setIndex(i, this.panels.length));
  }

  dispose() { for (const p of this.panels) p.dispose(); this.panels = []; }

  writeUrl(push) {
    const next = urlFor(this.panels.map((p) => p.state));
    if (next === location.pathname + location.search) return;
    if (push) history.pushState(null, '', next); else history.replaceState(null, '', next);
  }

  addPanel() {
    const p = new Panel(this, newPanelState());
    p.createEditor();
    this.panels.push(p);
    this.panels.forEach((q, i) => q.setIndex(i, this.panels.length));
    this.writeUrl(true);
    p.execute({ push: false });
    p.cm.focus();
    p.section.scrollIntoView({ block: 'nearest' });
  }

  removePanel(panel) {
    this.panels = this.panels.filter((p) => p !== panel);
    panel.dispose();
    this.panels.forEach((q, i) => q.setIndex(i, this.panels.length));
    this.writeUrl(true);
  }
}

// A step that gives about one point for every 2 px of the chart, at least 1s, rounded up to a
// nice duration.
export function autoStep(rangeMs, widthPx) {
  const raw = rangeMs / Math.max(50, Math.floor(widthPx / 2));
  for (const s of NICE_STEPS) if (s >= raw) return s;
  return Math.ceil(raw / 86400e3) * 86400e3;
}

// "1:5: parse error: …" (Prometheus' position: line:column, 1-based; gnomond prefixes it with
// 'invalid parameter "query": ') or "… at char N …".
function errorPosition(message, cm) {
  let m = /(?:^|: )(\d+):(\d+): /.exec(message);
  if (m) return { line: Number(m[1]) - 1, ch: Number(m[2]) - 1 };
  m = /at char (\d+)/.exec(message);
  if (m) return cm.posFromIndex(Number(m[1]) - 1);
  return null;
}

// /api/v1/query_range's answer as bytes (chart.js reads them without JSON.parse), with the
// bearer token as api() sends it; an error answer throws api()'s ApiError.
async function queryRange(params, signal) {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) body.append(k, String(v));
  const headers = {};
  if (token()) headers.Authorization = `Bearer ${token()}`;
  const long = params.query.length > 2000;
  const resp = await fetch(long ? '/api/v1/query_range' : `/api/v1/query_range?${body}`,
    long ? { method: 'POST', body, headers, signal } : { headers, signal });
  const bytes = new Uint8Array(await resp.arrayBuffer());
  if (resp.ok) return bytes;
  if (resp.status === 401 || resp.status === 403) {
    throw new ApiError(resp.status, 'auth', 'gnomond needs a bearer token: set it with the Token button');
  }
  const text = new TextDecoder().decode(bytes);
  let doc = null;
  try { doc = JSON.parse(text); } catch { /* not JSON */ }
  throw new ApiError(resp.status, doc?.errorType || 'http', doc?.error || text.trim() || resp.statusText);
}

const dateInputValue = (ms) => formatTime(ms).replace(' ', 'T');

class Panel {
  constructor(page, state) {
    this.page = page;
    this.state = state;
    this.chart = null;
    this.controller = null;
    this.marks = [];
    this.build();
  }

  build() {
    const st = this.state;
    this.editorBox = el('div', { class: 'gp-editor' });
    this.executeButton = el('button', { type: 'button', class: 'primary', title: 'Execute (Ctrl+Enter)', onclick: () => this.execute({ push: true }) }, 'Execute');
    this.removeButton = el('button', { type: 'button', class: 'gp-remove', title: 'Remove this panel', 'aria-label': 'Remove this panel', onclick: () => this.page.removePanel(this) }, '×');
    this.errorBox = el('div', { class: 'gp-error error query-error', role: 'alert', hidden: true, title: 'Click to put the cursor where the error is' });
    this.errorBox.addEventListener('click', () => {
      if (!this.errorPos || !this.cm) return;
      this.cm.focus();
      this.cm.setCursor(this.errorPos);
    });

    this.tabs = {
      graph: el('button', { type: 'button', role: 'tab', class: 'gp-tab', onclick: () => this.setTab('graph') }, 'Graph'),
      table: el('button', { type: 'button', role: 'tab', class: 'gp-tab', onclick: () => this.setTab('table') }, 'Table'),
    };
    this.rangeInput = el('input', { type: 'text', class: 'gp-range', size: 6, 'aria-label': 'range', title: 'Range: a duration such as 5m, 1h, 1d' });
    this.rangeInput.value = formatDuration(st.range);
    this.rangeInput.addEventListener('change', () => this.rangeChanged());
    this.rangeInput.addEventListener('keydown', (e) => { if (e.key === 'Enter') this.rangeChanged(); });
    const datalist = el('datalist', { id: `ranges-${Math.random().toString(36).slice(2)}` }, RANGES.map((r) => el('option', { value: r })));
    this.rangeInput.setAttribute('list', datalist.id);
    const rangeBox = el('span', { class: 'gp-group gp-graph-only' },
      el('button', { type: 'button', title: 'Shorter range', onclick: () => this.stepRange(-1) }, '−'),
      this.rangeInput, datalist,
      el('button', { type: 'button', title: 'Longer range', onclick: () => this.stepRange(1) }, '+'));

    this.endInput = el('input', { type: 'datetime-local', step: 1, class: 'gp-end', 'aria-label': 'end time', title: 'End of the range (the table\'s evaluation time); empty for now' });
    // A change for every field typed into: run once the typing pauses.
    let endTimer = null;
    this.endInput.addEventListener('change', () => {
      clearTimeout(endTimer);
      endTimer = setTimeout(() => {
        const v = this.endInput.value;
        const end = v ? new Date(v).getTime() : null;
        if (end === this.state.end || Number.isNaN(end)) return;
        this.state.end = end;
        this.execute({ push: true });
      }, 500);
    });
    const endBox = el('span', { class: 'gp-group' },
      el('button', { type: 'button', title: 'Back by half the range', onclick: () => this.moveEnd(-1) }, '‹'),
      this.endInput,
      el('button', { type: 'button', title: 'Forward by half the range', onclick: () => this.moveEnd(1) }, '›'),
      el('button', { type: 'button', title: 'End now', onclick: () => { this.state.end = null; this.execute({ push: true }); } }, 'now'));

    this.stepInput = el('input', { type: 'text', class: 'gp-step', size: 9, 'aria-label': 'step', title: 'Resolution: a duration; empty to choose it from the chart\'s width' });
    this.stepInput.value = st.step === null ? '' : formatDuration(st.step);
    const stepChanged = () => {
      const v = this.stepInput.value.trim();
      const ms = v ? parseRange(v) : null;
      this.stepInput.classList.toggle('invalid', v !== '' && !ms);
      if (v && !ms) return;
      this.state.step = ms;
      this.execute({ push: true });
    };
    this.stepInput.addEventListener('change', stepChanged);
    this.stepInput.addEventListener('keydown', (e) => { if (e.key === 'Enter') stepChanged(); });
    const stepBox = el('label', { class: 'gp-group gp-graph-only' }, 'step ', this.stepInput);

    this.stackedInput = el('input', { type: 'checkbox' });
    this.stackedInput.checked = st.stacked;
    this.stackedInput.addEventListener('change', () => {
      this.state.stacked = this.stackedInput.checked;
      if (this.chart) this.chart.setStacked(this.state.stacked);
      this.page.writeUrl(false);
    });
    const stackedBox = el('label', { class: 'gp-group gp-graph-only' }, this.stackedInput, ' stacked');

    this.status = el('div', { class: 'gp-status muted' });
    this.graphBox = el('div', { class: 'gp-graph' });
    this.tableBox = el('div', { class: 'gp-table' });
    this.section = el('section', { class: 'panel graph-panel' },
      el('div', { class: 'gp-editor-row' }, this.editorBox, this.executeButton, this.removeButton),
      this.errorBox,
      el('div', { class: 'toolbar gp-toolbar' },
        el('span', { class: 'gp-tabs', role: 'tablist' }, this.tabs.graph, this.tabs.table),
        rangeBox, endBox, stepBox, stackedBox),
      this.status, this.graphBox, this.tableBox);
    this.page.list.append(this.section);
    this.showTab();
    this.showEnd();
  }

  // The editor, made after the first query has been sent (CodeMirror takes a moment to set up).
  createEditor() {
    const st = this.state;
    const run = () => { if (this.cm.state.completionActive) return CodeMirror.Pass; this.execute({ push: true }); return undefined; };
    const CodeMirror = window.CodeMirror;
    this.cm = CodeMirror(this.editorBox, {
      value: st.expr,
      mode: 'promql',
      lineWrapping: true,
      matchBrackets: true,
      viewportMargin: Infinity,
      placeholder: 'Expression (Enter or Ctrl+Enter to execute, Ctrl+Space to complete)',
      hintOptions: { hint: promqlHint, completeSingle: false },
      extraKeys: {
        'Ctrl-Enter': () => this.execute({ push: true }),
        'Cmd-Enter': () => this.execute({ push: true }),
        Enter: run,
        'Shift-Enter': 'newlineAndIndent',
        'Ctrl-Space': (cm) => cm.showHint({ completeSingle: false, explicit: true }),
      },
    });
    this.cm.on('change', () => this.clearMarks());
    this.cm.on('inputRead', (cm, change) => {
      if (change.origin !== '+input') return;
      const ch = change.text.join('\n').slice(-1);
      if (!/[\w:{,="'(~ ]/.test(ch)) return;
      if (ch === ' ' && !/(?:by|without|on|ignoring|offset)\s*$/.test(cm.getLine(cm.getCursor().line).slice(0, cm.getCursor().ch - 1) + ' ')) return;
      if (cm.state.completionActive && /\w/.test(ch)) return;  // it updates itself
      setTimeout(() => { if (cm.hasFocus()) cm.showHint({ completeSingle: false }); }, 0);
    });
  }

  setIndex(i, count) {
    this.index = i;
    this.section.id = `panel-${i}`;
    this.section.dataset.index = String(i);
    if (this.chart) this.chart.setIndex(i);
    this.removeButton.hidden = count < 2;
  }

  dispose() {
    if (this.controller) this.controller.abort();
    if (this.chart) this.chart.destroy();
    this.chart = null;
    this.section.remove();
  }

  showTab() {
    for (const [name, b] of Object.entries(this.tabs)) {
      b.classList.toggle('active', this.state.tab === name);
      b.setAttribute('aria-selected', String(this.state.tab === name));
    }
    this.section.classList.toggle('tab-table', this.state.tab === 'table');
    this.graphBox.hidden = this.state.tab !== 'graph';
    this.tableBox.hidden = this.state.tab !== 'table';
  }

  showEnd() {
    this.endInput.value = this.state.end === null ? '' : dateInputValue(this.state.end);
  }

  setTab(tab) {
    if (this.state.tab === tab) return;
    this.state.tab = tab;
    this.showTab();
    this.execute({ push: false, replace: true });
  }

  rangeChanged() {
    const ms = parseRange(this.rangeInput.value.trim());
    this.rangeInput.classList.toggle('invalid', !ms);
    if (!ms || ms === this.state.range) return;
    this.state.range = ms;
    this.execute({ push: true });
  }

  stepRange(dir) {
    const ranges = RANGES.map(parseDuration);
    const r = this.state.range;
    let next;
    if (dir < 0) next = [...ranges].reverse().find((x) => x < r) ?? r;
    else next = ranges.find((x) => x > r) ?? r;
    if (next === r) return;
    this.state.range = next;
    this.rangeInput.value = formatDuration(next);
    this.rangeInput.classList.remove('invalid');
    this.execute({ push: true });
  }

  moveEnd(dir) {
    const now = Date.now();
    const end = (this.state.end ?? now) + dir * Math.round(this.state.range / 2);
    this.state.end = end >= now ? null : Math.round(end / 1000) * 1000;
    this.execute({ push: true });
  }

  clearMarks() {
    for (const m of this.marks) m.clear();
    this.marks = [];
  }

  showError(message) {
    this.errorBox.hidden = false;
    this.errorBox.replaceChildren(el('strong', {}, 'Error: '), message);
    this.section.dataset.state = 'error';
    const pos = errorPosition(message, this.cm);
    this.errorPos = pos;
    if (!pos) return;
    const lineText = this.cm.getLine(pos.line);
    if (lineText === undefined) return;
    if (pos.ch < lineText.length) {
      // The token at the position, or the one character.
      const m = /^[\w:]+/.exec(lineText.slice(pos.ch));
      const to = { line: pos.line, ch: pos.ch + (m ? m[0].length : 1) };
      this.marks.push(this.cm.markText(pos, to, { className: 'cm-query-error', title: message }));
    } else {
      const caret = el('span', { class: 'cm-query-error-caret', title: message }, '␣');
      this.marks.push(this.cm.setBookmark({ line: pos.line, ch: lineText.length }, { widget: caret }));
    }
  }

  clearError() {
    this.errorBox.hidden = true;
    this.errorBox.replaceChildren();
    this.clearMarks();
  }

  // Run the panel's expression on its tab. push: a new history entry for the new URL.
  async execute({ push = false } = {}) {
    const st = this.state;
    if (this.cm) st.expr = this.cm.getValue().trim();
    this.rangeInput.value = formatDuration(st.range);
    this.showEnd();
    this.page.writeUrl(push);
    if (this.controller) this.controller.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.clearError();
    if (!st.expr) {
      this.status.textContent = 'Enter a PromQL expression, such as up or rate(http_requests_total[5m]).';
      if (this.chart) this.chart.showMessage('No expression.');
      this.tableBox.replaceChildren();
      this.section.dataset.state = 'empty';
      return;
    }
    this.section.dataset.state = 'loading';
    this.status.textContent = 'Loading…';
    this.executeButton.disabled = true;
    try {
      if (st.tab === 'table') await this.runTable(controller.signal);
      else await this.runGraph(controller.signal);
      if (this.controller === controller) this.section.dataset.state = 'done';
    } catch (e) {
      if (controller.signal.aborted || e.name === 'AbortError') return;
      this.status.textContent = '';
      this.showError(e instanceof ApiError ? e.message : String(e.message || e));
    } finally {
      if (this.controller === controller) this.executeButton.disabled = false;
    }
  }

  chartWidth() {
    return this.graphBox.clientWidth || this.section.clientWidth || 1000;
  }

  async runGraph(signal) {
    const st = this.state;
    const end = st.end === null ? Math.floor(Date.now() / 1000) : st.end / 1000;
    const stepMs = st.step ?? autoStep(st.range, this.chartWidth());
    const step = stepMs / 1000;
    const start = end - st.range / 1000;
    this.stepInput.placeholder = `auto (${formatDuration(autoStep(st.range, this.chartWidth()))})`;
    const t0 = performance.now();
    const resp = await queryRange({ query: st.expr, start, end, step }, signal);
    const t1 = performance.now();
    const chart = await chartModule;
    await this.page.cssReady;
    if (signal.aborted) return;
    let parsed;
    try {
      const { doc, points } = chart.parseQueryRange(resp, start, end, step);
      if (doc.status !== 'success' || doc.data?.resultType !== 'matrix') throw new Error('not a matrix');
      parsed = { series: doc.data.result.map((s) => ({ metric: s.metric || {}, ys: s.values })), points };
    } catch {
      const doc = JSON.parse(new TextDecoder().decode(resp));
      if (doc.status === 'error') throw new ApiError(200, doc.errorType, doc.error);
      if (doc.data?.resultType !== 'matrix') throw new Error(`expected a range query's matrix, got ${doc.data?.resultType}`);
      parsed = chart.matrixFromJson(doc.data.result, start, end, step);
    }
    const t2 = performance.now();
    if (!this.chart) {
      this.chart = new chart.Chart(this.graphBox, { index: this.index, onZoom: (from, to) => this.zoom(from, to) });
    }
    this.chart.stacked = st.stacked;
    const series = this.chart.setData({ xs: chart.alignedXs(start, end, step), series: parsed.series });
    const t3 = performance.now();
    this.status.textContent = `${series.toLocaleString()} series, ${parsed.points.toLocaleString()} points · step ${formatDuration(stepMs)}`
      + ` · fetched in ${Math.round(t1 - t0)} ms (${(resp.length / 1e6).toFixed(1)} MB), read in ${Math.round(t2 - t1)} ms, chart ${Math.round(t3 - t2)} ms`
      + (series > 1 ? ' · drag to zoom; click a legend entry to show only it, Ctrl-click to toggle it' : '');
  }

  zoom(from, to) {
    const st = this.state;
    const range = Math.max(1000, Math.round(to - from) * 1000);
    st.range = range;
    st.end = Math.round(to) * 1000;
    if (st.step !== null && st.step * 2 > range) st.step = null;
    this.stepInput.value = st.step === null ? '' : formatDuration(st.step);
    this.execute({ push: true });
  }

  async runTable(signal) {
    const st = this.state;
    const t0 = performance.now();
    const data = await api('/api/v1/query', { query: st.expr, time: st.end === null ? undefined : st.end / 1000 },
      { signal, method: st.expr.length > 2000 ? 'POST' : 'GET' });
    if (signal.aborted) return;
    const t1 = performance.now();
    const { seriesLabel } = await chartModule;
    const { resultType, result } = data;
    const rows = [];
    let head = ['Series', 'Value'];
    let count = 0;
    if (resultType === 'vector') {
      count = result.length;
      for (const s of result.slice(0, TABLE_LIMIT)) {
        rows.push(el('tr', {}, el('td', { class: 'mono series' }, seriesLabel(s.metric || {})),
          el('td', { class: 'mono value' }, s.value[1])));
      }
    } else if (resultType === 'matrix') {
      head = ['Series', 'Values'];
      count = result.length;
      for (const s of result.slice(0, TABLE_LIMIT)) {
        const values = (s.values || []).map(([t, v]) => `${v} @${t}`).join('\n');
        rows.push(el('tr', {}, el('td', { class: 'mono series' }, seriesLabel(s.metric || {})),
          el('td', { class: 'mono value values' }, values)));
      }
    } else if (resultType === 'scalar' || resultType === 'string') {
      head = ['Type', 'Value'];
      count = 1;
      rows.push(el('tr', {}, el('td', { class: 'mono' }, resultType), el('td', { class: 'mono value' }, String(result[1]))));
    }
    const at = st.end === null ? 'now' : formatTime(st.end);
    this.status.textContent = `${count.toLocaleString()} result${count === 1 ? '' : 's'} (${resultType}) at ${at} · query ${Math.round(t1 - t0)} ms`
      + (count > TABLE_LIMIT ? ` · showing the first ${TABLE_LIMIT.toLocaleString()}` : '');
    if (!count) {
      this.tableBox.replaceChildren(el('p', { class: 'muted' }, 'Empty query result.'));
      return;
    }
    this.tableBox.replaceChildren(el('table', { class: 'data result-table' },
      el('thead', {}, el('tr', {}, head.map((h) => el('th', {}, h)))),
      el('tbody', {}, rows)));
  }
}
