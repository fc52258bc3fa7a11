// Drives our lab node with Pexip's own @pexip/infinity-api (Apache-2.0), whose
// wrappers validate every response against Pexip's JSON Schemas and throw on any
// mismatch. Prints one JSON line per step: {step, status, ok, error?}.
// Usage: node --import ./register.mjs scenario.mjs http://127.0.0.1:PORT
import * as api from '@pexip/infinity-api';

const host = process.argv[2];
const results = [];

function fetcherWith(headers) {
  return (url, init = {}) => fetch(url, { ...init, headers: { ...(init.headers || {}), ...headers } });
}
const plain = fetcherWith({});

async function step(name, expected, fn) {
  try {
    const res = await fn();
    const ok = expected.includes(res.status);
    results.push({ step: name, status: res.status, ok, ...(ok ? {} : { error: `unexpected status, body ${JSON.stringify(res.data)}` }) });
    return res;
  } catch (error) {
    results.push({ step: name, status: null, ok: false, error: `${error.name}: ${error.message} ${JSON.stringify(error.errors || '')}` });
    return null;
  }
}

const join = (alias, body, pin) =>
  api.requestToken({ fetcher: pin === undefined ? plain : fetcherWith({ pin }), host, params: { conferenceAlias: alias }, body });

// --- the judge itself ----------------------------------------------------------
// Proves the validators run: a response with `expires` as a number (the wire
// sends a string) must be refused. No lab node involved.
await step('schema validation is live: a token with a numeric expires is refused', [403], async () => {
  const forged = async () =>
    new Response(JSON.stringify({ status: 'success', result: { token: 't', expires: 120, participant_uuid: 'p', display_name: 'x', role: 'HOST', version: { version_id: '36', pseudo_version: '36' } } }), {
      status: 200,
      headers: { 'content-type': 'application/json' },
    });
  try {
    await api.requestToken({ fetcher: forged, host, params: { conferenceAlias: 'meet' }, body: { display_name: 'x' } });
  } catch (error) {
    if (error.name === 'ValidationError') return { status: 403 };
    throw error;
  }
  return { status: 200, data: 'accepted a malformed token' };
});

// --- tokens and the join outcomes --------------------------------------------
const host1 = await step('request_token meet as host', [200], () => join('meet', { display_name: 'Pexip host' }));
const guestRes = await step('request_token pinned with guest PIN', [200], () => join('pinned', { display_name: 'Pexip guest' }, '5678'));
await step('request_token pinned without PIN -> 403 PIN object', [403], () => join('pinned', { display_name: 'x' }));
await step('request_token pinned with wrong PIN -> 403', [403], () => join('pinned', { display_name: 'x' }, '0000'));
await step('request_token open-guests without PIN -> 403 PIN object', [403], () => join('open-guests', { display_name: 'x' }));
await step('request_token reception -> 403 extension', [403], () => join('reception', { display_name: 'x' }));
await step('request_token reception with extension', [200], () => join('reception', { display_name: 'x', conference_extension: 'meet' }));
await step('request_token sso -> 403 idp list', [403], () => join('sso', { display_name: 'x' }));
await step('request_token unknown alias -> 404', [404], () => join('no-such-room', { display_name: 'x' }));

// @pexip/infinity turns `stun` into `iceServers: [{urls: stun.map(s => s.url)}]`
// whenever the field is present; an empty list gives `urls: []`, which
// RTCPeerConnection refuses. So: absent, or at least one server with a url.
await step('request_token: stun is absent or names a server (@pexip/infinity cannot use an empty list)', [200], async () => {
  const stun = host1?.data?.result?.stun;
  const usable = stun === undefined || (stun.length > 0 && stun.every((s) => typeof s.url === 'string' && s.url));
  return { status: usable ? 200 : 'unusable', data: { stun } };
});

