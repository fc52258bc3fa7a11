// Level 3, the page side: @pexip/infinity (unmodified, bundled by esbuild) in
// headless Chromium, with Chromium's own WebRTC and its fake camera and
// microphone. The driver (browser.mjs) calls window.conformance.join(host) and,
// later, window.conformance.leave(); each returns a list of {step, ok, error?, detail?}.
import {
  ClientCallType,
  createCallSignals,
  createInfinityClient,
  createInfinityClientSignals,
} from '@pexip/infinity';

// Remember every peer connection the client builds so the checks can read
// Chromium's getStats(), the numbers a user's media actually produced.
const peers = [];
const NativePeerConnection = window.RTCPeerConnection;
window.RTCPeerConnection = class extends NativePeerConnection {
  constructor(...args) {
    super(...args);
    peers.push(this);
  }
};

// Pexip's default logger writes to the console; keep its last error so a
// failed step can say why (a wrapper that threw leaves an undefined response).
let lastPexipError = '';
const consoleError = console.error.bind(console);
console.error = (...args) => {
  lastPexipError = args.map((a) => (a instanceof Error ? a.message : typeof a === 'string' ? a : JSON.stringify(a, (_k, v) => (v instanceof Error ? v.message : v)))).join(' ').slice(0, 400);
  consoleError(...args);
};

const WAIT_MS = 15000;
// About a second of video each way: real media, not a lucky first packet.
const FRAMES = 10;
const signals = createInfinityClientSignals([], { batchScheduleTimeoutMS: 50 });
const callSignals = createCallSignals([]);
const client = createInfinityClient(signals, callSignals);
const seen = { connected: false, remote: [], errors: [], disconnected: [] };
signals.onError.add((e) => seen.errors.push(e));
signals.onDisconnected.add((e) => seen.disconnected.push(e));
callSignals.onCallConnected.add(() => {
  seen.connected = true;
});
callSignals.onRemoteStream.add((stream) => seen.remote.push(stream));
let camera;

