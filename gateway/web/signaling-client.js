// Browser client of the signaling protocol v1 (docs/protocol.md, the JSON
// subprotocol `signaling.v1.json`), plus `connectPeer`, which wires an
// RTCPeerConnection to it. Plain ES module, no build step, no dependencies.
//
//   import { SignalingClient, connectPeer } from '/signaling-client.js';
//
// Events are dispatched synchronously as messages arrive, so add listeners
// *before* calling connect(): an offerer's `paired` often arrives right after
// `joined`, before the promise returned by connect() has settled.

/** WebSocket subprotocol of the JSON form of the protocol. */
export const JSON_SUBPROTOCOL = 'signaling.v1.json';

/** Roles, as they appear on the wire. */
export const Role = Object.freeze({ ACCEPTOR: 'ACCEPTOR', OFFERER: 'OFFERER' });

/** Server → client message kinds that are dispatched as events of the same name. */
const SERVER_KINDS = new Set([
  'joined', 'paired', 'offer', 'answer', 'iceCandidate', 'peerLeft', 'error', 'goAway', 'pong',
]);

/**
 * A refused request, as reported by the server's `error` message (or a close
 * before `joined`). `code` is the protocol error code (e.g. `PERMISSION_DENIED`)
 * or `CLOSED` when the socket closed without one; `closeCode` is the WebSocket
 * close code when known.
 */
export class SignalingError extends Error {
  /**
   * @param {string} code protocol error code
   * @param {string} message human-readable text from the server
   * @param {number} [closeCode] WebSocket close code, when the socket closed
   */
  constructor(code, message, closeCode) {
    super(message ? `${code}: ${message}` : code);
    this.name = 'SignalingError';
    this.code = code;
    this.closeCode = closeCode;
  }
}

/**
 * Normalizes an ICE candidate to the protocol's candidate object (the shape of
 * RTCIceCandidateInit). `null`/`undefined` (end of gathering) becomes
 * `{candidate: ""}`, the protocol's end-of-candidates marker.
 * @param {RTCIceCandidate|RTCIceCandidateInit|null|undefined} c
 * @returns {{candidate: string, sdpMid?: string, sdpMLineIndex?: number, usernameFragment?: string}}
 */
export function toCandidateObject(c) {
  if (c == null) return { candidate: '' };
  const init = typeof c.toJSON === 'function' ? c.toJSON() : c;
  const out = { candidate: typeof init.candidate === 'string' ? init.candidate : '' };
  if (typeof init.sdpMid === 'string') out.sdpMid = init.sdpMid;
  if (Number.isInteger(init.sdpMLineIndex)) out.sdpMLineIndex = init.sdpMLineIndex;
  if (typeof init.usernameFragment === 'string' && init.usernameFragment !== '') {
    out.usernameFragment = init.usernameFragment;
  }
  return out;
}

function normalizeRole(role) {
  const r = String(role ?? '').toUpperCase();
  if (r !== Role.ACCEPTOR && r !== Role.OFFERER) {
    throw new TypeError(`role must be "acceptor" or "offerer", got ${JSON.stringify(role)}`);
  }
  return r;
}

/**
 * One signaling session over one WebSocket (JSON subprotocol).
 *
 * Events (each a `CustomEvent` whose `detail` is the message body as received):
 * - `joined`       `{sessionId, role, peerId|targetId}`
 * - `paired`       `{peer: {subject}}`
 * - `offer`        `{sdp, iceCandidates?}`
 * - `answer`       `{sdp, iceCandidates?}`
 * - `iceCandidate` `{candidate, sdpMid?, sdpMLineIndex?, usernameFragment?}` (`candidate: ""` = end)
 * - `peerLeft`     `{reason}`: `LEFT`, `DISCONNECTED`, `TIMEOUT` or `REPLACED`
 * - `error`        `{code, message}`; fatal ones are followed by `close`
 * - `goAway`       `{reconnectAfterMs}`: the server drains; reconnect after that long
 * - `pong`         `{nonce}`
 * - `message`      `{kind, body}` for every server message, known kind or not
 * - `close`        `{code, reason, wasClean}`: the socket closed (always the last event)
 *
 * State, readable at any time: `state` (`idle`, `connecting`, `joined`, `paired`,
 * `closed`), `sessionId`, `role`, `peer` (`{subject}` while paired, else null),
 * `closeCode`.
 *
 * Not thread-safe in any interesting sense: use it from one JS realm.
 */
