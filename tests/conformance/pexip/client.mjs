// Level 2: Pexip's current web client core, @pexip/infinity (Apache-2.0), unmodified,
// running in Node against our lab node. It authenticates, opens the event stream,
// builds its peer connection (libwebrtc through @roamhq/wrtc) and reports what it
// understood through its signals: that is what Pexip's apps show their users.
// Prints one JSON line per check: {step, ok, error?, detail?}.
// Usage: node --import ./register.mjs --import ./node-env.mjs client.mjs http://127.0.0.1:PORT
import { wrtc } from './node-env.mjs';

const host = process.argv[2];
const node = new URL(host).host;
const WAIT_MS = 8000;
const results = [];
const pexipErrors = [];

const quiet = () => {};
// @pexip/signal and @pexip/peer-connection log to the console (tokens included):
// keep stdout for results and stderr for Pexip's errors only.
const print = (line) => process.stdout.write(`${line}\n`);
for (const name of ['log', 'info', 'debug', 'warn', 'trace']) console[name] = quiet;
const describe = (value) =>
  JSON.stringify(value, (_key, v) => (v instanceof Error ? `${v.name}: ${v.message} ${v.stack?.split('\n')[1]?.trim()}` : v));

// Pexip's logger stays quiet unless something goes wrong; keep its errors for the report.
const logger = {
  trace: quiet,
  debug: quiet,
  info: quiet,
  warn: quiet,
  error: (...args) => pexipErrors.push(describe(args).slice(0, 600)),
  fatal: (...args) => pexipErrors.push(describe(args).slice(0, 600)),
  silent: quiet,
  redact: (text) => text,
  addRedactPattern: quiet,
};

// Every participant gets its own copy of Pexip's modules, as its own browser
// tab would (see hook.mjs: @pexip/infinity's event signals are module-level).
let ClientCallType;
async function newClient(realm) {
  const pexip = await import(`@pexip/infinity?realm=${realm}`);
  ClientCallType = pexip.ClientCallType;
  pexip.setLogger(logger);
  const { createCallSignals, createInfinityClient, createInfinityClientSignals } = pexip;
  const signals = createInfinityClientSignals(
    ['onMe', 'onParticipants', 'onConferenceStatus', 'onMessage', 'onPinRequired', 'onError', 'onRaiseHand', 'onMyselfMuted', 'onExtension'],
    { batchScheduleTimeoutMS: 50 },
  );
  const callSignals = createCallSignals([]);
  const client = createInfinityClient(signals, callSignals);
  const seen = { participants: [], joined: [], left: [], status: [], messages: [], errors: [], pin: [], me: [], tokens: [], hands: [], muted: [], disconnected: [], extension: [], refreshed: [] };
  const flat = (batch) => (Array.isArray(batch) ? batch : [batch]);
  signals.onParticipants.add((e) => seen.participants.push(e));
  signals.onParticipantJoined.add((b) => seen.joined.push(...flat(b)));
  signals.onParticipantLeft.add((b) => seen.left.push(...flat(b)));
  signals.onConferenceStatus.add((e) => seen.status.push(e));
  signals.onMessage.add((m) => seen.messages.push(m));
  signals.onError.add((e) => seen.errors.push(e));
  signals.onPinRequired.add((p) => seen.pin.push(p));
  signals.onMe.add((e) => seen.me.push(e));
  signals.onRaiseHand.add((e) => seen.hands.push(e));
  signals.onMyselfMuted.add((muted) => seen.muted.push(muted));
  signals.onDisconnected.add((e) => seen.disconnected.push(e));
  signals.onExtension.add((type) => seen.extension.push(type));
  signals.onAuthenticatedWithConference.add((e) => seen.tokens.push(e.token));
  signals.onTokenRefreshed.add(() => seen.refreshed.push(Date.now()));
  return { client, signals, callSignals, seen };
}

async function until(what, predicate, ms = WAIT_MS) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// A promise for the next emission of `signal`, failing after `ms`. Created
// before the action that triggers it; unawaited if that action fails.
function signalled(signal, what, ms = WAIT_MS) {
  const promise = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    signal.add((value) => {
      clearTimeout(timer);
      resolve(value ?? true);
    });
  });
  promise.catch(() => {});
  return promise;
}

