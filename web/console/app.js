// The console's entry: the header (version, uptime, series, ingest rate), the token button, and
// the page for the location — each page a module with render(main, url) that reads its state from
// the URL, so a link reproduces a view.
import { api, el, setToken, token, formatDuration } from './api.js';

const pages = [
  [/^\/graph\/?$/, () => import('./graph.js')],
  [/^\/alerts\/?$/, () => import('./alerts.js')],
  [/^\/logs\/correlation\/(.+)$/, () => import('./timeline.js')],
  [/^\/logs\/?$/, () => import('./logs.js')],
];

async function route() {
  const main = document.getElementById('app');
  const url = new URL(location.href);
  for (const [re, load] of pages) {
    const m = url.pathname.match(re);
    if (!m) continue;
    const page = await load();
    main.replaceChildren();
    const name = url.pathname.split('/')[1];
    for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', a.dataset.page === name);
    await page.render(main, url, m.slice(1).map(decodeURIComponent));
    return;
  }
  main.replaceChildren(el('p', {}, 'No such page: ', el('code', {}, url.pathname)));
}

// The header's figures, from the public API: build info, runtime info, /metrics.
let lastIngest = null;
async function refreshStats() {
  const stats = document.getElementById('stats');
  const items = [];
  try {
    const [build, runtime] = await Promise.all([api('/api/v1/status/buildinfo'), api('/api/v1/status/runtimeinfo')]);
    items.push(['version', build.version]);
    if (runtime.startTime) items.push(['up', formatDuration(Math.floor((Date.now() - Date.parse(runtime.startTime)) / 1000) * 1000)]);
    const metrics = await api('/metrics', {}, { raw: true });
    const value = (name) => {
      const line = metrics.split('\n').find((l) => l.startsWith(name + ' '));
      return line ? Number(line.slice(name.length + 1)) : null;
    };
    const series = value('gnomon_series');
    if (series !== null) items.push(['series', series.toLocaleString()]);
    const samples = value('gnomon_engine_samples_written_total') || 0;
    const now = Date.now();
    if (lastIngest) {
      const rate = (samples - lastIngest.samples) / ((now - lastIngest.at) / 1000);
      items.push(['ingest', `${Math.max(0, Math.round(rate)).toLocaleString()}/s`]);
    }
    lastIngest = { samples, at: now };
  } catch (e) {
    items.push(['status', e.message]);
  }
  stats.replaceChildren(...items.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
}

document.getElementById('token-button').addEventListener('click', () => {
  const t = prompt('Bearer token for gnomond (empty to clear):', token());
  if (t !== null) { setToken(t.trim()); route(); refreshStats(); }
});
window.addEventListener('popstate', route);

route();
refreshStats();
setTimeout(refreshStats, 2000);  // a second look soon, so the ingest rate shows at once
setInterval(refreshStats, 15000);