export class SignalingClient extends EventTarget {
  /**
   * @param {object} [options]
   * @param {typeof WebSocket} [options.WebSocket] WebSocket constructor (default: the global one)
   */
  constructor({ WebSocket: WebSocketImpl = globalThis.WebSocket } = {}) {
    super();
    this._WebSocket = WebSocketImpl;
    /** @type {WebSocket|null} */
    this.ws = null;
    /** @type {'idle'|'connecting'|'joined'|'paired'|'closed'} */
    this.state = 'idle';
    /** @type {string|null} */
    this.sessionId = null;
    /** @type {'ACCEPTOR'|'OFFERER'|null} */
    this.role = null;
    /** @type {{subject: string}|null} */
    this.peer = null;
    /** @type {number|null} */
    this.closeCode = null;
    this._pings = new Map();  // nonce -> {resolve, reject, timer}
    this._nonce = 0;
  }

  /**
   * Opens the socket and joins. Resolves with the `joined` body; rejects with a
   * {@link SignalingError} when the server refuses the join (its `error` code,
   * e.g. `PERMISSION_DENIED`, with the close code that follows), when the socket
   * closes first (code `CLOSED`), or after `timeoutMs` (code `TIMEOUT`; the
   * socket is then closed).
   *
   * @param {object} options
   * @param {string} options.url `ws(s)://host/v1/signal`
   * @param {string} options.token session token (JWT); sent in the `join` message, never in the URL
   * @param {'acceptor'|'offerer'|'ACCEPTOR'|'OFFERER'} options.role
   * @param {string} [options.peerId] the acceptor's id (ACCEPTOR)
   * @param {string} [options.targetId] the acceptor to reach (OFFERER)
   * @param {number} [options.waitMs] OFFERER: how long the server may wait for the acceptor to appear
   * @param {number} [options.timeoutMs] client-side bound on the whole join (default 15 s + waitMs)
   * @returns {Promise<{sessionId: string, role: string, peerId?: string, targetId?: string}>}
   */
  connect({ url, token, role, peerId, targetId, waitMs, timeoutMs } = {}) {
    if (this.state !== 'idle') {
      return Promise.reject(new Error(`connect() called in state ${this.state}; use a new client`));
    }
    let join;
    try {
      const wireRole = normalizeRole(role);
      join = { sessionToken: String(token ?? ''), role: wireRole };
      if (wireRole === Role.ACCEPTOR) {
        join.peerId = String(peerId ?? '');
      } else {
        join.targetId = String(targetId ?? '');
        if (waitMs != null) join.waitMs = Math.max(0, Math.floor(Number(waitMs)));
      }
      this.role = wireRole;
    } catch (e) {
      return Promise.reject(e);
    }
    const bound = timeoutMs ?? 15000 + (join.waitMs ?? 0);

    this.state = 'connecting';
    return new Promise((resolve, reject) => {
      let settled = false;
      let lastError = null;
      const cleanup = () => {
        settled = true;
        clearTimeout(timer);
        this.removeEventListener('joined', onJoined);
        this.removeEventListener('error', onError);
        this.removeEventListener('close', onClose);
      };
      const onJoined = (e) => { if (!settled) { cleanup(); resolve(e.detail); } };
      // An error before `joined` refuses the join; reject when the close that
      // follows arrives, so that the caller also learns the close code.
      const onError = (e) => { lastError = e.detail; };
      const onClose = (e) => {
        if (settled) return;
        cleanup();
        reject(lastError
          ? new SignalingError(lastError.code, lastError.message, e.detail.code)
          : new SignalingError('CLOSED', `socket closed (${e.detail.code})`, e.detail.code));
      };
      const timer = setTimeout(() => {
        if (settled) return;
        cleanup();
        reject(lastError
          ? new SignalingError(lastError.code, lastError.message)
          : new SignalingError('TIMEOUT', `no joined within ${bound} ms`));
        this.close(1000, 'join timeout');
      }, bound);
      this.addEventListener('joined', onJoined);
      this.addEventListener('error', onError);
      this.addEventListener('close', onClose);

      let ws;
      try {
        ws = new this._WebSocket(url, [JSON_SUBPROTOCOL]);
      } catch (e) {
        cleanup();
        this.state = 'closed';
        reject(e);
        return;
      }
      this.ws = ws;
      ws.onopen = () => this._send('join', join);
      ws.onmessage = (ev) => this._onMessage(ev.data);
      ws.onclose = (ev) => this._onClose(ev.code, ev.reason, ev.wasClean);
      // A socket `error` event is always followed by `close`; nothing to do here.
      ws.onerror = () => {};
    });
  }