// `needs`: steps this one builds on; if one failed, this one is reported as
// not reached instead of waiting out its own timeout.
async function check(name, fn, needs = []) {
  const missing = needs.find((n) => !results.some((r) => r.step === n && r.ok));
  if (missing !== undefined) {
    results.push({ step: name, ok: false, error: `not reached: "${missing}" failed` });
    return false;
  }
  try {
    const detail = await fn();
    results.push({ step: name, ok: true, ...(detail === undefined ? {} : { detail }) });
    return true;
  } catch (error) {
    results.push({ step: name, ok: false, error: `${error.name}: ${error.message}` });
    return false;
  }
}

const join = (c, alias, displayName, extra = {}) =>
  c.client.call({
    conferenceAlias: alias,
    displayName,
    host,
    node,
    bandwidth: 1024,
    callType: ClientCallType.None,
    ...extra,
  });

// A camera and a microphone as libwebrtc sees them: wrtc's frame sources, fed
// with a grey 320x180 picture and silence, as a browser's fake devices would be.
function fakeCameraAndMicrophone() {
  const video = new wrtc.nonstandard.RTCVideoSource();
  const audio = new wrtc.nonstandard.RTCAudioSource();
  const width = 320;
  const height = 180;
  const frame = { width, height, data: new Uint8ClampedArray((width * height * 3) / 2).fill(128) };
  const samples = { samples: new Int16Array(480), sampleRate: 48000, bitsPerSample: 16, channelCount: 1, numberOfFrames: 480 };
  const timer = setInterval(() => {
    video.onFrame(frame);
    for (let i = 0; i < 7; i += 1) audio.onData(samples);
  }, 66);
  const stream = new wrtc.MediaStream([video.createTrack(), audio.createTrack()]);
  return { stream, stop: () => { clearInterval(timer); for (const t of stream.getTracks()) t.stop(); } };
}

// A wrapper that threw inside the client shows up as an undefined response;
// Pexip's logger has the reason.
function expect200(res, what) {
  if (res?.status === 200) return;
  const why = res === undefined && pexipErrors.length ? `; Pexip logged: ${pexipErrors.at(-1)}` : '';
  throw new Error(`${what} answered ${res?.status}${why}`);
}

const names = (list) => list.map((e) => e.participant?.displayName);

const a = await newClient('a');
const joinedA = { at: Date.now(), expires: '0' };
const b = await newClient('b');
const g = await newClient('g');

await check('join meet: authenticated, event stream connected', async () => {
  const connected = signalled(a.signals.onConnected, 'onConnected');
  const res = await join(a, 'meet', 'Pexip A');
  expect200(res, 'request_token');
  joinedA.expires = res.data.result.expires;
  await connected;
});

await check('getMe: own participant from the roster is a Host', async () => {
  const me = await until('getMe()', () => a.client.getMe());
  if (me.role !== 'chair') throw new Error(`role ${me.role}`);
  return { displayName: me.displayName, role: me.role };
}, ['join meet: authenticated, event stream connected']);

await check('roster: second participant joins (onParticipantJoined)', async () => {
  await join(b, 'meet', 'Pexip B');
  await until('Pexip B in onParticipantJoined', () => names(a.seen.joined).includes('Pexip B'));
}, ['join meet: authenticated, event stream connected']);

await check('roster: getParticipants lists both', async () => {
  const list = await until('both participants', () => {
    const found = a.client.getParticipants('main').map((p) => p.displayName);
    return found.includes('Pexip A') && found.includes('Pexip B') ? found : null;
  });
  return list;
}, ['join meet: authenticated, event stream connected']);

await check('lock: onConferenceStatus reports locked', async () => {
  const res = await b.client.lock({ lock: true });
  expect200(res, 'lock');
  await until('locked status', () => a.seen.status.some((e) => e.status?.locked === true));
}, ['join meet: authenticated, event stream connected']);

await check('unlock: onConferenceStatus reports unlocked', async () => {
  await b.client.lock({ lock: false });
  await until('unlocked status', () => a.seen.status.at(-1)?.status?.locked === false);
}, ['join meet: authenticated, event stream connected']);

await check('chat: onMessage delivers a broadcast message', async () => {
  await b.client.sendMessage({ payload: 'hello from B' });
  const m = await until('message', () => a.seen.messages.find((x) => x.message === 'hello from B'));
  if (m.displayName !== 'Pexip B') throw new Error(`message attributed to ${m.displayName}`);
  return { displayName: m.displayName, message: m.message };
}, ['join meet: authenticated, event stream connected']);

