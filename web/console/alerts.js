// The Alerts page (/alerts?history=6h): firing and pending alerts, every rule with its health, the
// state history of each alert as a timeline (from gnomond's event log), and the notification
// receivers with their circuit breakers and outboxes. Refreshes itself every 15 s.
import { api, el, formatTime, formatDuration, parseDuration, ApiError } from './api.js';

const REFRESH_MS = 15000;
const HISTORY_RANGES = ['15m', '30m', '1h', '3h', '6h', '12h', '24h', '3d', '7d'];

function ensurePagesCss() {
  if (!document.querySelector('link[data-pages-css]')) {
    document.head.append(el('link', { rel: 'stylesheet', href: '/static/console/pages.css', 'data-pages-css': true }));
  }
}

const graphLink = (expr, text) => el('a', { href: `/graph?expr=${encodeURIComponent(expr)}`, title: `Graph of ${expr}` }, text);

// "12s ago", "3m4s ago" — from unix ms.
function ago(ms, now = Date.now()) {
  const d = Math.max(0, Math.round((now - ms) / 1000) * 1000);
  return d === 0 ? 'just now' : `${formatDuration(d)} ago`;
}

// Prometheus' zero time ("0001-01-01T00:00:00Z") means never.
function timeOf(text) {
  if (!text || text.startsWith('0001-')) return null;
  const t = Date.parse(text);
  return Number.isNaN(t) ? null : t;
}

function formatSeconds(s) {
  if (s === undefined || s === null) return '';
  if (s < 0.001) return `${(s * 1e6).toFixed(0)} µs`;
  if (s < 1) return `${(s * 1000).toFixed(s < 0.01 ? 2 : 1)} ms`;
  return `${s.toFixed(2)} s`;
}

// Go's "1e+00" floats as people read them.
function formatValue(v) {
  const n = Number(v);
  if (!Number.isFinite(n)) return String(v);
  return Math.abs(n) >= 1e6 || (n !== 0 && Math.abs(n) < 1e-3) ? n.toExponential(3) : String(Math.round(n * 1e4) / 1e4);
}