  /**
   * OFFERER, after `paired`: sends the SDP offer (again later for renegotiation
   * or ICE restart, once the previous answer has arrived).
   * @param {string} sdp
   * @param {Array<RTCIceCandidate|RTCIceCandidateInit>} [iceCandidates] candidates gathered so far
   */
  sendOffer(sdp, iceCandidates) {
    this._send('offer', this._description(sdp, iceCandidates));
  }

  /**
   * ACCEPTOR, after an `offer`: sends the SDP answer.
   * @param {string} sdp
   * @param {Array<RTCIceCandidate|RTCIceCandidateInit>} [iceCandidates]
   */
  sendAnswer(sdp, iceCandidates) {
    this._send('answer', this._description(sdp, iceCandidates));
  }

  /**
   * Either side, while paired: trickles one ICE candidate. Pass the
   * `RTCPeerConnectionIceEvent.candidate` as is: `null` (end of gathering) is
   * sent as the end-of-candidates marker `{candidate: ""}`.
   * @param {RTCIceCandidate|RTCIceCandidateInit|null} candidate
   */
  sendCandidate(candidate) {
    this._send('iceCandidate', toCandidateObject(candidate));
  }

  /**
   * Ends the current pairing. The server then closes an offerer's socket with
   * 1000; an acceptor stays registered and waits for the next offerer.
   */
  leave() {
    this._send('leave', {});
    if (this.state === 'paired') this.state = 'joined';
    this.peer = null;
  }

  /**
   * Replaces the session's token before it expires (same subject required).
   * A refusal arrives as an `error` event.
   * @param {string} token
   */
  refresh(token) {
    this._send('refresh', { sessionToken: String(token) });
  }