await check('raise hand: onRaiseHand reports the other participant', async () => {
  await b.client.raiseHand({ raise: true });
  const e = await until('onRaiseHand', () => a.seen.hands.find((x) => x.participant.displayName === 'Pexip B'));
  if (!e.participant.raisedHand) throw new Error(JSON.stringify(e.participant.rawData));
}, ['join meet: authenticated, event stream connected']);

await check('mute: a Host mutes the other, who sees onMyselfMuted(true)', async () => {
  const other = b.client.getMe();
  if (!other) throw new Error('B has no roster entry for itself');
  const res = await a.client.mute({ mute: true, participantUuid: other.uuid });
  expect200(res, 'mute');
  await until('onMyselfMuted(true)', () => b.seen.muted.includes(true));
}, ['join meet: authenticated, event stream connected']);

await check('kick: a Host disconnects a participant, who gets onDisconnected', async () => {
  const k = await newClient('k');
  const res = await join(k, 'meet', 'Pexip kicked');
  expect200(res, 'request_token');
  const target = await until('Pexip kicked in the roster', () =>
    a.client.getParticipants('main').find((p) => p.displayName === 'Pexip kicked'),
  );
  await a.client.kick({ participantUuid: target.uuid });
  const gone = await until('onDisconnected', () => k.seen.disconnected.at(-1));
  return gone;
}, ['join meet: authenticated, event stream connected']);

await check('reception: joins meet through the reception alias with an extension', async () => {
  const r = await newClient('r');
  await join(r, 'reception', 'Pexip via reception');
  const type = await until('onExtension', () => r.seen.extension.at(-1));
  const res = await join(r, 'reception', 'Pexip via reception', { conferenceExtension: 'meet' });
  expect200(res, 'request_token with the extension');
  await until('Pexip A in the roster seen through reception', () =>
    r.client.getParticipants('main').some((p) => p.displayName === 'Pexip A'),
  );
  await r.client.disconnect({ reason: 'User initiated disconnect' });
  return { conference_extension_type: type };
}, ['join meet: authenticated, event stream connected']);

await check('refresh: the client refreshes its token and keeps working past the first token lifetime', async () => {
  const lifetimeMs = Number(joinedA.expires) * 1000;
  if (lifetimeMs > 20000) throw new Error(`token lifetime ${joinedA.expires} s: start the node with a short --token-lifetime`);
  await until('a token lifetime to pass', () => Date.now() > joinedA.at + lifetimeMs + 1000, lifetimeMs + 5000);
  if (a.seen.refreshed.length < 2) throw new Error(`${a.seen.refreshed.length} onTokenRefreshed in one lifetime`);
  expect200(await a.client.sendMessage({ payload: 'still here' }), 'message with a refreshed token');
  await until('the message at B', () => b.seen.messages.some((x) => x.message === 'still here'));
  return { lifetime_s: Number(joinedA.expires), refreshes: a.seen.refreshed.length };
}, ['join meet: authenticated, event stream connected']);

await check('leave: onParticipantLeft when the other closes its browser (release_token beacon)', async () => {
  await b.client.disconnect({ reason: 'Browser closed' });
  await until('Pexip B in onParticipantLeft', () => names(a.seen.left).includes('Pexip B'));
}, ['join meet: authenticated, event stream connected']);

const m = await newClient('m');
const camera = fakeCameraAndMicrophone();
const remote = [];
m.callSignals.onRemoteStream.add((stream) => remote.push(stream));
await check('media: call with a libwebrtc offer connects (onCallConnected)', async () => {
  const connected = signalled(m.callSignals.onCallConnected, 'onCallConnected', 15000);
  const res = await join(m, 'meet', 'Pexip media', { callType: ClientCallType.AudioVideo, mediaStream: camera.stream });
  expect200(res, 'request_token');
  await connected;
});

await check('media: onRemoteStream carries audio and video from the node', async () => {
  const stream = await until('onRemoteStream', () => remote.at(-1));
  const kinds = stream.getTracks().map((t) => t.kind).sort();
  if (!kinds.includes('video') || !kinds.includes('audio')) throw new Error(`tracks ${kinds}`);
  return kinds;
}, ['media: call with a libwebrtc offer connects (onCallConnected)']);

