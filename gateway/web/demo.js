// Demo page logic (index.html): joins as acceptor or offerer, pairs through the
// gateway, opens the RTCDataChannel "chat" and exchanges text messages.
//
// Query parameters prefill the form: role (acceptor|offerer), id, token,
// wait (offerer's waitMs), auto=1 (connect at once), send=<text> (send it once
// the channel opens). The token is removed from the address bar after reading.
//
// For tests: document.body.dataset.state is idle → connecting → joined →
// paired → channel-open (or closed / failed); dataset.peer is the other
// side's subject; each received message is one <li> of #received.

import { SignalingClient, connectPeer, defaultSignalUrl } from './signaling-client.js';

const $ = (id) => document.getElementById(id);
const form = $('connect-form');
const sendForm = $('send-form');

let session = null;  // {client, pc, channel}
let dataChannel = null;

function log(line) {
  const stamp = new Date().toISOString().slice(11, 23);
  $('log').textContent += `${stamp} ${line}\n`;
  $('log').scrollTop = $('log').scrollHeight;
}

function setState(state) {
  document.body.dataset.state = state;
  $('state').textContent = state;
}

function setPeer(subject) {
  if (subject) document.body.dataset.peer = subject;
  else delete document.body.dataset.peer;
  $('peer').textContent = subject ? `with ${subject}` : '';
}

function setConnected(connected) {
  $('connect').disabled = connected;
  $('leave').disabled = !connected;
  for (const id of ['token', 'role', 'id']) $(id).disabled = connected;
}

function setChannelOpen(open) {
  $('message').disabled = !open;
  $('send').disabled = !open;
}

function showReceived(text) {
  const li = document.createElement('li');
  li.textContent = text;  // never innerHTML: the peer controls this text
  $('received').append(li);
}

function sendText(text) {
  if (!dataChannel || dataChannel.readyState !== 'open') return;
  dataChannel.send(text);
  log(`sent: ${text}`);
}

async function connect(autoSend) {
  const role = $('role').value;
  const id = $('id').value.trim();
  const token = $('token').value.trim();
  const wait = Number(params.get('wait') ?? (role === 'offerer' ? 10000 : 0));
  setConnected(true);
  setPeer('');
  setState('connecting');
  log(`connecting as ${role} ${role === 'offerer' ? 'to' : 'on'} ${id}`);

  let s;
  try {
    s = await connectPeer({
      url: defaultSignalUrl(),
      token,
      role,
      peerId: role === 'acceptor' ? id : undefined,
      targetId: role === 'offerer' ? id : undefined,
      waitMs: role === 'offerer' ? wait : undefined,
      rtcConfig: { iceServers: [] },
      log,
      client: watch(new SignalingClient()),
    });
  } catch (e) {
    log(`join refused: ${e.code ?? ''} ${e.message} (close ${e.closeCode ?? '-'})`);
    setState('failed');
    setConnected(false);
    return;
  }
  session = s;

  s.pc.addEventListener('connectionstatechange', () => log(`peer connection: ${s.pc.connectionState}`));
  try {
    dataChannel = await s.channel;
  } catch (e) {
    log(`no data channel: ${e.message}`);
    return;
  }
  setState('channel-open');
  setChannelOpen(true);
  log(`data channel "${dataChannel.label}" open`);
  dataChannel.addEventListener('message', (e) => {
    const text = typeof e.data === 'string' ? e.data : `<${e.data.byteLength ?? e.data.size} bytes>`;
    log(`received: ${text}`);
    showReceived(text);
  });
  dataChannel.addEventListener('close', () => {
    log('data channel closed');
    setChannelOpen(false);
  });
  if (autoSend) sendText(autoSend);
}

// Signaling events, shown in the log and the state.
function watch(client) {
  client.on('joined', (b) => {
    log(`joined: session ${b.sessionId}`);
    setState('joined');
  });
  client.on('paired', (b) => {
    setPeer(b.peer?.subject ?? '');
    setState('paired');
  });
  client.on('peerLeft', (b) => {
    log(`peer left: ${b.reason}`);
    setPeer('');
  });
  client.on('error', (b) => log(`error: ${b.code} ${b.message ?? ''}`));
  client.on('goAway', (b) => log(`server draining: reconnect after ${b.reconnectAfterMs} ms`));
  client.on('close', (b) => {
    log(`signaling closed: ${b.code}${b.reason ? ` ${b.reason}` : ''}`);
    if (document.body.dataset.state !== 'failed') setState('closed');
    setConnected(false);
    setChannelOpen(false);
    session = null;
    dataChannel = null;
  });
  return client;
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  if (!session) connect(null);
});

$('leave').addEventListener('click', () => {
  if (!session) return;
  try {
    session.client.leave();
  } catch (e) {
    log(e.message);
  }
  session.pc.close();
  session.client.close(1000, 'left');
});

sendForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const text = $('message').value;
  if (!text) return;
  sendText(text);
  $('message').value = '';
});

// Prefill from the URL fragment (never sent to the server, so the token
// stays out of request logs); auto-connect when asked.
const params = new URLSearchParams(location.hash.slice(1));
if (params.has('role')) $('role').value = params.get('role') === 'offerer' ? 'offerer' : 'acceptor';
if (params.has('id')) $('id').value = params.get('id');
if (params.has('token')) {
  $('token').value = params.get('token');
  params.delete('token');
  // Keep the token out of history and the address bar.
  history.replaceState(null, '', `${location.pathname}#${params}`);
}
if (params.get('auto') === '1') connect(params.get('send'));