  /**
   * Sends a `ping` and resolves with the round-trip time in ms when the
   * matching `pong` arrives; rejects after `timeoutMs` or when the socket closes.
   * @param {object} [options]
   * @param {number} [options.timeoutMs=10000]
   * @returns {Promise<number>}
   */
  ping({ timeoutMs = 10000 } = {}) {
    const nonce = `p${++this._nonce}-${Math.random().toString(36).slice(2, 10)}`;
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this._pings.delete(nonce);
        reject(new SignalingError('TIMEOUT', `no pong within ${timeoutMs} ms`));
      }, timeoutMs);
      this._pings.set(nonce, {
        resolve: () => resolve(performance.now() - started),
        reject,
        timer,
      });
      try {
        this._send('ping', { nonce });
      } catch (e) {
        clearTimeout(timer);
        this._pings.delete(nonce);
        reject(e);
      }
    });
  }

  /**
   * Closes the socket from the client side (the server treats it as a
   * disconnect: a paired peer gets `peerLeft` `DISCONNECTED`). Idempotent.
   * @param {number} [code=1000]
   * @param {string} [reason]
   */
  close(code = 1000, reason = '') {
    if (this.ws && this.ws.readyState < 2 /* CLOSING */) this.ws.close(code, reason);
  }

  /**
   * Adds a listener and returns a function that removes it. The listener gets
   * the message body (the event's `detail`), not the event.
   * @param {string} type event name (see the class doc)
   * @param {(detail: any) => void} fn
   * @returns {() => void}
   */
  on(type, fn) {
    const listener = (e) => fn(e.detail);
    this.addEventListener(type, listener);
    return () => this.removeEventListener(type, listener);
  }

  // --- internals -----------------------------------------------------------

  _description(sdp, iceCandidates) {
    const body = { sdp: String(sdp) };
    if (iceCandidates != null) body.iceCandidates = Array.from(iceCandidates, toCandidateObject);
    return body;
  }

  _send(kind, body) {
    if (!this.ws || this.ws.readyState !== 1 /* OPEN */) {
      throw new Error(`cannot send ${kind}: socket is not open (state ${this.state})`);
    }
    this.ws.send(JSON.stringify({ [kind]: body }));
  }

  _emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  _onMessage(data) {
    if (typeof data !== 'string') return;  // the JSON subprotocol uses text frames only
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      return;
    }
    if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) return;
    const kinds = Object.keys(msg);
    if (kinds.length !== 1) return;
    const kind = kinds[0];
    const body = msg[kind] ?? {};

    switch (kind) {
      case 'joined':
        this.sessionId = body.sessionId ?? null;
        this.state = 'joined';
        break;
      case 'paired':
        this.peer = body.peer ?? { subject: '' };
        this.state = 'paired';
        break;
      case 'peerLeft':
        this.peer = null;
        if (this.state === 'paired') this.state = 'joined';
        break;
      case 'pong': {
        const pending = this._pings.get(body.nonce);
        if (pending) {
          clearTimeout(pending.timer);
          this._pings.delete(body.nonce);
          pending.resolve();
        }
        break;
      }
      default:
        break;
    }
    this._emit('message', { kind, body });
    // Unknown kinds (a newer server) are only reported as `message`.
    if (SERVER_KINDS.has(kind)) this._emit(kind, body);
  }

  _onClose(code, reason, wasClean) {
    this.state = 'closed';
    this.closeCode = code;
    this.peer = null;
    for (const [, pending] of this._pings) {
      clearTimeout(pending.timer);
      pending.reject(new SignalingError('CLOSED', `socket closed (${code})`, code));
    }
    this._pings.clear();
    this._emit('close', { code, reason, wasClean });
  }
}

/**
 * Joins and wires one RTCPeerConnection to the session, for one pairing:
 * - the OFFERER creates the data channel `chat` (label configurable), and on
 *   `paired` creates and sends the offer;
 * - the ACCEPTOR answers every offer it receives (so renegotiation works);
 * - ICE is trickled both ways; remote candidates that arrive before the remote
 *   description are queued and applied right after it; local candidates are
 *   held back until our own offer/answer has been sent.
 *
 * When the pairing ends (`peerLeft`, or the peer connection fails) the peer
 * connection is closed and so is the socket: call connectPeer again to wait
 * for (or reach) the next peer. Add your own listeners to `client` for more.
 *
 * @param {object} options
 * @param {string} options.url `ws(s)://host/v1/signal`
 * @param {string} options.token session token
 * @param {'acceptor'|'offerer'} options.role
 * @param {string} [options.peerId] ACCEPTOR: the id to register
 * @param {string} [options.targetId] OFFERER: the acceptor to reach
 * @param {number} [options.waitMs] OFFERER: server-side wait for the acceptor
 * @param {RTCConfiguration} [options.rtcConfig] e.g. `{iceServers: [...]}`
 * @param {string} [options.channelLabel='chat'] label of the offerer's data channel
 * @param {SignalingClient} [options.client] a fresh client to use (to add listeners first)
 * @param {(line: string) => void} [options.log] diagnostics sink (default: none)
 * @returns {Promise<{pc: RTCPeerConnection, channel: Promise<RTCDataChannel>, client: SignalingClient, joined: object}>}
 *   resolves once joined; `channel` resolves when the data channel is open and
 *   rejects if the pairing ends or the socket closes before that.
 */
