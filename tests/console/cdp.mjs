// A small DevTools-protocol driver for the console's tests and benchmark (Node 20 with
// --experimental-websocket; no npm packages). It starts Debian's headless Chromium, opens one URL
// at 1280x800, waits until a JavaScript condition holds, and prints one JSON object:
//   {ok, waited_ms, console_errors: [...], bytes, evals: [...], error?}
// waited_ms counts from the navigation's start to the condition; bytes are the encoded bytes of
// every response; console_errors are console.error calls, uncaught exceptions and error-level
// log entries (failed loads, CSP, ...).
//
//   node --experimental-websocket cdp.mjs --url URL --wait EXPR [--timeout MS] [--screenshot PNG]
//        [--eval EXPR]... [--init JS] [--chromium PATH] [--dark]
// --init runs JS in the page before its own scripts (to put a bearer token in localStorage, say).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = { evals: [], timeout: 20000, chromium: '/usr/bin/chromium', dark: false };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  const next = () => process.argv[++i];
  if (a === '--url') args.url = next();
  else if (a === '--wait') args.wait = next();
  else if (a === '--timeout') args.timeout = Number(next());
  else if (a === '--screenshot') args.screenshot = next();
  else if (a === '--eval') args.evals.push(next());
  else if (a === '--chromium') args.chromium = next();
  else if (a === '--init') args.init = next();
  else if (a === '--dark') args.dark = true;
  else { console.error(`cdp.mjs: unknown argument ${a}`); process.exit(2); }
}
if (!args.url || !args.wait) { console.error('cdp.mjs: --url and --wait are required'); process.exit(2); }

const profile = mkdtempSync(join(tmpdir(), 'gnomon-chromium-'));
const browser = spawn(args.chromium, [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-extensions', '--disable-default-apps', '--mute-audio',
  `--user-data-dir=${profile}`, '--remote-debugging-port=0', '--window-size=1280,800', 'about:blank',
], { stdio: ['ignore', 'ignore', 'pipe'] });

const deadline = Date.now() + args.timeout + 15000;  // the whole run, start-up included
const killer = setTimeout(() => finish({ ok: false, error: 'timed out' }), deadline - Date.now());

let finished = false;
function finish(result) {
  if (finished) return;
  finished = true;
  clearTimeout(killer);
  process.stdout.write(JSON.stringify(result) + '\n');
  browser.kill('SIGKILL');
  try { rmSync(profile, { recursive: true, force: true }); } catch {}
  process.exit(result.ok ? 0 : 1);
}

const wsUrl = await new Promise((resolve, reject) => {
  let buf = '';
  browser.stderr.on('data', (d) => {
    buf += d.toString();
    const m = buf.match(/DevTools listening on (ws:\/\/\S+)/);
    if (m) resolve(m[1]);
  });
  browser.on('exit', (code) => reject(new Error(`chromium exited (${code}): ${buf.slice(-500)}`)));
}).catch((e) => finish({ ok: false, error: e.message }));

const ws = new WebSocket(wsUrl);
await new Promise((resolve) => ws.addEventListener('open', resolve, { once: true }));
let nextId = 1;
const pending = new Map();
const listeners = [];
ws.addEventListener('message', (ev) => {
  const msg = JSON.parse(ev.data);
  if (msg.id && pending.has(msg.id)) {
    const { resolve, reject } = pending.get(msg.id);
    pending.delete(msg.id);
    msg.error ? reject(new Error(`${msg.error.message} ${msg.error.data || ''}`)) : resolve(msg.result);
  } else if (msg.method) {
    for (const l of listeners) l(msg);
  }
});
function send(method, params = {}, sessionId) {
  const id = nextId++;
  ws.send(JSON.stringify({ id, method, params, sessionId }));
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
}

const consoleErrors = [];
let bytes = 0;
listeners.push((msg) => {
  if (msg.method === 'Runtime.consoleAPICalled' && msg.params.type === 'error') {
    consoleErrors.push(msg.params.args.map((a) => a.value ?? a.description ?? '').join(' '));
  } else if (msg.method === 'Runtime.exceptionThrown') {
    const d = msg.params.exceptionDetails;
    consoleErrors.push(`${d.text} ${d.exception?.description ?? ''}`.trim());
  } else if (msg.method === 'Log.entryAdded' && msg.params.entry.level === 'error') {
    consoleErrors.push(`${msg.params.entry.text} ${msg.params.entry.url ?? ''}`.trim());
  } else if (msg.method === 'Network.loadingFinished') {
    bytes += msg.params.encodedDataLength;
  }
});

try {
  const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
  const s = (method, params) => send(method, params, sessionId);
  await Promise.all([s('Page.enable'), s('Runtime.enable'), s('Log.enable'), s('Network.enable')]);
  await s('Emulation.setDeviceMetricsOverride', { width: 1280, height: 800, deviceScaleFactor: 1, mobile: false });
  if (args.init) await s('Page.addScriptToEvaluateOnNewDocument', { source: args.init });
  if (args.dark) await s('Emulation.setEmulatedMedia', { features: [{ name: 'prefers-color-scheme', value: 'dark' }] });
  const start = Date.now();
  await s('Page.navigate', { url: args.url });
  let waited = null;
  while (Date.now() - start < args.timeout) {
    const r = await s('Runtime.evaluate', { expression: `Boolean(${args.wait})`, returnByValue: true });
    if (r.result?.value === true) { waited = Date.now() - start; break; }
    await new Promise((res) => setTimeout(res, 10));
  }
  const evals = [];
  for (const e of args.evals) {
    const r = await s('Runtime.evaluate', { expression: e, returnByValue: true, awaitPromise: true });
    evals.push(r.exceptionDetails ? { error: r.exceptionDetails.text } : r.result.value);
  }
  if (args.screenshot) {
    const shot = await s('Page.captureScreenshot', { format: 'png' });
    writeFileSync(args.screenshot, Buffer.from(shot.data, 'base64'));
  }
  finish({ ok: waited !== null, waited_ms: waited, console_errors: consoleErrors, bytes, evals,
           ...(waited === null ? { error: `condition not met within ${args.timeout} ms: ${args.wait}` } : {}) });
} catch (e) {
  finish({ ok: false, error: e.message, console_errors: consoleErrors });
}