await check('media: the roster shows the media participant with has_media', async () => {
  await until('Pexip media with hasMedia', () =>
    a.client.getParticipants('main').some((p) => p.displayName === 'Pexip media' && p.hasMedia === true),
  );
}, ['join meet: authenticated, event stream connected', 'media: call with a libwebrtc offer connects (onCallConnected)']);

await check('media: DTMF on the call is accepted (calls/{c}/dtmf)', async () => {
  const res = await m.client.sendDTMF({ digits: '1234#' });
  expect200(res, 'dtmf');
}, ['media: call with a libwebrtc offer connects (onCallConnected)']);

await check('media: a preferred aspect ratio is accepted', async () => {
  const res = await m.client.requestAspectRatio({ aspectRatio: 16 / 9 });
  expect200(res, 'preferred_aspect_ratio');
}, ['media: call with a libwebrtc offer connects (onCallConnected)']);

await check('media: leaving ends the call and the roster entry', async () => {
  await m.client.disconnect({ reason: 'User initiated disconnect' });
  camera.stop();
  await until('Pexip media in onParticipantLeft', () => names(a.seen.left).includes('Pexip media'));
}, ['media: call with a libwebrtc offer connects (onCallConnected)']);

await check('pinned without PIN: onPinRequired with host and guest PIN', async () => {
  await join(g, 'pinned', 'Pexip guest');
  const p = await until('onPinRequired', () => g.seen.pin.at(-1));
  if (!p.hasHostPin || !p.hasGuestPin) throw new Error(JSON.stringify(p));
});

await check('pinned with wrong PIN: onError #pex101 (Invalid PIN)', async () => {
  await join(g, 'pinned', 'Pexip guest', { pin: '0000' });
  const e = await until('onError', () => g.seen.errors.at(-1));
  if (e.errorCode !== '#pex101') throw new Error(JSON.stringify(e));
});

await check('pinned with guest PIN: joins as a Guest', async () => {
  const res = await join(g, 'pinned', 'Pexip guest', { pin: '5678' });
  expect200(res, 'request_token');
  const me = await until('getMe()', () => g.client.getMe());
  if (me.role !== 'guest') throw new Error(`role ${me.role}`);
});

await check('guest: mute() on itself is accepted and seen as onMyselfMuted(true)', async () => {
  const res = await g.client.mute({ mute: true });
  expect200(res, 'mute (participants/{own}/mute)');
  await until('onMyselfMuted(true)', () => g.seen.muted.includes(true));
}, ['pinned with guest PIN: joins as a Guest']);

await check('guest: mute({mute: false}) on itself is accepted and seen as onMyselfMuted(false)', async () => {
  const res = await g.client.mute({ mute: false });
  expect200(res, 'unmute (participants/{own}/unmute)');
  await until('onMyselfMuted(false)', () => g.seen.muted.at(-1) === false);
}, ['guest: mute() on itself is accepted and seen as onMyselfMuted(true)']);

await check('guest: chat from a Guest is accepted', async () => {
  expect200(await g.client.sendMessage({ payload: 'hello from a Guest' }), 'message');
}, ['pinned with guest PIN: joins as a Guest']);

await check('guest: raising its own hand is accepted', async () => {
  expect200(await g.client.raiseHand({ raise: true }), 'buzz');
}, ['pinned with guest PIN: joins as a Guest']);

await check('leave: user disconnect releases the token (refresh_token is refused after it)', async () => {
  const token = g.seen.tokens.at(-1);
  if (!token) throw new Error('onAuthenticatedWithConference never gave a token');
  await g.client.disconnect({ reason: 'User initiated disconnect' });
  const res = await fetch(`${host}/api/client/v2/conferences/pinned/refresh_token`, { method: 'POST', headers: { token } });
  if (res.status !== 403) throw new Error(`refresh_token after leaving answered ${res.status}`);
  await a.client.disconnect({ reason: 'User initiated disconnect' });
}, ['pinned with guest PIN: joins as a Guest']);

for (const r of results) print(JSON.stringify(r));
// What goes to stderr may end up in a test report: never a token.
const redact = (text) => text.replace(/token=[^&\s"']+/g, 'token=...').replace(/("token"\s*:\s*")[^"]+/g, '$1...');
if (pexipErrors.length) process.stderr.write(`${redact(pexipErrors.join('\n'))}\n`);
process.exit(0);
