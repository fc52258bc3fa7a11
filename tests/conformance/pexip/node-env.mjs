// The browser globals @pexip/infinity reads, provided in Node by standard
// implementations from npm: EventSource from `eventsource`, WebRTC from
// `@roamhq/wrtc` (Google's libwebrtc, prebuilt). `window` is the global object as
// in a browser, `document` only carries the page address; `navigator.sendBeacon` posts the beacon with fetch, as a browser
// would queue it. Nothing here changes Pexip's code.
import wrtc from '@roamhq/wrtc';
import { EventSource } from 'eventsource';

const g = globalThis;
g.window = g;
g.EventSource = EventSource;
for (const name of [
  'RTCPeerConnection',
  'RTCSessionDescription',
  'RTCIceCandidate',
  'MediaStream',
  'MediaStreamTrack',
  'RTCRtpSender',
  'RTCRtpReceiver',
  'RTCRtpTransceiver',
  'RTCDataChannel',
  'RTCPeerConnectionIceEvent',
  'RTCPeerConnectionIceErrorEvent',
]) {
  if (wrtc[name]) g[name] = wrtc[name];
}
// wrtc's own EventTarget hands listeners the event without `currentTarget`,
// which the DOM sets and @pexip/peer-connection reads; set it as the DOM does.
const wrtcEventTarget = Object.getPrototypeOf(wrtc.RTCPeerConnection.prototype);
const dispatch = wrtcEventTarget.dispatchEvent;
wrtcEventTarget.dispatchEvent = function dispatchEvent(event) {
  if (event && typeof event === 'object' && !event.currentTarget) {
    try {
      Object.defineProperty(event, 'currentTarget', { value: this, configurable: true });
    } catch {
      /* a frozen event keeps what it has */
    }
  }
  return dispatch.call(this, event);
};
// getStats(null) means "everything" in the spec; wrtc implements only the
// argument-less form and throws "Not yet implemented" for null.
const getStats = wrtc.RTCPeerConnection.prototype.getStats;
wrtc.RTCPeerConnection.prototype.getStats = function stats(selector) {
  return selector == null ? getStats.call(this) : getStats.call(this, selector);
};
// A browser reports an unhandled promise rejection on the console and carries
// on; Node would end the process. Pexip's stats collector polls
// RTCRtpReceiver.getStats(), which wrtc lacks ("Not yet implemented"): keep
// going as a browser would, and say so on stderr.
process.on('unhandledRejection', (reason) => {
  process.stderr.write(`unhandled rejection (a browser would log it): ${reason?.message ?? reason}\n`);
});
const beacon = (url, data) => {
  fetch(url, { method: 'POST', body: data, keepalive: true }).catch(() => {});
  return true;
};
if (!g.navigator) {
  Object.defineProperty(g, 'navigator', { value: {}, configurable: true, writable: true });
}
g.navigator.sendBeacon ??= beacon;
g.navigator.mediaDevices ??= wrtc.mediaDevices;
g.location ??= new URL('http://127.0.0.1/');
// Where a web app would be served from: @pexip/infinity builds its SSO return URL on it.
g.document ??= { baseURI: g.location.href };
export { wrtc };