if (host1 && guestRes) {
  const alias = 'meet';
  const t1 = host1.data.result;
  const hostFetch = fetcherWith({ token: t1.token });
  const me = t1.participant_uuid;
  const guest = await step('request_token meet second participant', [200], () => join('meet', { display_name: 'Pexip second' }));
  const other = guest ? guest.data.result.participant_uuid : me;
  const p = (uuid) => ({ conferenceAlias: alias, participantUuid: uuid });
  const c = { conferenceAlias: alias };
  const h = { fetcher: hostFetch, host };

  // --- conference level ------------------------------------------------------
  await step('conference_status', [200], () => api.conferenceStatus({ ...h, params: c }));
  await step('participants', [200], () => api.participants({ ...h, params: c }));
  await step('lock', [200], () => api.lock({ ...h, params: c }));
  await step('unlock', [200], () => api.unlock({ ...h, params: c }));
  await step('muteguests', [200], () => api.muteguests({ ...h, params: c }));
  await step('unmuteguests', [200], () => api.unmuteguests({ ...h, params: c }));
  await step('start_conference', [200], () => api.startConference({ ...h, params: c }));
  await step('message (broadcast chat)', [200], () => api.messageConference({ ...h, params: c, body: { type: 'text/plain', payload: 'hello' } }));
  await step('transform_layout 4:0', [200], () => api.transformLayout({ ...h, params: c, body: { transforms: { layout: '4:0' } } }));
  await step('available_layouts', [200], () => api.availableLayouts({ ...h, params: c }));
  await step('theme/', [200, 204], () => api.theme({ ...h, params: c }));
  await step('clearallbuzz', [200], () => api.clearAllBuzz({ ...h, params: c }));
  await step('set_guests_can_unmute', [200], () => api.setGuestsCanUnmute({ ...h, params: c, body: { setting: true } }));
  await step('layout_svgs', [200], () => api.layoutSvgs({ ...h, params: c }));
  await step('dial', [200], () => api.dial({ ...h, params: c, body: { destination: 'sip:alice@example.com', protocol: 'sip', role: 'GUEST' } }));

  // --- participant level -----------------------------------------------------
  await step('mute', [200], () => api.muteParticipant({ ...h, params: p(other) }));
  await step('unmute', [200], () => api.unmuteParticipant({ ...h, params: p(other) }));
  await step('client_mute', [200], () => api.clientMuteParticipant({ ...h, params: p(me) }));
  await step('client_unmute', [200], () => api.clientUnmuteParticipant({ ...h, params: p(me) }));
  await step('video_muted', [200], () => api.videoMuteParticipant({ ...h, params: p(other) }));
  await step('video_unmuted', [200], () => api.videoUnmuteParticipant({ ...h, params: p(other) }));
  await step('allowrxpresentation', [200], () => api.allowrxpresentationParticipant({ ...h, params: p(other) }));
  await step('denyrxpresentation', [200], () => api.denyrxpresentationParticipant({ ...h, params: p(other) }));
  await step('spotlighton', [200], () => api.spotlightonParticipant({ ...h, params: p(other) }));
  await step('spotlightoff', [200], () => api.spotlightoffParticipant({ ...h, params: p(other) }));
  await step('overlaytext', [200], () => api.overlaytextParticipant({ ...h, params: p(other), body: { text: 'Room 4' } }));
  await step('pres_in_mix', [200], () => api.presInMixParticipant({ ...h, params: p(me), body: { state: true } }));
  await step('buzz', [200], () => api.buzzParticipant({ ...h, params: p(me) }));
  await step('clearbuzz', [200], () => api.clearbuzzParticipant({ ...h, params: p(me) }));
  await step('message (direct)', [200], () => api.messageParticipant({ ...h, params: p(other), body: { type: 'text/plain', payload: 'psst' } }));
  await step('fecc', [200], () => api.feccParticipant({ ...h, params: p(other), body: { action: 'start', target: other, movement: [{ axis: 'pan', direction: 'left' }], timeout: 1000 } }));
  await step('dtmf', [200], () => api.dtmfParticipant({ ...h, params: p(other), body: { digits: '1234#' } }));
  await step('preferred_aspect_ratio', [200], () => api.preferredAspectRatio({ ...h, params: p(me), body: { aspect_ratio: 0.5625 } }));
  await step('take_floor', [200], () => api.takeFloor({ ...h, params: p(me) }));
  await step('release_floor', [200], () => api.releaseFloor({ ...h, params: p(me) }));
  await step('show_live_captions', [200], () => api.showLiveCaptions({ ...h, params: p(me) }));
  await step('hide_live_captions', [200], () => api.hideLiveCaptions({ ...h, params: p(me) }));
  await step('notify_not_afk', [200], () => api.notifyNotAFK({ ...h, params: p(me) }));
  await step('avatar.jpg without an avatar -> 404', [404], () => api.avatarJpgParticipant({ ...h, params: p(me) }));
  await step('role guest', [200], () => api.roleParticipant({ ...h, params: p(other), body: { role: 'guest' } }));
  const g = { fetcher: fetcherWith({ token: guestRes.data.result.token }), host };
  const gp = { conferenceAlias: 'pinned', participantUuid: guestRes.data.result.participant_uuid };
  // @pexip/infinity's mute() posts these for the local participant: a Guest may on itself.
  await step('guest mutes itself (participants/{own}/mute)', [200], () => api.muteParticipant({ ...g, params: gp }));
  await step('guest unmutes itself (participants/{own}/unmute)', [200], () => api.unmuteParticipant({ ...g, params: gp }));
  const pinnedHost = await step('request_token pinned with host PIN', [200], () => join('pinned', { display_name: 'Pexip pinned host' }, '1234'));
  if (pinnedHost) {
    const hp = { ...gp, participantUuid: pinnedHost.data.result.participant_uuid };
    await step('guest muting someone else (host only) -> 403', [403], () => api.muteParticipant({ ...g, params: hp }));
  }
  const third = await step('request_token meet third participant', [200], () => join('meet', { display_name: 'Pexip third' }));
  if (third) {
    const body = { conference_alias: 'auditorium', role: 'guest' };
    await step('transfer to another conference', [200], () => api.transferParticipant({ ...h, params: p(third.data.result.participant_uuid), body }));
  }
  await step('disconnect participant', [200], () => api.disconnectParticipant({ ...h, params: p(other) }));
  const refreshed = await step('refresh_token', [200], () => api.refreshToken({ ...h, params: c }));
  const fresh = refreshed ? { fetcher: fetcherWith({ token: refreshed.data.result.token }), host } : h;
  await step('old token refused after refresh -> 403', [403], () => api.refreshToken({ ...h, params: c }));
  await step('release_token', [200], () => api.releaseToken({ ...fresh, params: c, body: {} }));
}

// --- waiting room and conference-wide disconnect (lobby: guests wait for a host)
const waiting = await step('request_token lobby as a Guest -> waiting_room', [200], async () => {
  const res = await join('lobby', { display_name: 'Pexip waiting' }, 'none');
  const type = res.data?.result?.current_service_type;
  return type === 'waiting_room' ? res : { status: `current_service_type ${type}`, data: res.data };
});
const lobbyHost = await step('request_token lobby as Host', [200], () => join('lobby', { display_name: 'Pexip lobby host' }, '1234'));
if (waiting && lobbyHost) {
  const lh = { fetcher: fetcherWith({ token: lobbyHost.data.result.token }), host };
  const lobby = { conferenceAlias: 'lobby' };
  await step('unlock (admit a waiting participant)', [200], () => api.unlockParticipant({ ...lh, params: { ...lobby, participantUuid: waiting.data.result.participant_uuid } }));
  await step('disconnect (everyone in the conference)', [200], () => api.disconnect({ ...lh, params: lobby }));
}

for (const r of results) console.log(JSON.stringify(r));
