// Level 3, the driver: bundles browser-page.mjs (with @pexip/infinity) using
// esbuild, serves it on 127.0.0.1, opens it in headless Chromium (the system's
// /usr/bin/chromium through playwright-core: no browser is downloaded) with a
// fake camera and microphone, and has Pexip's client join our lab node with real
// WebRTC. Between join and leave it asks the node itself, through
// @pexip/infinity-api, whether it sees the browser with media.
// Prints one JSON line per check: {step, ok, error?, detail?}.
// Usage: node --import ./register.mjs browser.mjs http://127.0.0.1:PORT [/usr/bin/chromium]
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { join as joinPath } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { chromium } from 'playwright-core';
import * as api from '@pexip/infinity-api';

const host = process.argv[2];
const executablePath = process.argv[3] ?? '/usr/bin/chromium';
const here = fileURLToPath(new URL('.', import.meta.url));
const bundlePath = joinPath(here, 'browser-bundle.js');
const results = [];
const print = (line) => process.stdout.write(`${line}\n`);
// What goes to stderr may end up in a test report: never a token.
const redact = (text) => text.replace(/token=[^&\s"']+/g, 'token=...').replace(/("token"\s*:\s*")[^"]+/g, '$1...');

// Chromium flags this machine needs: no sandbox (root, container), no GPU, no
// network chatter, fake media devices, and host candidates on loopback shown as
// addresses, not mDNS names (aiortc cannot resolve .local names). Playwright
// gives every launch a fresh temporary profile (--user-data-dir) of its own.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--allow-loopback-in-peer-connection',
  '--force-webrtc-ip-handling-policy=default',
];

async function bundle() {
  const source = joinPath(here, 'browser-page.mjs');
  const fresh = await stat(bundlePath).then(
    async (out) => out.mtimeMs >= (await stat(source)).mtimeMs,
    () => false,
  );
  if (fresh) return;
  await esbuild.build({
    entryPoints: [source],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    outfile: bundlePath,
    logLevel: 'error',
  });
}

function serve(script) {
  const page = '<!doctype html><meta charset="utf-8"><title>Pexip conformance</title><script src="/bundle.js"></script>';
  const server = createServer((req, res) => {
    if (req.url === '/bundle.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(script);
    } else {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(page);
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function nodeRoster() {
  const token = await api.requestToken({
    fetcher: fetch,
    host,
    params: { conferenceAlias: 'meet' },
    body: { display_name: 'conformance observer' },
  });
  const fetcher = (url, init = {}) => fetch(url, { ...init, headers: { ...(init.headers || {}), token: token.data.result.token } });
  const list = await api.participants({ fetcher, host, params: { conferenceAlias: 'meet' } });
  await api.releaseToken({ fetcher, host, params: { conferenceAlias: 'meet' }, body: {} });
  return list.data.result;
}

async function check(step, fn) {
  try {
    const detail = await fn();
    results.push({ step, ok: true, ...(detail === undefined ? {} : { detail }) });
  } catch (error) {
    results.push({ step, ok: false, error: `${error.name}: ${error.message}` });
  }
}

await bundle();
const server = await serve(await readFile(bundlePath));
const pageUrl = `http://127.0.0.1:${server.address().port}/`;
const browserLog = [];
let browser;
try {
  browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
  const page = await browser.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') browserLog.push(msg.text().slice(0, 300));
  });
  page.on('response', (r) => {
    if (r.status() >= 400) browserLog.push(`HTTP ${r.status()} ${r.request().method()} ${r.url()}`);
  });
  page.on('pageerror', (error) => browserLog.push(`pageerror: ${error.message}`));
  await page.goto(pageUrl);
  results.push(...(await page.evaluate((h) => window.conformance.join(h), host)));
  await check('node: its participant list shows the browser with has_media', async () => {
    const me = (await nodeRoster()).find((p) => p.display_name === 'Pexip browser');
    if (!me) throw new Error('the browser is not in the participant list');
    if (me.has_media !== true) throw new Error(`has_media is ${JSON.stringify(me.has_media)}`);
    return { has_media: me.has_media, is_video_call: me.is_video_call };
  });
  results.push(...(await page.evaluate(() => window.conformance.leave())));
  await check('node: the browser is gone from its participant list after leaving', async () => {
    const deadline = Date.now() + 5000;
    while ((await nodeRoster()).some((p) => p.display_name === 'Pexip browser')) {
      if (Date.now() > deadline) throw new Error('still listed 5 s after leaving');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
} catch (error) {
  results.push({ step: 'driver', ok: false, error: `${error.name}: ${error.message}` });
} finally {
  await browser?.close();
  server.close();
}
for (const r of results) print(JSON.stringify(r));
if (browserLog.length) process.stderr.write(`${redact(browserLog.join('\n'))}\n`);