const labelKey = (labels) => JSON.stringify(Object.entries(labels || {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

function labelChips(labels, skip = []) {
  const entries = Object.entries(labels || {}).filter(([k]) => !skip.includes(k));
  if (!entries.length) return el('span', { class: 'muted' }, '—');
  return entries.map(([k, v]) => el('span', { class: 'chip', title: `${k}="${v}"` }, el('b', {}, k), '=', v));
}

function stateBadge(state) {
  return el('span', { class: `badge state-${state}` }, state);
}

function section(title, note, ...children) {
  return el('section', { class: 'panel' }, el('h3', { class: 'section' }, title, note ? el('span', { class: 'muted' }, note) : null), ...children);
}

// ---- Active alerts ----

function alertsSection(rules) {
  const rows = [];
  for (const { group, rule } of rules) {
    if (rule.type !== 'alerting') continue;
    for (const a of rule.alerts || []) rows.push({ group, rule, a });
  }
  const order = { firing: 0, pending: 1 };
  rows.sort((x, y) => (order[x.a.state] ?? 2) - (order[y.a.state] ?? 2) || (timeOf(x.a.activeAt) ?? 0) - (timeOf(y.a.activeAt) ?? 0));
  const firing = rows.filter((r) => r.a.state === 'firing').length;
  const note = `${firing} firing, ${rows.length - firing} pending`;
  if (!rows.length) return section('Active alerts', note, el('p', { class: 'muted empty' }, 'Nothing is pending or firing.'));
  const now = Date.now();
  const body = rows.map(({ group, rule, a }) => {
    const since = timeOf(a.activeAt);
    const ann = Object.entries(a.annotations || {});
    return el('tr', { class: `alert-row state-row-${a.state}` },
      el('td', {}, stateBadge(a.state)),
      el('td', {}, graphLink(rule.query, rule.name), el('div', { class: 'muted small' }, group.name)),
      el('td', {}, labelChips(a.labels, ['alertname'])),
      el('td', { class: 'small' }, ann.length ? ann.map(([k, v]) => el('div', {}, el('b', {}, k), ': ', v)) : el('span', { class: 'muted' }, '—')),
      el('td', { class: 'nowrap', title: since ? formatTime(since, true) : '' },
        since ? formatTime(since) : '—', since ? el('div', { class: 'muted small' }, `for ${ago(since, now).replace(/ ago$/, '')}`) : null),
      el('td', { class: 'num' }, formatValue(a.value)));
  });
  return section('Active alerts', note,
    el('table', { class: 'data alerts' },
      el('thead', {}, el('tr', {}, ['State', 'Alert', 'Labels', 'Annotations', 'Active since', 'Value'].map((h) => el('th', { class: h === 'Value' ? 'num' : null }, h)))),
      el('tbody', {}, body)));
}

// ---- Rules ----

function rulesSection(groups) {
  const rows = [];
  let count = 0, errors = 0;
  const now = Date.now();
  for (const g of groups) {
    const last = timeOf(g.lastEvaluation);
    rows.push(el('tr', { class: 'group-row' },
      el('td', { colspan: 8 }, g.name, ' ',
        el('span', { class: 'muted small' }, `${g.file} · every ${formatDuration(Math.round(g.interval * 1000))} · ` +
          `last ${last ? ago(last, now) : 'never'} in ${formatSeconds(g.evaluationTime)}`))));
    for (const r of g.rules) {
      count++;
      if (r.health === 'err') errors++;
      const last = timeOf(r.lastEvaluation);
      const state = r.type === 'alerting' ? stateBadge(r.state || 'inactive') : el('span', { class: 'muted small' }, 'recording');
      rows.push(el('tr', { class: 'rule-row' },
        el('td', { class: 'muted small' }, g.name),
        el('td', {}, graphLink(r.query, r.name),
          r.type === 'alerting' && r.duration ? el('div', { class: 'muted small' }, `for ${formatDuration(Math.round(r.duration * 1000))}`) : null),
        el('td', {}, el('code', { class: 'expr' }, r.query)),
        el('td', {}, state),
        el('td', {}, el('span', { class: `badge health-${r.health === 'ok' ? 'ok' : r.health === 'err' ? 'err' : 'unknown'}` }, r.health)),
        el('td', { class: 'nowrap', title: last ? formatTime(last, true) : '' }, last ? ago(last, now) : 'never'),
        el('td', { class: 'num' }, formatSeconds(r.evaluationTime)),
        el('td', { class: 'error small' }, r.lastError || '')));
    }
  }
  const note = `${count} rule${count === 1 ? '' : 's'} in ${groups.length} group${groups.length === 1 ? '' : 's'}` + (errors ? `, ${errors} failing` : '');
  if (!groups.length) {
    return section('Rules', 'none loaded',
      el('p', { class: 'muted empty' }, 'No rule files: list them under [alerting] rule_files, or start gnomond with --rules GLOB.'));
  }
  return section('Rules', note,
    el('table', { class: 'data rules' },
      el('thead', {}, el('tr', {}, ['Group', 'Name', 'Expression', 'State', 'Health', 'Last evaluation', 'Evaluation time', 'Last error']
        .map((h) => el('th', { class: h === 'Evaluation time' ? 'num' : null }, h)))),
      el('tbody', {}, rows)));
}

// ---- History timeline ----

// Per alert (its label set), the intervals of its states over [from, to], and its notifications.
// `live` (label key -> state of the alerts active now) and `startedAt` (gnomond's start) settle an
// alert whose last event is pending or firing but that is no longer active: gnomond restarted and
// the alert did not come back, so it ended by the restart (the log has no event for that).
function historyRows(events, from, to, live, startedAt) {
  const alerts = new Map();
  const get = (e) => {
    const labels = { alertname: e.alertname, ...(e.labels || {}) };
    const key = labelKey(labels);
    if (!alerts.has(key)) alerts.set(key, { key, labels, changes: [], notes: [] });
    return alerts.get(key);
  };
  for (const e of events) {
    if (e.receiver !== undefined) get(e).notes.push(e);
    else if (e.to !== undefined) get(e).changes.push(e);
  }
  const rows = [];
  for (const a of alerts.values()) {
    a.changes.sort((x, y) => x.time_ms - y.time_ms);
    const segs = [];
    let state = a.changes.length ? a.changes[0].from : null, since = from;
    for (const c of a.changes) {
      // A change from another state than the last one: gnomond restarted in between (the state is
      // drawn up to the restart, when the new process first saw the alert).
      const note = state && c.from !== state ? ' (gnomond restarted)' : '';
      if (state && state !== 'inactive') segs.push({ state, from: since, to: c.time_ms, note });
      else if (state === 'inactive' && since > from) segs.push({ state: 'resolved', from: since, to: c.time_ms });
      state = c.to;
      since = c.time_ms;
    }
    if (state && state !== 'inactive') segs.push({ state, from: since, to, open: true });
    else if (state === 'inactive' && a.changes.length) segs.push({ state: 'resolved', from: since, to, open: true });
    const last = a.changes.length ? a.changes[a.changes.length - 1] : null;
    let current = last ? last.to : 'unknown';
    if (live) {
      const now = live.get(a.key);
      if (now) {
        current = now;
      } else if (current === 'firing' || current === 'pending') {
        const open = segs[segs.length - 1];
        if (open?.open && startedAt && last.time_ms < startedAt) {
          open.to = startedAt;
          open.open = false;
          open.note = ' (then gnomond restarted)';
          segs.push({ state: 'resolved', from: startedAt, to, open: true });
        }
        current = 'inactive';
      }
    }
    rows.push({ ...a, segs, current, lastTime: last ? last.time_ms : a.notes.at(-1)?.time_ms ?? 0 });
  }
  const rank = { firing: 0, pending: 1, inactive: 2, unknown: 3 };
  rows.sort((x, y) => (rank[x.current] ?? 3) - (rank[y.current] ?? 3) || y.lastTime - x.lastTime);
  return rows;
}

function timeTicks(from, to, count) {
  const span = to - from;
  const steps = [60e3, 300e3, 600e3, 900e3, 1800e3, 3600e3, 7200e3, 10800e3, 21600e3, 43200e3, 86400e3];
  const step = steps.find((s) => span / s <= count) || 86400e3;
  const ticks = [];
  const offset = new Date().getTimezoneOffset() * 60e3;
  for (let t = Math.ceil((from - offset) / step) * step + offset; t <= to; t += step) ticks.push(t);
  return { ticks, step };
}

function tickLabel(t, step) {
  const d = new Date(t), p = (n) => String(n).padStart(2, '0');
  const hm = `${p(d.getHours())}:${p(d.getMinutes())}`;
  return step >= 86400e3 || (d.getHours() === 0 && d.getMinutes() === 0) ? `${d.getMonth() + 1}/${d.getDate()} ${hm}` : hm;
}

function historySection(events, range, onRange, error, live, startedAt) {
  const to = Date.now(), from = to - parseDuration(range);
  const pct = (t) => `${(Math.min(Math.max(t, from), to) - from) / (to - from) * 100}%`;
  const picker = el('select', { 'aria-label': 'history window', onchange: (ev) => onRange(ev.target.value) },
    HISTORY_RANGES.map((r) => el('option', { value: r, selected: r === range }, `last ${r}`)));
  const head = el('h3', { class: 'section' }, 'State history',
    el('span', { class: 'muted' }, 'each alert\'s pending → firing → resolved, and its notifications'), el('span', { style: 'margin-left:auto' }, picker));
  if (error) return el('section', { class: 'panel' }, head, el('p', { class: 'error' }, error));
  const rows = historyRows(events, from, to, live, startedAt);
  if (!rows.length) {
    return el('section', { class: 'panel' }, head, el('p', { class: 'muted empty' }, `No state changes in the last ${range}.`));
  }
  const grid = el('div', { class: 'history', role: 'list' });
  for (const r of rows) {
    const name = r.labels.alertname || '';
    const rest = Object.entries(r.labels).filter(([k]) => k !== 'alertname').map(([k, v]) => `${k}="${v}"`).join(', ');
    grid.append(el('div', { class: 'row-name', title: `${name}{${rest}}`, role: 'listitem' },
      el('span', { class: `badge state-${r.current === 'inactive' ? 'inactive' : r.current}` }, r.current === 'inactive' ? 'resolved' : r.current), ' ',
      el('b', {}, name), rest ? el('span', { class: 'muted' }, ` {${rest}}`) : null));
    const track = el('div', { class: 'track' });
    for (const s of r.segs) {
      if (s.to < from || s.from > to) continue;
      const left = pct(s.from), width = `calc(${pct(s.to)} - ${left})`;
      track.append(el('div', {
        class: `seg ${s.state}`, style: `left:${left};width:${width}`,
        title: `${s.state} from ${formatTime(s.from)}${s.open ? ' (now)' : ` to ${formatTime(s.to)}${s.note || ''}`} (${formatDuration(Math.max(1000, Math.round((s.to - s.from) / 1000) * 1000))})`,
      }));
    }
    for (const n of r.notes) {
      if (n.time_ms < from) continue;
      track.append(el('div', {
        class: `note ${n.outcome}`, style: `left:${pct(n.time_ms)}`,
        title: `${formatTime(n.time_ms)}: ${n.notice} notice ${n.outcome} to ${n.receiver}${n.detail ? ` (${n.detail})` : ''}`,
      }));
    }
    grid.append(track);
  }
  const { ticks, step } = timeTicks(from, to, 8);
  grid.append(el('div'), el('div', { class: 'axis' }, ticks.map((t) => el('span', { style: `left:${pct(t)}` }, tickLabel(t, step)))));
  const legend = el('div', { class: 'legend' },
    el('span', {}, el('i', { class: 'pending' }), 'pending'), el('span', {}, el('i', { class: 'firing' }), 'firing'),
    el('span', {}, el('i', { class: 'resolved' }), 'resolved'), el('span', {}, el('i', { class: 'note' }), 'notification sent'),
    el('span', {}, el('i', { class: 'note-failed' }), 'notification failed or dropped'));
  return el('section', { class: 'panel' }, head, grid, legend, recentEvents(events));
}

function recentEvents(events) {
  const recent = events.slice(-15).reverse();
  const rows = recent.map((e) => {
    const labels = Object.entries(e.labels || {}).filter(([k]) => k !== 'alertname').map(([k, v]) => `${k}="${v}"`).join(', ');
    let what;
    if (e.receiver !== undefined) {
      what = el('span', { class: e.outcome === 'sent' ? 'health-ok' : 'state-firing' },
        `${e.notice} notice ${e.outcome} → ${e.receiver}`, e.detail ? el('span', { class: 'muted' }, ` (${e.detail})`) : null);
    } else {
      what = el('span', {}, stateBadge(e.from === 'inactive' ? 'inactive' : e.from), ' → ',
        e.to === 'inactive' ? el('span', { class: 'badge state-inactive' }, 'resolved') : stateBadge(e.to));
    }
    return el('tr', {}, el('td', { class: 'nowrap small' }, formatTime(e.time_ms)), el('td', {}, el('b', {}, e.alertname),
      labels ? el('span', { class: 'muted small' }, ` {${labels}}`) : null), el('td', {}, what),
      el('td', { class: 'num' }, e.value !== undefined ? formatValue(e.value) : ''));
  });
  return el('details', { style: 'margin-top:8px' }, el('summary', { class: 'muted' }, `The latest ${recent.length} events`),
    el('table', { class: 'data events' },
      el('thead', {}, el('tr', {}, ['Time', 'Alert', 'Change', 'Value'].map((h) => el('th', { class: h === 'Value' ? 'num' : null }, h)))),
      el('tbody', {}, rows)));
}

// ---- Receivers ----

// The receivers from /api/v1/alerts/receivers; /metrics' gnomon_notify_* when that is refused.
async function loadReceivers() {
  try {
    const data = await api('/api/v1/alerts/receivers');
    return { list: data.receivers || [], source: '/api/v1/alerts/receivers' };
  } catch (e) {
    if (e instanceof ApiError && e.status !== 404) throw e;
  }
  const text = await api('/metrics', {}, { raw: true });
  const byName = new Map();
  const states = ['closed', 'half-open', 'open'];
  for (const line of text.split('\n')) {
    const m = line.match(/^gnomon_notify_(\w+)\{receiver="((?:[^"\\]|\\.)*)"\} (\S+)$/);
    if (!m) continue;
    const r = byName.get(m[2]) || { name: m[2] };
    const v = Number(m[3]);
    if (m[1] === 'queued') r.queued = v;
    else if (m[1] === 'oldest_queued_age_seconds') r.oldestQueuedAgeSeconds = v;
    else if (m[1] === 'sent_total') r.sent = v;
    else if (m[1] === 'failed_requests_total') r.failedRequests = v;
    else if (m[1] === 'dropped_total') r.dropped = v;
    else if (m[1] === 'circuit_state') r.state = states[v] || String(v);
    else if (m[1] === 'circuit_opened_total') r.timesOpened = v;
    byName.set(m[2], r);
  }
  return { list: [...byName.values()], source: '/metrics (gnomon_notify_*)' };
}

function receiversSection(recv, error) {
  if (error) return section('Receivers', '', el('p', { class: 'error' }, error));
  const { list, source } = recv;
  if (!list.length) {
    return section('Receivers', 'none configured',
      el('p', { class: 'muted empty' }, 'No notification receivers: add [[alerting.receivers]] to the config, or start gnomond with --alertmanager URL or --webhook URL.'));
  }
  const num = (v) => (v === undefined ? '—' : Number(v).toLocaleString());
  const rows = list.map((r) => el('tr', { class: 'receiver-row' },
    el('td', { class: 'nowrap' }, el('b', {}, r.name), r.type ? el('div', { class: 'muted small' }, r.type) : null),
    el('td', { class: 'small' }, r.url ? el('code', {}, r.url) : el('span', { class: 'muted' }, '—')),
    el('td', {}, el('span', { class: `badge state-${r.state}`, title: 'circuit breaker' }, r.state || '?'),
      r.timesOpened ? el('div', { class: 'muted small' }, `opened ${r.timesOpened}×`) : null),
    el('td', { class: 'num' }, num(r.queued),
      r.oldestQueuedAgeSeconds ? el('div', { class: 'muted small' }, `oldest ${formatDuration(Math.round(r.oldestQueuedAgeSeconds) * 1000 || 1000)}`) : null),
    el('td', { class: 'num' }, num(r.sent)),
    el('td', { class: 'num' }, num(r.failedRequests)),
    el('td', { class: 'num' }, num(r.dropped), r.droppedOverLimit ? el('div', { class: 'muted small' }, `${r.droppedOverLimit} over limit`) : null),
    el('td', { class: 'error small' }, r.lastError || '')));
  return section('Receivers', `breaker state and outbox depth, from ${source}`,
    el('table', { class: 'data receivers' },
      el('thead', {}, el('tr', {}, ['Receiver', 'URL', 'Breaker', 'Outbox', 'Sent', 'Failed requests', 'Dropped', 'Last error']
        .map((h) => el('th', { class: ['Outbox', 'Sent', 'Failed requests', 'Dropped'].includes(h) ? 'num' : null }, h)))),
      el('tbody', {}, rows)));
}

// ---- The page ----

export async function render(main, url) {
  ensurePagesCss();
  delete document.body.dataset.pageReady;
  // The history's window: as given, else the shortest that shows the last day's changes.
  let range = HISTORY_RANGES.includes(url.searchParams.get('history')) ? url.searchParams.get('history') : null;
  const root = el('div', { class: 'alerts-page' });
  const status = el('span', { class: 'muted refresh-note' });
  const pause = el('input', { type: 'checkbox', id: 'alerts-pause' });
  const header = el('div', { class: 'toolbar' }, el('h2', { class: 'page-title' }, 'Alerts'),
    el('span', { class: 'refresh-note' }, status, ' ', el('label', {}, pause, ' pause refresh'), ' ',
      el('button', { type: 'button', onclick: () => refresh() }, 'Refresh')));
  const summary = el('div', { class: 'summary' });
  const body = el('div');
  root.append(header, summary, body);
  main.replaceChildren(root);

  let busy = false, timer = null;
  const setRange = (r) => {
    range = r;
    const u = new URL(location.href);
    u.searchParams.set('history', r);
    history.replaceState(null, '', u);
    refresh();
  };

  async function refresh() {
    if (!root.isConnected) { clearInterval(timer); return; }
    if (busy) return;
    busy = true;
    const settle = (p) => p.then((v) => ({ v }), (e) => ({ e: e.message || String(e) }));
    const start = new Date(Date.now() - parseDuration(range || '24h')).toISOString();
    const [rules, hist, recv, runtime] = await Promise.all([
      settle(api('/api/v1/rules')),
      settle(api('/api/v1/alerts/history', { start, limit: 5000 })),
      settle(loadReceivers()),
      settle(api('/api/v1/status/runtimeinfo')),
    ]);
    busy = false;
    if (!root.isConnected) { clearInterval(timer); return; }
    let shown = range;
    if (!shown) {
      const oldest = hist.v?.events?.[0]?.time_ms;
      const age = oldest ? (Date.now() - oldest) * 1.1 : 0;
      shown = HISTORY_RANGES.slice(0, 7).find((r) => parseDuration(r) >= age) || '24h';
    }
    if (rules.e) {
      summary.replaceChildren();
      body.replaceChildren(el('p', { class: 'error' }, `Cannot read the rules: ${rules.e}`));
    } else {
      const groups = rules.v.groups || [];
      const flat = groups.flatMap((group) => group.rules.map((rule) => ({ group, rule })));
      const firing = flat.reduce((n, { rule }) => n + (rule.alerts || []).filter((a) => a.state === 'firing').length, 0);
      const pending = flat.reduce((n, { rule }) => n + (rule.alerts || []).filter((a) => a.state === 'pending').length, 0);
      const failing = flat.filter(({ rule }) => rule.health === 'err').length;
      const live = new Map();
      for (const { rule } of flat) for (const a of rule.alerts || []) live.set(labelKey(a.labels), a.state);
      summary.replaceChildren(
        el('span', { class: `badge state-${firing ? 'firing' : 'inactive'}` }, el('span', { class: 'count' }, firing), ' firing'),
        el('span', { class: `badge state-${pending ? 'pending' : 'inactive'}` }, el('span', { class: 'count' }, pending), ' pending'),
        el('span', { class: 'badge muted' }, `${flat.length} rules`),
        ...(failing ? [el('span', { class: 'badge health-err' }, `${failing} failing`)] : []));
      // Keep the history's <details> open across refreshes.
      const open = body.querySelector('details')?.open;
      body.replaceChildren(
        alertsSection(flat),
        rulesSection(groups),
        historySection(hist.v?.events || [], shown, setRange, hist.e, live, timeOf(runtime.v?.startTime)),
        receiversSection(recv.v, recv.e));
      if (open) body.querySelector('details').open = true;
    }
    status.textContent = `updated ${formatTime(Date.now())} · every ${REFRESH_MS / 1000} s`;
    document.body.dataset.pageReady = '1';
  }

  await refresh();
  timer = setInterval(() => { if (!pause.checked && !document.hidden) refresh(); }, REFRESH_MS);
}
