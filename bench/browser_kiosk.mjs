// The browser kiosk for bench/ui_bench.py (d): headless Chromium with Pexip's web
// client core (@pexip/infinity, bundled by esbuild exactly as
// tests/conformance/pexip/browser.mjs does, from its browser-page.mjs) joins the
// lab node's meet room with the fake camera and microphone, says "joined" on
// stdout, stays in the call for the seconds given, then leaves.
// Usage (from the conformance work folder): node --import ./register.mjs browser_kiosk.mjs URL SECONDS
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { join as joinPath } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { chromium } from 'playwright-core';

const host = process.argv[2];
const seconds = Number(process.argv[3] ?? '30');
const here = fileURLToPath(new URL('.', import.meta.url));
const bundlePath = joinPath(here, 'browser-bundle.js');
const ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
  '--disable-features=WebRtcHideLocalIpsWithMdns', '--allow-loopback-in-peer-connection',
  '--force-webrtc-ip-handling-policy=default',
];

const source = joinPath(here, 'browser-page.mjs');
const fresh = await stat(bundlePath).then(async (out) => out.mtimeMs >= (await stat(source)).mtimeMs, () => false);
if (!fresh) {
  await esbuild.build({ entryPoints: [source], bundle: true, format: 'iife', platform: 'browser',
    target: 'chrome120', outfile: bundlePath, logLevel: 'error' });
}
const script = await readFile(bundlePath);
const server = createServer((req, res) => {
  if (req.url === '/bundle.js') {
    res.writeHead(200, { 'content-type': 'text/javascript' });
    res.end(script);
  } else {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><meta charset="utf-8"><title>kiosk</title><script src="/bundle.js"></script>');
  }
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ARGS });
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  const steps = await page.evaluate((h) => window.conformance.join(h), host);
  const failed = steps.filter((s) => !s.ok);
  process.stdout.write(failed.length ? `failed ${JSON.stringify(failed)}\n` : 'joined\n');
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  await page.evaluate(() => window.conformance.leave());
} finally {
  await browser.close();
  server.close();
}
