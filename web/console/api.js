// The console's one way to gnomond: the public HTTP API (the Prometheus/Loki shapes Grafana uses),
// with the bearer token the user gave (kept in localStorage) when gnomond has auth_token set.

const TOKEN_KEY = 'gnomon.token';

export function token() { return localStorage.getItem(TOKEN_KEY) || ''; }
export function setToken(t) { t ? localStorage.setItem(TOKEN_KEY, t) : localStorage.removeItem(TOKEN_KEY); }

// An API error: HTTP status, Prometheus' errorType, and its message.
export class ApiError extends Error {
  constructor(status, type, message) { super(message); this.status = status; this.type = type; }
}

// GET (or POST as a form, for long queries) `path` with `params`; resolves to the `data` of a
// Prometheus-style {status, data} answer, or to the parsed JSON / text otherwise. `signal` aborts.
export async function api(path, params = {}, { method = 'GET', signal, raw = false } = {}) {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    for (const item of Array.isArray(v) ? v : [v]) query.append(k, String(item));
  }
  const headers = {};
  if (token()) headers.Authorization = `Bearer ${token()}`;
  let url = path;
  const init = { method, headers, signal };
  if (method === 'POST') {
    init.body = query;
  } else if ([...query].length) {
    url += '?' + query.toString();
  }
  const resp = await fetch(url, init);
  const text = await resp.text();
  if (raw) {
    if (!resp.ok) throw new ApiError(resp.status, 'http', text.trim() || resp.statusText);
    return text;
  }
  let body;
  try { body = JSON.parse(text); } catch { body = null; }
  if (!resp.ok || (body && body.status === 'error')) {
    if (resp.status === 401 || resp.status === 403) {
      throw new ApiError(resp.status, 'auth', 'gnomond needs a bearer token: set it with the Token button');
    }
    throw new ApiError(resp.status, body?.errorType || 'http', body?.error || text.trim() || resp.statusText);
  }
  return body && 'data' in body && 'status' in body ? body.data : body;
}

// Text nodes only: every string shown goes through here or textContent, never innerHTML.
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

// "2026-12-07 10:00:00.123" in local time, from unix ms.
export function formatTime(ms, withMillis = false) {
  const d = new Date(ms);
  const p = (n, w = 2) => String(n).padStart(w, '0');
  const s = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  return withMillis ? `${s}.${p(d.getMilliseconds(), 3)}` : s;
}

// Prometheus durations: "1h", "5m30s", "500ms" <-> milliseconds.
const UNITS = { y: 365 * 86400e3, w: 7 * 86400e3, d: 86400e3, h: 3600e3, m: 60e3, s: 1e3, ms: 1 };
export function parseDuration(text) {
  const re = /(\d+)(ms|y|w|d|h|m|s)/g;
  let ms = 0, used = 0, m;
  while ((m = re.exec(text)) !== null) { ms += Number(m[1]) * UNITS[m[2]]; used += m[0].length; }
  return used === text.length && used > 0 ? ms : null;
}
export function formatDuration(ms) {
  if (ms === 0) return '0s';
  let out = '';
  for (const [u, v] of Object.entries(UNITS)) {
    if (u === 'ms' && out) { if (ms) out += `${ms}ms`; break; }
    if (ms >= v) { out += `${Math.floor(ms / v)}${u}`; ms %= v; }
  }
  return out;
}

// A time as the URL and inputs write it: unix seconds or RFC 3339 -> unix ms (null if neither).
export function parseTime(text) {
  if (text === undefined || text === null || text === '') return null;
  if (/^-?\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const t = Date.parse(text);
  return Number.isNaN(t) ? null : t;
}
