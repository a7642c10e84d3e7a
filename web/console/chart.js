// The Graph page's chart: a Prometheus matrix drawn with uPlot (canvas), an HTML legend (each
// series' labels as text, with its colour), a tooltip with the values under the cursor, zoom by
// drag (reported to the page, which re-queries), stacked or not, light or dark.
//
// Built for 1,000 series x 1,440 points: one aligned x array for every series (the query's
// start + k*step), series values as Float64Arrays with NaN for gaps (no boxed numbers: uPlot is
// told where the gaps are, below), no uPlot legend or cursor
// points (their DOM would be updated for every series on every mouse move); the HTML legend is
// written once per result, and a mouse move touches only the tooltip (the nearest series, found
// in one pass over the values at that index) and one legend row's class.
import uPlot from '/static/uplot/uPlot.esm.js';
import { el, formatTime } from './api.js';

// `metric{a="b", c="d"}`, as Prometheus writes a series.
export function seriesLabel(metric) {
  const name = metric.__name__ || '';
  const parts = [];
  for (const [k, v] of Object.entries(metric)) if (k !== '__name__') parts.push(`${k}=${JSON.stringify(v)}`);
  return parts.length || !name ? `${name}{${parts.join(', ')}}` : name;
}

// A value as the tooltip shows it: exact, but not 17 digits of binary noise.
export function formatValue(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return '';
  if (!Number.isFinite(v)) return String(v);
  if (v !== 0 && (Math.abs(v) >= 1e15 || Math.abs(v) < 1e-4)) return v.toExponential(4).replace(/\.?0+e/, 'e');
  return String(Number(v.toPrecision(12)));
}

