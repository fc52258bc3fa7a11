// The browser kiosk for bench/ui_bench.py (d): headless Chromium with Pexip's web
// client core (@pexip/infinity, bundled by esbuild exactly as
// tests/conformance/pexip/browser.mjs does, from its browser-page.mjs) joins the
// lab node's meet room with the fake camera and microphone, says "joined" on
// stdout, stays in the call for the seconds given, then leaves.
//
// Like for like with the appliance in bench/ui_bench.py (d) (docs/benchmarks.md, ui):
// - the camera is Chromium's fake device at 640x360, 15 fps (the appliance's bench profile,
//   bench/browser_match.toml, sends the same); H.264 is offered first, as the appliance
//   does (Chromium offers VP8 first on its own), so both send and receive the same codec;
// - the remote video is shown, as a kiosk shows it: a <video> element filling a 1280x720
//   viewport (the appliance's bench screen); without one Chromium decodes but never draws.
// Every 5 s it prints "stats {json}" (what this browser sends and shows, from getStats()).
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
// Runs in the page before Pexip's client: matched camera, H.264 first, remote video shown.
function kioskPage() {
  const media = navigator.mediaDevices;
  const getUserMedia = media.getUserMedia.bind(media);
  media.getUserMedia = (constraints) =>
    getUserMedia({ ...constraints, video: constraints?.video ? { width: 640, height: 360, frameRate: 15 } : false });
  const h264First = (pc) => {
    const codecs = RTCRtpReceiver.getCapabilities('video')?.codecs ?? [];
    const rank = (c) => (c.mimeType === 'video/H264' ? (c.sdpFmtpLine?.includes('42e01f') ? 0 : 1) : 2);
    const ordered = [...codecs].sort((a, b) => rank(a) - rank(b));
    for (const t of pc.getTransceivers()) {
      if (t.receiver.track?.kind === 'video' && t.direction !== 'stopped') t.setCodecPreferences(ordered);
    }
  };
  const show = (stream) => {
    let video = document.getElementById('remote');
    if (!video) {
      video = document.createElement('video');
      Object.assign(video, { id: 'remote', autoplay: true, muted: true, playsInline: true });
      video.style.cssText = 'position:fixed;inset:0;width:100vw;height:100vh;object-fit:contain;background:#000';
      document.body.append(video);
    }
    if (video.srcObject !== stream) video.srcObject = stream;
  };
  window.kioskPeers = [];
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      window.kioskPeers.push(this);
      this.addEventListener('track', (e) => {
        if (e.track.kind === 'video') show(e.streams[0] ?? new MediaStream([e.track]));
      });
    }
    async createOffer(...args) {
      h264First(this);
      return super.createOffer(...args);
    }
  };
  window.kioskStats = async () => {
    const out = { sent: [], received: [] };
    for (const pc of window.kioskPeers) {
      if (pc.connectionState === 'closed') continue;
      const report = await pc.getStats();
      report.forEach((s) => {
        if (s.kind !== 'video' || (s.type !== 'outbound-rtp' && s.type !== 'inbound-rtp')) return;
        const row = { codec: report.get(s.codecId)?.mimeType, width: s.frameWidth, height: s.frameHeight, fps: s.framesPerSecond };
        (s.type === 'outbound-rtp' ? out.sent : out.received).push(row);
      });
    }
    const video = document.getElementById('remote');
    out.shown = video ? { width: video.videoWidth, height: video.videoHeight, frames: video.getVideoPlaybackQuality().totalVideoFrames } : null;
    return out;
  };
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ARGS });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  await page.addInitScript(kioskPage);
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  const steps = await page.evaluate((h) => window.conformance.join(h), host);
  const failed = steps.filter((s) => !s.ok);
  process.stdout.write(failed.length ? `failed ${JSON.stringify(failed)}\n` : 'joined\n');
  const ends = Date.now() + seconds * 1000;
  while (Date.now() < ends) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(5000, Math.max(0, ends - Date.now()))));
    process.stdout.write(`stats ${JSON.stringify(await page.evaluate(() => window.kioskStats()))}\n`);
  }
  await page.evaluate(() => window.conformance.leave());
} finally {
  await browser.close();
  server.close();
}