async function until(what, predicate, ms = WAIT_MS) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (seen.errors.length) throw new Error(`onError: ${JSON.stringify(seen.errors.at(-1))}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// Each step needs the ones before it: after a failure the rest are reported
// as not reached instead of each waiting out its own timeout.
function runner() {
  const results = [];
  let failed = null;
  const check = async (step, fn) => {
    if (failed !== null) {
      results.push({ step, ok: false, error: `not reached: "${failed}" failed` });
      return;
    }
    try {
      const detail = await fn();
      results.push({ step, ok: true, ...(detail === undefined ? {} : { detail }) });
    } catch (error) {
      results.push({ step, ok: false, error: `${error.name}: ${error.message}` });
      failed = step;
    }
  };
  return { results, check };
}

async function stats(kind, direction) {
  const found = [];
  for (const pc of peers) {
    if (pc.connectionState === 'closed') continue;
    const report = await pc.getStats();
    report.forEach((s) => {
      if (s.type === direction && s.kind === kind) found.push({ ...s, codec: report.get(s.codecId)?.mimeType });
    });
  }
  return found;
}

async function selectedPair() {
  for (const pc of peers) {
    const report = await pc.getStats();
    for (const s of report.values()) {
      if (s.type === 'candidate-pair' && s.state === 'succeeded' && s.nominated) {
        const local = report.get(s.localCandidateId);
        const remote = report.get(s.remoteCandidateId);
        return {
          local: `${local.address}:${local.port} ${local.candidateType}`,
          remote: `${remote.address}:${remote.port} ${remote.candidateType}`,
        };
      }
    }
  }
  return null;
}

// The client's requests to the node as Chromium's resource timing saw them
// (the node allows this origin, so the status is visible).
function requests(suffix) {
  return performance
    .getEntriesByType('resource')
    .filter((e) => new URL(e.name).pathname.endsWith(suffix))
    .map((e) => ({ path: new URL(e.name).pathname.replace(/.*\/conferences\//, ''), status: e.responseStatus }));
}

async function join(host) {
  const { results, check } = runner();
  await check('browser: getUserMedia gives the fake camera and microphone', async () => {
    camera = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 360 } });
    return camera.getTracks().map((t) => t.kind).sort();
  });
  await check('browser: joins meet with media (onCallConnected)', async () => {
    const res = await client.call({
      conferenceAlias: 'meet',
      displayName: 'Pexip browser',
      host,
      node: new URL(host).host,
      bandwidth: 1024,
      callType: ClientCallType.AudioVideo,
      mediaStream: camera,
    });
    if (res?.status !== 200) throw new Error(`request_token answered ${res?.status}; Pexip logged: ${lastPexipError}`);
    await until('onCallConnected', () => seen.connected);
  });
  await check('browser: onRemoteStream carries audio and video', async () => {
    const stream = await until('onRemoteStream', () => seen.remote.at(-1));
    const kinds = stream.getTracks().map((t) => t.kind).sort();
    if (!kinds.includes('audio') || !kinds.includes('video')) throw new Error(`tracks ${kinds}`);
    return kinds;
  });
  // Chromium gathers no loopback candidate of its own (not even with
  // --allow-loopback-in-peer-connection); the node offers only 127.0.0.1.
  await check('browser: ICE pair reaches the node on its 127.0.0.1 host candidate', async () => {
    const pair = await until('a nominated candidate pair', selectedPair);
    if (!pair.remote.startsWith('127.0.0.1:')) throw new Error(`selected pair ${JSON.stringify(pair)}`);
    return pair;
  });
  await check('browser: decodes video from the node (inbound-rtp framesDecoded >= 10)', async () => {
    const video = await until('ten decoded video frames', async () =>
      (await stats('video', 'inbound-rtp')).find((s) => s.framesDecoded >= FRAMES),
    );
    return { framesDecoded: video.framesDecoded, codec: video.codec, width: video.frameWidth, height: video.frameHeight };
  });
  await check('browser: receives audio from the node (inbound-rtp packetsReceived > 0)', async () => {
    const audio = await until('audio packets', async () =>
      (await stats('audio', 'inbound-rtp')).find((s) => s.packetsReceived > 0),
    );
    return { packetsReceived: audio.packetsReceived, codec: audio.codec };
  });
  await check('browser: sends its camera (outbound-rtp video framesEncoded >= 10)', async () => {
    const video = await until('ten encoded video frames', async () =>
      (await stats('video', 'outbound-rtp')).find((s) => s.framesEncoded >= FRAMES && s.packetsSent > 0),
    );
    return { framesEncoded: video.framesEncoded, codec: video.codec };
  });
  await check('browser: its own roster entry has media (getMe().hasMedia)', async () => {
    await until('getMe().hasMedia', () => client.getMe()?.hasMedia === true);
  });
  await check('browser: the client acknowledged the answer (calls/{c}/ack answered 200)', async () => {
    const ack = await until('an ack request', () => requests('/ack').at(-1));
    if (ack.status !== 200) throw new Error(`ack answered ${ack.status}`);
    return ack;
  });
  return results;
}

async function leave() {
  const { results, check } = runner();
  await check('browser: leaves (calls/{c}/disconnect and release_token answered 200)', async () => {
    await client.disconnect({ reason: 'User initiated disconnect' });
    for (const track of camera?.getTracks() ?? []) track.stop();
    if (seen.errors.length) throw new Error(`onError: ${JSON.stringify(seen.errors.at(-1))}`);
    const release = await until('a release_token request', () => requests('/release_token').at(-1), 5000);
    if (release.status !== 200) throw new Error(`release_token answered ${release.status}`);
    // The client closes its peer connection first, so the node may already
    // have ended the call: that must still be a 200 (finding 2, fixed).
    const hangUp = requests('/disconnect').at(-1);
    if (hangUp && hangUp.status !== 200) throw new Error(`calls/{c}/disconnect answered ${hangUp.status}`);
    return { calls_disconnect: hangUp?.status, release_token: release.status };
  });
  return results;
}

window.conformance = { join, leave };