// Axis ticks: 1.5k, 20M, 0.25.
const SI = [[1e15, 'P'], [1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
function formatTick(v) {
  if (v === 0) return '0';
  const a = Math.abs(v);
  for (const [f, s] of SI) if (a >= f) return `${Number((v / f).toPrecision(4))}${s}`;
  if (a < 1e-3) return v.toExponential(1);
  return String(Number(v.toPrecision(4)));
}

// Colours: spread round the hue circle by the golden angle, darker on light backgrounds.
function color(i, dark, alpha = 1) {
  const hue = (i * 137.508 + 210) % 360;
  return `hsl(${hue.toFixed(1)} ${dark ? 70 : 65}% ${dark ? 62 : 42}% / ${alpha})`;
}

function theme() {
  const css = getComputedStyle(document.documentElement);
  const v = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  const dark = matchMedia('(prefers-color-scheme: dark)').matches;
  return { dark, fg: v('--fg', '#1d2330'), muted: v('--muted', '#6b7385'), line: v('--line', '#dde1e8') };
}

// ---- a query_range answer, straight from its bytes ----------------------------------------------
// 1,000 series x 1,440 points is 30 MB of JSON; JSON.parse would make 1.4 million arrays and
// strings for uPlot's arrays to be built from. This parser reads the answer's bytes once and writes
// each series' samples into a Float64Array at the index of its timestamp (NaN where there is none),
// decoding numbers itself where that is exact (at most 15 significant digits and a power of ten
// within 1e±22: one correctly rounded operation, as parseFloat) and with parseFloat otherwise.
// Anything it does not expect throws, and the caller falls back to JSON.parse (matrixFromJson).

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
const decoder = new TextDecoder();

// The aligned x array of a range query: start + k*step, k = 0..n-1 (seconds).
export function alignedXs(start, end, step) {
  const n = Math.max(1, Math.floor((end - start) / step + 1e-9) + 1);
  const xs = new Float64Array(n);
  for (let k = 0; k < n; k++) xs[k] = start + k * step;
  return xs;
}

// uPlot finds gaps where a value is null; ours are NaN, so each series gets this refiner: the
// pixel ranges from the point before each run of NaN to the point after it, which uPlot clips out
// (as it does for nulls).
function nanGaps(u, si, idx0, idx1, nullGaps) {
  const ys = u.data[si];
  const xs = u.data[0];
  const last = xs.length - 1;
  const gaps = nullGaps.slice();
  for (let i = idx0; i <= idx1; i++) {
    if (ys[i] === ys[i]) continue;
    const fr = i;
    while (i < idx1 && ys[i + 1] !== ys[i + 1]) i++;
    const a = Math.round(u.valToPos(xs[fr > 0 ? fr - 1 : fr], 'x', true));
    const b = Math.round(u.valToPos(xs[i < last ? i + 1 : i], 'x', true));
    if (b >= a) gaps.push([a, b]);
  }
  return gaps;
}

// The smallest and largest numbers of an array (NaN skipped); [Infinity, -Infinity] if none.
function extent(ys) {
  let min = Infinity, max = -Infinity;
  for (let k = 0; k < ys.length; k++) {
    const v = ys[k];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}

// bytes: the answer (Uint8Array). Returns the answer as objects, each series' `values` replaced by
// its array of values aligned with alignedXs(start, end, step); `points` counts the samples.
export function parseQueryRange(bytes, start, end, step) {
  const n = Math.max(1, Math.floor((end - start) / step + 1e-9) + 1);
  const b = bytes;
  const len = b.length;
  let p = 0;
  let points = 0;
  const fail = () => { throw new SyntaxError(`unexpected JSON at byte ${p}`); };
  const ws = () => { while (p < len && (b[p] === 32 || b[p] === 10 || b[p] === 13 || b[p] === 9)) p++; };
  const expect = (c) => { ws(); if (b[p] !== c) fail(); p++; };

  function str() {
    if (b[p] !== 34) fail();
    const s = ++p;
    let plain = true;
    while (p < len && b[p] !== 34) {
      if (b[p] === 92) { plain = false; p += 2; continue; }
      if (b[p] >= 128) plain = false;
      p++;
    }
    if (p >= len) fail();
    const e = p++;
    if (plain && e - s < 256) return String.fromCharCode.apply(null, b.subarray(s, e));
    return plain ? decoder.decode(b.subarray(s, e)) : JSON.parse(decoder.decode(b.subarray(s - 1, e + 1)));
  }

  function num() {
    const s = p;
    while (p < len && ((b[p] >= 48 && b[p] <= 57) || b[p] === 45 || b[p] === 43 || b[p] === 46 || b[p] === 101 || b[p] === 69)) p++;
    if (p === s) fail();
    const v = Number(String.fromCharCode.apply(null, b.subarray(s, p)));
    if (Number.isNaN(v)) fail();
    return v;
  }

  // [[t,"v"],...] at p -> the values at their indices (NaN for none, NaN, ±Inf); p ends after it.
  // One loop over a local index (a variable the closures share would live in memory).
  function samples() {
    const ys = new Float64Array(n).fill(NaN);
    let i = p, c = 0;
    const bad = (at) => { p = at; fail(); };
    while ((c = b[i]) === 32 || c === 10 || c === 13 || c === 9) i++;
    if (c !== 91) bad(i);
    i++;
    while ((c = b[i]) === 32 || c === 10 || c === 13 || c === 9) i++;
    if (c === 93) { p = i + 1; return ys; }
    for (;;) {
      while ((c = b[i]) === 32 || c === 10 || c === 13 || c === 9) i++;
      if (c !== 91) bad(i);
      i++;
      while ((c = b[i]) === 32 || c === 10 || c === 13 || c === 9) i++;
      // The timestamp: digits, and a fraction.
      let t = 0;
      const t0 = i;
      while ((c = b[i]) >= 48 && c <= 57) { t = t * 10 + (c - 48); i++; }
      if (i === t0) bad(i);
      if (c === 46) {
        i++;
        let f = 0, scale = 1;
        while ((c = b[i]) >= 48 && c <= 57) { f = f * 10 + (c - 48); scale *= 10; i++; }
        t += f / scale;
      }
      while ((c = b[i]) === 32 || c === 10 || c === 13 || c === 9) i++;
      if (c !== 44) bad(i);
      i++;
      while ((c = b[i]) === 32 || c === 10 || c === 13 || c === 9) i++;
      if (c !== 34) bad(i);
      const s = ++i;
      // The value.
      let neg = false;
      c = b[i];
      if (c === 45) { neg = true; c = b[++i]; } else if (c === 43) c = b[++i];
      let m = 0, digits = 0, e10 = 0, any = false, exact = true;
      while (c >= 48 && c <= 57) {
        any = true;
        if (m !== 0 || c !== 48) { if (digits < 15) { m = m * 10 + (c - 48); digits++; } else exact = false; }
        c = b[++i];
      }
      if (c === 46) {
        c = b[++i];
        while (c >= 48 && c <= 57) {
          any = true;
          if (m === 0 && c === 48) e10--;
          else if (digits < 15) { m = m * 10 + (c - 48); digits++; e10--; } else exact = false;
          c = b[++i];
        }
      }
      if (any && (c === 101 || c === 69)) {
        c = b[++i];
        let eneg = false;
        if (c === 45) { eneg = true; c = b[++i]; } else if (c === 43) c = b[++i];
        let ex = 0;
        while (c >= 48 && c <= 57) { ex = ex * 10 + (c - 48); c = b[++i]; }
        e10 += eneg ? -ex : ex;
      }
      let v;
      if (c === 34 && any && exact && e10 >= -22 && e10 <= 22) {
        v = e10 < 0 ? m / POW10[-e10] : m * POW10[e10];
        if (neg) v = -v;
      } else {
        // NaN, Inf, long or huge numbers: the slow way.
        while (i < len && b[i] !== 34) i++;
        if (i >= len) bad(i);
        v = parseFloat(String.fromCharCode.apply(null, b.subarray(s, i)));
        if (!Number.isFinite(v)) v = NaN;
      }
      i++;  // the closing quote
      while ((c = b[i]) === 32 || c === 10 || c === 13 || c === 9) i++;
      if (c !== 93) bad(i);
      i++;
      const k = Math.round((t - start) / step);
      if (k >= 0 && k < n) { ys[k] = v; points++; }
      while ((c = b[i]) === 32 || c === 10 || c === 13 || c === 9) i++;
      if (c === 44) { i++; continue; }
      if (c === 93) { p = i + 1; return ys; }
      bad(i);
    }
  }

  function value() {
    ws();
    const c = b[p];
    if (c === 123) {  // {
      p++;
      const o = {};
      ws();
      if (b[p] === 125) { p++; return o; }
      for (;;) {
        ws();
        const k = str();
        expect(58);
        ws();
        o[k] = k === 'values' && b[p] === 91 ? samples() : value();
        ws();
        if (b[p] === 44) { p++; continue; }
        if (b[p] === 125) { p++; return o; }
        fail();
      }
    }
    if (c === 91) {  // [
      p++;
      const a = [];
      ws();
      if (b[p] === 93) { p++; return a; }
      for (;;) {
        a.push(value());
        ws();
        if (b[p] === 44) { p++; continue; }
        if (b[p] === 93) { p++; return a; }
        fail();
      }
    }
    if (c === 34) return str();
    if (c === 116 && b[p + 1] === 114 && b[p + 2] === 117 && b[p + 3] === 101) { p += 4; return true; }
    if (c === 102 && b[p + 1] === 97 && b[p + 2] === 108 && b[p + 3] === 115 && b[p + 4] === 101) { p += 5; return false; }
    if (c === 110 && b[p + 1] === 117 && b[p + 2] === 108 && b[p + 3] === 108) { p += 4; return null; }
    return num();
  }

  const doc = value();
  ws();
  if (p !== len) fail();
  return { doc, points };
}

// The same from an answer JSON.parse read: {series: [{metric, ys}], points}.
export function matrixFromJson(result, start, end, step) {
  const n = Math.max(1, Math.floor((end - start) / step + 1e-9) + 1);
  let points = 0;
  const series = result.map((s) => {
    const ys = new Float64Array(n).fill(NaN);
    for (const [t, v] of s.values || []) {
      const k = Math.round((t - start) / step);
      if (k < 0 || k >= n) continue;
      const f = parseFloat(v);
      ys[k] = Number.isFinite(f) ? f : NaN;
      points++;
    }
    return { metric: s.metric || {}, ys };
  });
  return { series, points };
}

export class Chart {
  // container: an element the chart fills; index: the panel's number (legend id legend-<index>);
  // onZoom(startSec, endSec) when the user drags across the chart.
  constructor(container, { index = 0, onZoom = () => {}, height = 320 } = {}) {
    this.index = index;
    this.onZoom = onZoom;
    this.height = height;
    this.plot = null;
    this.stacked = false;
    this.hidden = new Set();
    this.hoverRow = null;
    this.root = el('div', { class: 'chart' });
    this.plotBox = el('div', { class: 'chart-plot' });
    this.message = el('div', { class: 'chart-message muted', hidden: true });
    this.legendHead = el('div', { class: 'legend-head muted' });
    this.legendList = el('div', { class: 'legend-list', role: 'list' });
    this.legend = el('div', { class: 'legend', id: `legend-${index}` }, this.legendHead, this.legendList);
    this.root.append(this.plotBox, this.message, this.legend);
    container.append(this.root);
    this.tooltip = el('div', { class: 'chart-tooltip', hidden: true });
    this.dot = el('div', { class: 'chart-dot', hidden: true });

    this.legendList.addEventListener('click', (e) => this.legendClick(e));
    let focusTimer = null;
    this.legendList.addEventListener('mouseover', (e) => {
      const row = e.target.closest('.legend-series');
      clearTimeout(focusTimer);
      if (!row || !this.plot || this.series.length > 300) return;
      focusTimer = setTimeout(() => this.plot && this.plot.setSeries(Number(row.dataset.i) + 1, { focus: true }), 60);
    });
    this.legendList.addEventListener('mouseleave', () => {
      clearTimeout(focusTimer);
      if (this.plot && this.series.length <= 300) this.plot.setSeries(null, { focus: false });
    });

    this.resizer = new ResizeObserver(() => {
      if (!this.plot || !this.root.isConnected) return;
      const w = this.width();
      if (w > 0 && w !== this.plot.width) this.plot.setSize({ width: w, height: this.height });
    });
    this.resizer.observe(this.plotBox);
    this.scheme = matchMedia('(prefers-color-scheme: dark)');
    this.onScheme = () => {
      if (!this.data || !this.root.isConnected) return;
      this.renderLegend();
      this.draw();
    };
    this.scheme.addEventListener('change', this.onScheme);
  }

  setIndex(i) {
    this.index = i;
    this.legend.id = `legend-${i}`;
  }

  width() { return Math.max(200, Math.floor(this.plotBox.clientWidth || this.root.clientWidth || 800)); }

  destroy() {
    this.resizer.disconnect();
    this.scheme.removeEventListener('change', this.onScheme);
    if (this.plot) this.plot.destroy();
    this.plot = null;
    this.root.remove();
  }

  showMessage(text) {
    if (this.plot) { this.plot.destroy(); this.plot = null; }
    this.data = null;
    this.series = [];
    this.legendHead.textContent = '';
    this.legendList.replaceChildren();
    this.message.textContent = text;
    this.message.hidden = false;
  }

  // xs: the aligned timestamps (seconds); series: [{metric, ys}], ys Float64Arrays as long as xs
  // with NaN for gaps (parseQueryRange, matrixFromJson). Returns the number of series.
  setData({ xs, series }) {
    this.xs = xs;
    this.series = series.map((s) => ({ label: seriesLabel(s.metric || {}) }));
    this.raw = series.map((s) => s.ys);
    this.hidden.clear();
    this.message.hidden = true;
    this.renderLegend();
    if (!series.length) {
      this.showMessage('No data points in this range.');
      return 0;
    }
    this.draw();
    return series.length;
  }

  setStacked(stacked) {
    if (this.stacked === stacked) return;
    this.stacked = stacked;
    if (this.raw && this.series.length) this.draw();
  }

  // The arrays uPlot draws: the raw values, or their running sums (gaps stay gaps) when stacked.
  drawnData() {
    if (!this.stacked) return [this.xs, ...this.raw];
    const n = this.xs.length;
    const acc = new Float64Array(n);
    const out = [this.xs];
    for (let i = 0; i < this.raw.length; i++) {
      const ys = this.raw[i];
      const st = new Float64Array(n);
      const visible = !this.hidden.has(i);
      for (let k = 0; k < n; k++) {
        const v = ys[k];
        if (v !== v) { st[k] = NaN; continue; }
        if (visible) acc[k] += v;
        st[k] = acc[k];
      }
      out.push(st);
    }
    return out;
  }

  draw() {
    const th = theme();
    this.theme = th;
    if (this.plot) { this.plot.destroy(); this.plot = null; }
    const data = this.drawnData();
    this.data = data;
    // uPlot's own extents would start from a series' first non-null value, NaN here.
    const extents = data.slice(1).map(extent);
    const many = this.series.length > 50;
    const uSeries = [{}];
    this.series.forEach((s, i) => {
      s.color = color(i, th.dark);
      uSeries.push({
        label: s.label,
        stroke: s.color,
        width: many ? 1 : 1.5,
        show: !this.hidden.has(i),
        spanGaps: false,
        gaps: nanGaps,
        fill: this.stacked ? color(i, th.dark, 0.35) : undefined,
        ...(many ? { points: { show: false } } : {}),
      });
    });
    const bands = [];
    if (this.stacked) for (let i = 2; i <= this.series.length; i++) bands.push({ series: [i, i - 1] });
    const axis = {
      stroke: th.muted,
      grid: { stroke: th.line, width: 1 },
      ticks: { stroke: th.line, width: 1 },
    };
    let pendingMark = true;
    const opts = {
      width: this.width(),
      height: this.height,
      legend: { show: false },
      focus: { alpha: 0.25 },
      cursor: {
        points: { show: false },
        dataIdx: (u, si, idx) => idx,
        drag: { x: true, y: false, setScale: false },
        focus: { prox: -1 },
      },
      scales: {
        x: { time: true },
        y: {
          range: (u) => {
            let min = Infinity, max = -Infinity;
            for (let i = 0; i < extents.length; i++) {
              if (!u.series[i + 1].show) continue;
              if (extents[i][0] < min) min = extents[i][0];
              if (extents[i][1] > max) max = extents[i][1];
            }
            if (min > max) return [0, 1];
            if (this.stacked) min = Math.min(0, min);
            if (min === max) { const d = Math.abs(min) * 0.1 || 1; return [min - d, max + d]; }
            return uPlot.rangeNum(min, max, 0.1, true);
          },
        },
      },
      axes: [
        { ...axis },
        {
          ...axis,
          values: (u, vals) => vals.map(formatTick),
          size: (u, vals) => (vals ? Math.max(...vals.map((v) => String(v).length)) : 4) * 7 + 18,
        },
      ],
      series: uSeries,
      bands,
      hooks: {
        draw: [() => {
          if (!pendingMark) return;
          pendingMark = false;
          document.body.dataset.chartDrawn = String(performance.now());
        }],
        setSelect: [(u) => {
          const sel = u.select;
          if (sel.width < 4) return;
          const from = u.posToVal(sel.left, 'x');
          const to = u.posToVal(sel.left + sel.width, 'x');
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          this.onZoom(from, to);
        }],
        setCursor: [(u) => this.hover(u)],
      },
    };
    this.plot = new uPlot(opts, data, this.plotBox);
    this.plot.over.append(this.tooltip, this.dot);
    this.plot.over.addEventListener('mouseleave', () => this.hideHover());
  }

  hideHover() {
    this.tooltip.hidden = true;
    this.dot.hidden = true;
    if (this.hoverRow) { this.hoverRow.classList.remove('hover'); this.hoverRow = null; }
  }

  // The nearest visible series at the cursor's index, in the tooltip (with every series' value when
  // there are a few), and a dot on it.
  hover(u) {
    const idx = u.cursor.idx;
    if (idx === null || idx === undefined || u.cursor.left < 0) { this.hideHover(); return; }
    const yAt = u.posToVal(u.cursor.top, 'y');
    let best = -1, bestDist = Infinity;
    const data = this.data;
    for (let i = 0; i < this.series.length; i++) {
      if (this.hidden.has(i)) continue;
      const v = data[i + 1][idx];
      if (v !== v) continue;
      const d = Math.abs(v - yAt);
      if (d < bestDist) { bestDist = d; best = i; }
    }
    if (best < 0) { this.hideHover(); return; }
    const x = this.xs[idx];
    const rows = [el('div', { class: 'tt-time' }, formatTime(x * 1000))];
    const line = (i, cls) => el('div', { class: `tt-row ${cls}` },
      el('span', { class: 'tt-swatch', style: `background:${this.series[i].color}` }),
      el('span', { class: 'tt-label' }, this.series[i].label),
      el('span', { class: 'tt-value' }, formatValue(this.raw[i][idx])));
    const visible = this.series.length - this.hidden.size;
    if (visible <= 12) {
      const order = [];
      for (let i = 0; i < this.series.length; i++) if (!this.hidden.has(i) && !Number.isNaN(this.raw[i][idx])) order.push(i);
      order.sort((a, b) => this.raw[b][idx] - this.raw[a][idx]);
      for (const i of order) rows.push(line(i, i === best ? 'tt-nearest' : ''));
    } else {
      rows.push(line(best, 'tt-nearest'));
      rows.push(el('div', { class: 'tt-more muted' }, `nearest of ${visible} series`));
    }
    this.tooltip.replaceChildren(...rows);
    this.tooltip.hidden = false;
    const left = u.cursor.left, top = u.cursor.top;
    const w = u.over.clientWidth, h = u.over.clientHeight;
    const tw = this.tooltip.offsetWidth, tht = this.tooltip.offsetHeight;
    this.tooltip.style.left = `${left + 14 + tw > w ? Math.max(0, left - 14 - tw) : left + 14}px`;
    this.tooltip.style.top = `${Math.max(0, Math.min(h - tht, top + 14))}px`;
    const py = u.valToPos(data[best + 1][idx], 'y');
    this.dot.style.left = `${u.valToPos(x, 'x')}px`;
    this.dot.style.top = `${py}px`;
    this.dot.style.background = this.series[best].color;
    this.dot.hidden = false;
    const row = this.legendList.children[best];
    if (row !== this.hoverRow) {
      if (this.hoverRow) this.hoverRow.classList.remove('hover');
      this.hoverRow = row || null;
      if (row) row.classList.add('hover');
    }
  }

  renderLegend() {
    const th = theme();
    const rows = this.series.map((s, i) => {
      const row = el('div', { class: 'legend-series', role: 'listitem', 'data-i': i, title: 'Click: show only this series; Ctrl/Cmd-click: show or hide it' }, s.label);
      row.style.setProperty('--c', color(i, th.dark));
      if (this.hidden.has(i)) row.classList.add('off');
      return row;
    });
    this.legendList.replaceChildren(...rows);
    const n = this.series.length;
    this.legendHead.textContent = n ? `${n} series` : '';
  }

  legendClick(e) {
    const row = e.target.closest('.legend-series');
    if (!row || !this.plot) return;
    const i = Number(row.dataset.i);
    const n = this.series.length;
    if (e.ctrlKey || e.metaKey || e.shiftKey) {
      if (this.hidden.has(i)) this.hidden.delete(i); else this.hidden.add(i);
    } else if (this.hidden.size === n - 1 && !this.hidden.has(i)) {
      this.hidden.clear();
    } else {
      this.hidden = new Set([...Array(n).keys()].filter((k) => k !== i));
    }
    for (let k = 0; k < n; k++) this.legendList.children[k].classList.toggle('off', this.hidden.has(k));
    this.hideHover();
    if (this.stacked) { this.draw(); return; }  // the sums change with what is shown
    this.plot.batch(() => {
      for (let k = 0; k < n; k++) {
        const show = !this.hidden.has(k);
        if (this.plot.series[k + 1].show !== show) this.plot.setSeries(k + 1, { show });
      }
    });
  }
}
