// The request timeline (/logs/correlation/{id}): every line of one request across services, from
// gnomond's correlation-ID index (/api/v1/logs/correlation/{id}) — one lane per service, each line a
// mark at its time, errors highlighted, what happened after the first error (a failed saga's
// compensating steps) set apart, the slowest gap between consecutive lines measured and shown,
// and every line in a table below. Drag across the lanes to zoom, double-click to zoom out.
import { api, el, formatTime } from './api.js';

const ROW_CHUNK = 500;            // table rows appended per task, so thousands of lines never freeze the page
const COMPENSATION = /compensat|rollback|roll(ing)? back|refund|revert|undo|releas(e|ing) (the )?(reservation|stock|hold)|cancel/i;

function ensurePagesCss() {
  if (!document.querySelector('link[data-pages-css]')) {
    document.head.append(el('link', { rel: 'stylesheet', href: '/static/console/pages.css', 'data-pages-css': true }));
  }
}

function isError(level) {
  return ['error', 'err', 'fatal', 'critical', 'crit', 'panic', 'emerg', 'alert'].includes(String(level || '').toLowerCase());
}
function isWarn(level) { return ['warn', 'warning'].includes(String(level || '').toLowerCase()); }

// RFC 3339 with nanoseconds -> unix ms with its fraction (Date.parse stops at milliseconds).
function parseTs(ts) {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)$/i.exec(ts || '');
  if (!m) return Date.parse(ts);
  return Date.parse(m[1] + m[3]) + (m[2] ? Number(`0.${m[2]}`) * 1000 : 0);
}