export async function connectPeer({
  url, token, role, peerId, targetId, waitMs, rtcConfig = {}, channelLabel = 'chat',
  client = new SignalingClient(), log = () => {},
} = {}) {
  const wireRole = normalizeRole(role);
  const isOfferer = wireRole === Role.OFFERER;
  const pc = new RTCPeerConnection(rtcConfig);

  let resolveChannel;
  let rejectChannel;
  const channel = new Promise((resolve, reject) => {
    resolveChannel = resolve;
    rejectChannel = reject;
  });
  channel.catch(() => {});  // callers that ignore the channel must not see an unhandled rejection
  const watchChannel = (dc) => {
    if (dc.readyState === 'open') resolveChannel(dc);
    else dc.addEventListener('open', () => resolveChannel(dc), { once: true });
  };
  if (isOfferer) watchChannel(pc.createDataChannel(channelLabel));
  else pc.addEventListener('datachannel', (e) => watchChannel(e.channel));

  // Local candidates wait until our description has been sent, so the peer
  // always sees offer/answer first.
  let descriptionSent = false;
  const pendingLocal = [];
  const sendCandidate = (c) => {
    try {
      client.sendCandidate(c);
    } catch (e) {
      log(`could not send a candidate: ${e.message}`);
    }
  };
  pc.addEventListener('icecandidate', (e) => {
    if (descriptionSent) sendCandidate(e.candidate);
    else pendingLocal.push(e.candidate);
  });
  const flushLocal = () => {
    descriptionSent = true;
    for (const c of pendingLocal.splice(0)) sendCandidate(c);
  };

  // Remote candidates wait for the remote description.
  const pendingRemote = [];
  const addRemote = async (c) => {
    try {
      await pc.addIceCandidate(c);
    } catch (e) {
      // Not fatal: one bad or late candidate must not end the call.
      log(`addIceCandidate failed (${JSON.stringify(c.candidate)}): ${e.message}`);
    }
  };
  const flushRemote = async () => {
    for (const c of pendingRemote.splice(0)) await addRemote(c);
  };
  const onRemoteCandidate = async (c) => {
    if (pc.remoteDescription) await addRemote(c);
    else pendingRemote.push(c);
  };

  // Signaling messages are handled strictly in arrival order: each handler
  // awaits the previous one, as WebRTC's own operations chain would.
  let chain = Promise.resolve();
  const serially = (fn) => (e) => {
    chain = chain.then(() => fn(e.detail)).catch((err) => {
      log(`negotiation failed: ${err.message}`);
      end();
    });
  };

  let ended = false;
  const end = (why) => {
    if (ended) return;
    ended = true;
    if (why) log(why);
    rejectChannel(new Error(why || 'pairing ended'));
    pc.close();
    client.close(1000, 'pairing ended');
  };

  client.addEventListener('paired', serially(async (body) => {
    log(`paired with ${body.peer?.subject ?? '?'}`);
    if (!isOfferer) return;
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    client.sendOffer(pc.localDescription.sdp);
    flushLocal();
  }));
  client.addEventListener('offer', serially(async (body) => {
    if (isOfferer) return;
    await pc.setRemoteDescription({ type: 'offer', sdp: body.sdp });
    for (const c of body.iceCandidates ?? []) pendingRemote.push(c);
    await flushRemote();
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    client.sendAnswer(pc.localDescription.sdp);
    flushLocal();
  }));
  client.addEventListener('answer', serially(async (body) => {
    if (!isOfferer) return;
    await pc.setRemoteDescription({ type: 'answer', sdp: body.sdp });
    for (const c of body.iceCandidates ?? []) pendingRemote.push(c);
    await flushRemote();
  }));
  client.addEventListener('iceCandidate', serially((body) => onRemoteCandidate(body)));
  client.addEventListener('peerLeft', (e) => end(`peer left (${e.detail.reason})`));
  client.addEventListener('close', (e) => end(`signaling closed (${e.detail.code})`));
  pc.addEventListener('connectionstatechange', () => {
    if (pc.connectionState === 'failed') {
      try { client.leave(); } catch { /* socket already gone */ }
      end('peer connection failed');
    }
  });

  let joined;
  try {
    joined = await client.connect({ url, token, role: wireRole, peerId, targetId, waitMs });
  } catch (e) {
    pc.close();
    throw e;
  }
  return { pc, channel, client, joined };
}

/**
 * The signaling URL of the gateway that served the current page:
 * `ws(s)://<location.host>/v1/signal`.
 * @returns {string}
 */
export function defaultSignalUrl() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/v1/signal`;
}