// Offsets and gaps in seconds with milliseconds ("1.234 s"); below a millisecond, microseconds too.
function seconds(ms) {
  if (ms !== 0 && Math.abs(ms) < 1) return `${(ms / 1000).toFixed(6)} s`;
  return `${(ms / 1000).toFixed(3)} s`;
}
function humanGap(ms) {
  if (ms >= 60000) return `${Math.floor(ms / 60000)}m${((ms % 60000) / 1000).toFixed(1)}s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 1) return `${ms.toFixed(ms < 10 ? 2 : 0)} ms`;
  return `${(ms * 1000).toFixed(0)} µs`;
}

// The message of a JSON line, for tooltips ("msg", "message" or "log"), else the line.
function messageOf(line) {
  if (line.startsWith('{')) {
    try {
      const j = JSON.parse(line);
      for (const k of ['msg', 'message', 'log']) if (typeof j?.[k] === 'string') return j[k];
    } catch { /* the line itself */ }
  }
  return line;
}

function niceStep(span, count) {
  const raw = span / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function tickText(ms, step) {
  if (step >= 1000) return `+${(ms / 1000).toFixed(step % 1000 ? 1 : 0)} s`;
  if (step >= 1) return `+${ms.toFixed(step % 1 ? 1 : 0)} ms`;
  return `+${(ms * 1000).toFixed(0)} µs`;
}

export async function render(main, url, params) {
  ensurePagesCss();
  delete document.body.dataset.pageReady;
  const id = params[0] || '';
  const root = el('div', { class: 'timeline-page' });
  main.replaceChildren(root);
  root.append(el('div', { class: 'tl-head' }, el('h2', { class: 'page-title' }, 'Request timeline'), el('span', { class: 'id' }, id)),
    el('p', { class: 'muted' }, 'Loading…'));

  let data;
  try {
    data = await api(`/api/v1/logs/correlation/${encodeURIComponent(id)}`);
  } catch (e) {
    root.lastChild.replaceWith(el('p', { class: 'error', role: 'alert' }, `Cannot read the request's lines: ${e.message}`));
    document.body.dataset.pageReady = '1';
    return;
  }
  const raw = data.lines || [];
  if (!raw.length) {
    root.lastChild.replaceWith(el('div', { class: 'panel empty-request' },
      el('p', {}, 'No lines with correlation ID ', el('code', {}, id), '.'),
      el('p', { class: 'muted' }, 'gnomond finds a line\'s ID in its structured metadata, its JSON fields (correlation_id, trace_id, request_id, traceparent) ' +
        'or a cid=/trace_id=/request_id= pattern in plain text. Check the ID, or search for it on the ',
        el('a', { href: `/logs?query=${encodeURIComponent(`{service=~".+"} |= "${id.replace(/["\\]/g, '\\$&')}"`)}&range=7d` }, 'Logs page'), '.')));
    document.body.dataset.pageReady = '1';
    return;
  }

  // ---- The facts: times, services, the first error, what came after it, the slowest gap ----
  const lines = raw.map((l, i) => ({ ...l, i, t: parseTs(l.ts), service: l.service || '(no service)' }));
  const t0 = lines[0].t;
  for (const l of lines) l.off = l.t - t0;
  const last = lines[lines.length - 1];
  const span = last.off;
  const services = [];
  const byService = new Map();
  for (const l of lines) {
    if (!byService.has(l.service)) { byService.set(l.service, []); services.push(l.service); }
    byService.get(l.service).push(l);
  }
  const firstError = lines.find((l) => isError(l.level)) || null;
  let after = 0, compensations = 0;
  for (const l of lines) {
    l.error = isError(l.level);
    l.warn = isWarn(l.level);
    l.after = firstError !== null && l.i > firstError.i;
    l.compensation = COMPENSATION.test(messageOf(l.line));
    if (l.after) { after++; if (l.compensation) compensations++; }
  }
  let gap = null;
  for (let i = 1; i < lines.length; i++) {
    const g = lines[i].t - lines[i - 1].t;
    if (!gap || g > gap.ms) gap = { ms: g, from: lines[i - 1], to: lines[i] };
  }
  const errors = lines.filter((l) => l.error).length;

  const facts = el('div', { class: 'tl-facts' },
    el('span', { class: 'fact' }, `${lines.length.toLocaleString()} line${lines.length === 1 ? '' : 's'}`),
    el('span', { class: 'fact' }, `${services.length} service${services.length === 1 ? '' : 's'}`),
    el('span', { class: 'fact' }, `from ${formatTime(t0, true)}`),
    el('span', { class: 'fact' }, `lasting ${seconds(span)}`),
    firstError
      ? el('span', { class: 'fact failure', title: firstError.line },
        `failed: first error at +${seconds(firstError.off)} in ${firstError.service}`, errors > 1 ? ` (${errors} errors)` : '')
      : el('span', { class: 'fact health-ok' }, 'no errors'),
    firstError ? el('span', { class: 'fact' }, `${after} line${after === 1 ? '' : 's'} after the failure` +
      (compensations ? `, ${compensations} compensating step${compensations === 1 ? '' : 's'}` : '')) : null,
    gap ? el('span', { class: 'fact gap slowest-gap' }, `slowest gap: ${seconds(gap.ms)} between ${gap.from.service} and ${gap.to.service}`,
      el('span', { class: 'muted' }, ` (${humanGap(gap.ms)}, at +${seconds(gap.from.off)})`)) : null,
    data.lines.length >= 5000 ? el('span', { class: 'fact muted' }, '(the first lines only: the query\'s limit)') : null);

  const searchEnd = new Date(Math.ceil(last.t) + 1000).toISOString();
  const searchRange = ['5m', '15m', '1h', '6h', '1d', '7d', '30d'].find((r) => ({ m: 60e3, h: 3600e3, d: 86400e3 })[r.slice(-1)] * parseInt(r, 10) > span + 2000) || '30d';
  const head = el('div', { class: 'tl-head' }, el('h2', { class: 'page-title' }, 'Request timeline'), el('span', { class: 'id' }, id),
    el('a', { class: 'small', href: `/logs?query=${encodeURIComponent(`{service=~".+"} |= "${id.replace(/["\\]/g, '\\$&')}"`)}&range=${searchRange}&end=${encodeURIComponent(searchEnd)}` },
      'search for it in Logs'));

  // ---- The lanes ----
  const lanesBox = el('div', { class: 'lanes', role: 'group', 'aria-label': 'one lane per service' });
  const axis = el('div', { class: 'tl-axis' }, el('span'), el('div', { class: 'ticks' }), el('span'));
  const zoomNote = el('span', { class: 'muted small' });
  const resetZoom = el('button', { type: 'button', hidden: true, onclick: () => draw(null) }, 'Zoom out');
  const markOf = new Map();
  let selected = null;

  function select(l, scroll) {
    if (selected) {
      markOf.get(selected.i)?.classList.remove('selected');
      document.getElementById(`line-${selected.i}`)?.classList.remove('selected');
    }
    selected = l;
    markOf.get(l.i)?.classList.add('selected');
    const row = document.getElementById(`line-${l.i}`);
    if (row) {
      row.classList.add('selected');
      if (scroll) row.scrollIntoView({ block: 'center' });
    }
  }

  // Draws the lanes for the view [a, b] in ms since the first line (null: the whole request).
  function draw(view) {
    const pad = Math.max(span * 0.02, 0.5);
    const [a, b] = view || [-pad, span + pad];
    const w = b - a;
    const x = (off) => ((off - a) / w) * 100;
    resetZoom.hidden = !view;
    zoomNote.textContent = view ? `showing +${seconds(Math.max(a, 0))} to +${seconds(b)}` : 'drag across the lanes to zoom in';
    markOf.clear();
    const overlays = el('div', { class: 'overlays' });
    if (firstError) {
      const fx = x(firstError.off);
      if (fx <= 100) {
        overlays.append(el('div', { class: 'overlay after-zone', style: `left:${Math.max(fx, 0)}%;right:0`, title: 'after the failure' }));
        if (fx >= 0) {
          overlays.append(el('div', { class: 'overlay failure-line', style: `left:${fx}%` },
            el('span', { class: 'olabel' }, `first error: ${firstError.service} · after failure →`)));
        }
      }
    }
    if (gap && gap.ms > 0) {
      const gx = x(gap.from.off), gw = x(gap.to.off) - gx;
      if (gx < 100 && gx + gw > 0) {
        overlays.append(el('div', { class: 'overlay gap-zone', style: `left:${gx}%;width:${gw}%`, title: `slowest gap: ${seconds(gap.ms)}` },
          el('span', { class: 'olabel', style: gx > 60 ? 'right:0;left:auto' : null }, `slowest gap ${humanGap(gap.ms)}`)));
      }
    }
    const lanes = services.map((s) => {
      const ls = byService.get(s);
      const track = el('div', { class: 'track' });
      const frag = document.createDocumentFragment();
      for (const l of ls) {
        if (l.off < a || l.off > b) continue;
        const cls = ['mark'];
        if (l.error) cls.push('error');
        else if (l.warn) cls.push('warn');
        if (l.after) cls.push('after-failure');
        if (l.compensation) cls.push('compensation');
        if (l === firstError) cls.push('first-error');
        if (gap && gap.ms > 0 && (l === gap.from || l === gap.to)) cls.push('gap-edge');
        const prefix = `+${seconds(l.off)} ${l.service}${l.level ? ` ${l.level}` : ''}${l === firstError ? ' — first error' : l.after ? ' — after failure' : ''}`;
        const m = el('div', { class: cls.join(' '), style: `left:${x(l.off)}%`, title: `${prefix}\n${l.line}`, 'data-line': l.i });
        markOf.set(l.i, m);
        frag.append(m);
      }
      // The lane's first step after the failure, in words: a failed saga's compensation at a glance.
      const firstAfter = ls.find((l) => l.after && l.off >= a && l.off <= b);
      if (firstAfter) {
        const fx = x(firstAfter.off);
        let text = messageOf(firstAfter.line).replace(/\s+/g, ' ');
        if (text.length > 40) text = `${text.slice(0, 38)}…`;
        const n = ls.filter((l) => l.after).length;
        frag.prepend(el('span', { class: `mark-label${firstAfter.compensation ? ' compensation' : ''}`, style: fx > 60 ? `right:calc(${100 - fx}% + 10px)` : `left:calc(${fx}% + 10px)` },
          `${firstAfter.compensation ? '↩ ' : 'after failure: '}${text}${n > 1 ? ` (+${n - 1})` : ''}`));
      }
      track.append(frag);
      const errs = ls.filter((l) => l.error).length;
      return el('div', { class: `lane${errs ? ' has-error' : ''}`, 'data-service': s },
        el('div', { class: 'lane-name', title: s }, s), track,
        el('div', { class: 'lane-count', title: errs ? `${errs} error${errs === 1 ? '' : 's'}` : '' }, `${ls.length}${errs ? ` · ${errs}✕` : ''}`));
    });
    lanesBox.replaceChildren(overlays, ...lanes);
    const ticks = axis.children[1];
    const step = niceStep(w, 8);
    const labels = [];
    for (let t = Math.ceil(Math.max(a, 0) / step) * step; t <= b; t += step) {
      labels.push(el('span', { style: `left:${x(t)}%` }, tickText(t, step)));
    }
    ticks.replaceChildren(...labels);
    if (selected) markOf.get(selected.i)?.classList.add('selected');
    lanesBox.view = [a, b];
  }

  // Drag to zoom (from anywhere, marks too); a click on a mark picks its line in the table.
  let drag = null;
  lanesBox.addEventListener('mousedown', (ev) => {
    if (ev.button !== 0) return;
    const layer = lanesBox.querySelector('.overlays').getBoundingClientRect();
    if (ev.clientX < layer.left || ev.clientX > layer.right) return;
    ev.preventDefault();
    const sel = el('div', { class: 'overlay selection' });
    lanesBox.querySelector('.overlays').append(sel);
    drag = { x0: ev.clientX, layer, sel, mark: ev.target.dataset?.line };
  });
  window.addEventListener('mousemove', (ev) => {
    if (!drag) return;
    const lo = Math.max(Math.min(drag.x0, ev.clientX), drag.layer.left), hi = Math.min(Math.max(drag.x0, ev.clientX), drag.layer.right);
    drag.sel.style.left = `${((lo - drag.layer.left) / drag.layer.width) * 100}%`;
    drag.sel.style.width = `${((hi - lo) / drag.layer.width) * 100}%`;
  });
  window.addEventListener('mouseup', (ev) => {
    if (!drag) return;
    const { x0, layer, sel, mark } = drag;
    drag = null;
    sel.remove();
    if (Math.abs(ev.clientX - x0) < 5) {  // a click: on a mark, its line in the table
      if (mark !== undefined) select(lines[Number(mark)], true);
      return;
    }
    const [a, b] = lanesBox.view;
    const f = (cx) => a + ((Math.min(Math.max(cx, layer.left), layer.right) - layer.left) / layer.width) * (b - a);
    const lo = f(Math.min(x0, ev.clientX)), hi = f(Math.max(x0, ev.clientX));
    if (hi - lo > 0.001) draw([lo, hi]);
  });
  lanesBox.addEventListener('dblclick', () => draw(null));

  const legend = el('div', { class: 'legend' },
    el('span', {}, el('i', { style: 'background:var(--accent);border-radius:50%;width:10px' }), 'line'),
    el('span', {}, el('i', { style: 'background:var(--warn);border-radius:50%;width:10px' }), 'warning'),
    el('span', {}, el('i', { class: 'error' }), 'error'),
    el('span', {}, el('i', { class: 'after' }), 'after the failure (compensating steps)'),
    el('span', {}, el('i', { class: 'gap' }), 'slowest gap'),
    zoomNote, resetZoom);

  // ---- The table of every line ----
  const tbody = el('tbody');
  const table = el('table', { class: 'data tl-lines' },
    el('thead', {}, el('tr', {}, el('th', {}, 'Time'), el('th', { class: 'num' }, 'Offset'), el('th', {}, 'Service'), el('th', {}, 'Level'), el('th', {}, 'Line'))),
    tbody);
  const rowOf = (l) => {
    const cls = [];
    if (l === firstError) cls.push('first-error');
    else if (l.after) cls.push('after-failure');
    if (gap && l === gap.to) cls.push('gap-end');
    const lc = l.error ? 'level-error' : l.warn ? 'level-warn' : '';
    return el('tr', { id: `line-${l.i}`, class: cls.join(' ') || null, onclick: () => select(l, false) },
      el('td', { class: 'nowrap small' }, formatTime(l.t, true)),
      el('td', { class: 'num small' }, `+${seconds(l.off)}`),
      el('td', { class: 'nowrap' }, l.service),
      el('td', { class: lc }, l.level || ''),
      el('td', { class: 'line' }, l.line,
        l === firstError ? el('span', { class: 'tag first' }, 'first error') : null,
        l.after ? el('span', { class: 'tag after' }, 'after failure') : null,
        l.after && l.compensation ? el('span', { class: 'tag comp' }, 'compensation') : null,
        gap && gap.ms > 0 && l === gap.to ? el('span', { class: 'tag gap' }, `slowest gap: ${humanGap(gap.ms)} after ${gap.from.service}`) : null));
  };

  root.replaceChildren(head, facts,
    el('section', { class: 'panel' }, lanesBox, axis, legend),
    el('section', { class: 'panel' }, el('h3', { class: 'section' }, 'Every line', el('span', { class: 'muted' }, 'in time order; click a mark to find its line')), table));
  draw(null);

  // Rows in chunks, each its own task, so a request of thousands of lines keeps the page responsive.
  for (let i = 0; i < lines.length; i += ROW_CHUNK) {
    if (!root.isConnected) return;
    const frag = document.createDocumentFragment();
    for (const l of lines.slice(i, i + ROW_CHUNK)) frag.append(rowOf(l));
    tbody.append(frag);
    if (i + ROW_CHUNK < lines.length) await new Promise((r) => setTimeout(r, 0));
  }
  document.body.dataset.pageReady = '1';
}
