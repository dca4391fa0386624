// End-to-end test with a real browser across the cluster: a redis-server,
// auth, two matching replicas in cluster mode and two gateways that each
// list both replicas. The acceptor's demo page is opened on gateway 1 and the
// offerer's on gateway 2, and the offerer's connection is made to land on the
// replica that does not hold the acceptor's id (each gateway takes the
// serving replicas in turn). That replica moves it to the acceptor's
// (docs/scaling.md: a Redirect, followed by the gateway), where the two pair
// and talk over an RTCDataChannel exactly as in e2e.test.mjs.
//
// Where each side landed is read from the services' JSON log lines (session
// ids and peer ids appear redacted, as common/log/redact.cc computes) and
// from the replicas' admin metrics; every count returns to zero at the end.
//
// Run: tests/browser/run.sh (or `node --test cluster.test.mjs` in this folder).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Stack, httpGet, sleep, waitFor } from './stack.mjs';
import {
  DEMO, Pages, assertPairedAndTalking, demoUrl, joinFromPage, joinedSessionId, tearDown, waitForState,
  withDiagnostics,
} from './pages.mjs';

const SETUP_TIMEOUT_MS = 45_000;
const READY_DEADLINE_MS = 15_000;
const PAIR_TEST_TIMEOUT_MS = 30_000;
const LOG_LAG_MS = 3_000;  // a line the service has written may still be in the pipe
// The cause matching logs when it moves an offerer to its target's replica.
const MOVED = 'moved to the replica holding its target';

/** An id or session id as the services log it (common/log/redact.cc: FNV-1a, SplitMix64 finaliser). */
function redact(id) {
  const mask = (1n << 64n) - 1n;
  let h = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(id, 'utf8')) h = ((h ^ BigInt(byte)) * 0x100000001b3n) & mask;
  h ^= h >> 30n;
  h = (h * 0xbf58476d1ce4e5b9n) & mask;
  h ^= h >> 27n;
  h = (h * 0x94d049bb133111ebn) & mask;
  h ^= h >> 31n;
  return `#${(h >> 16n).toString(16).padStart(12, '0')}`;
}

/** The sum of a metric's samples (every label set) in a Prometheus text page. */
function metricSum(text, name) {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.split(' ').pop());
  }
  return sum;
}

let stack = null;
let pages = null;
let tokens = {};
const replicas = [];  // {service, address, admin}
const gateways = [];  // {service, base, admin}
const probes = [];    // a page per gateway, for the probe joins
const lastProbeOn = [];  // per gateway: the replica its latest probe landed on
const diagnosed = (fn) => withDiagnostics(() => stack, () => pages, fn);

/** A replica's live counts from its admin /metrics. */
async function counts(replica) {
  const { status, text } = await httpGet(replica.admin, '/metrics');
  assert.equal(status, 200, `${replica.service.name} /metrics`);
  return {
    sessions: metricSum(text, 'signaling_matching_sessions'),
    ids: metricSum(text, 'signaling_matching_ids'),
    pairings: metricSum(text, 'signaling_matching_pairings'),
  };
}

const ZERO = { sessions: 0, ids: 0, pairings: 0 };

/** A replica's counts once they equal `expected`, or the last ones read after `timeoutMs`. */
async function countsBecome(replica, expected, timeoutMs = 2000) {
  let last;
  await waitFor(async () => {
    last = await counts(replica);
    return JSON.stringify(last) === JSON.stringify(expected);
  }, timeoutMs, 'counts').catch(() => {});
  return last;
}

/** How many of a replica's or gateway's log events from its `from`-th on match `match`. */
const count = (child, match, from = 0) => child.service.find(match, from).length;
const openedCount = (r) => count(r, { event: 'session.opened' });
const name = (i) => replicas[i].service.name;

/**
 * One probe join through gateway `g` (an offerer to a free id: matching
 * refuses it PEER_NOT_FOUND where it landed). Returns the index of the
 * replica whose log shows the new session, or -1 while the stack is not ready.
 */
async function probeOnce(g) {
  stack.assertRunning();
  const before = replicas.map(openedCount);
  const r = await joinFromPage(probes[g], {
    token: tokens.offerer, role: 'offerer', targetId: 'kiosk-readiness-probe', waitMs: 0 });
  const code = r.errors[0]?.code ?? r.rejected?.code;
  if (code === 'UNAVAILABLE' || code === 'CLOSED' || code === 'TIMEOUT') return -1;
  assert.equal(code, 'PEER_NOT_FOUND', `probe: ${JSON.stringify(r)}`);
  const delta = await waitFor(() => {
    const d = replicas.map((rep, i) => openedCount(rep) - before[i]);
    return d.some((n) => n > 0) && d;
  }, LOG_LAG_MS, `gateway ${g + 1}'s probe session is in no replica's log`);
  assert.equal(delta.reduce((a, b) => a + b), 1, `one probe, one session: ${delta}`);
  lastProbeOn[g] = delta.indexOf(1);
  return lastProbeOn[g];
}

describe('browser end-to-end across gateways and replicas', () => {
  before(diagnosed(async () => {
    stack = new Stack();
    tokens = await stack.mintTokens(DEMO.grants);
    const redis = await stack.startRedis();
    const authPort = await stack.startAuth();
    for (const i of [1, 2]) replicas.push(await stack.startMatching({ name: `matching-${i}`, authPort, redis }));
    const targets = replicas.map((r) => r.address);
    for (const i of [1, 2]) gateways.push(await stack.startGateway({ name: `gateway-${i}`, targets }));

    pages = await Pages.launch();
    // Ready when each gateway has put a session on each replica: both of its
    // Relay streams serve, so it keeps taking the replicas in turn.
    const deadline = Date.now() + READY_DEADLINE_MS;
    for (const [g, gateway] of gateways.entries()) {
      probes.push(await pages.open(`probe-gateway-${g + 1}`, `${gateway.base}/`));
      const seen = new Set();
      while (seen.size < replicas.length) {
        assert.ok(Date.now() < deadline, `gateway ${g + 1} reached only ${[...seen].map(name)}`);
        const landed = await probeOnce(g);
        if (landed < 0) await sleep(200);
        else seen.add(landed);
      }
    }
  }), { timeout: SETUP_TIMEOUT_MS });

  after(() => tearDown(stack, pages), { timeout: 20_000 });

  test('acceptor on gateway 1, offerer on gateway 2 and first on another replica: moved, paired, talking',
    { timeout: PAIR_TEST_TIMEOUT_MS }, diagnosed(async () => {
      const acceptor = await pages.open('acceptor', demoUrl(gateways[0].base, 'acceptor', tokens.acceptor));
      assert.equal(await waitForState(acceptor, ['joined', 'failed', 'closed'], 8000), 'joined');
      const acceptorTag = redact(await joinedSessionId(acceptor));
      // The replica that registered the acceptor's id (its log names the session and the id).
      const joinedA = { event: 'session.joined', session: acceptorTag, role: 'ACCEPTOR', id: redact(DEMO.id) };
      const home = await waitFor(() => {
        const holders = replicas.flatMap((r, i) => (count(r, joinedA) ? [i] : []));
        return holders.length && holders;
      }, LOG_LAG_MS, `no replica logged the acceptor's join ${JSON.stringify(joinedA)}`);
      assert.equal(home.length, 1, `the acceptor joined on one replica: ${home.map(name)}`);
      const [a] = home;
      assert.equal(count(gateways[0], { event: 'session.joined', session: acceptorTag, role: 'ACCEPTOR' }), 1,
        'gateway 1 carries the acceptor');

      // Gateway 2's next session goes to the replica after its last probe's:
      // probe until that one was the acceptor's.
      for (let tries = 0; lastProbeOn[1] !== a && tries < 3; ++tries) await probeOnce(1);
      const marks = replicas.map((r) => r.service.events.length);
      const gatewayMarks = gateways.map((gw) => gw.service.events.length);

      const offerer = await pages.open('offerer', demoUrl(gateways[1].base, 'offerer', tokens.offerer));
      await assertPairedAndTalking(acceptor, offerer);
      // Told `joined` once, by the replica it was moved to.
      assert.equal((await offerer.textContent('#log')).match(/joined: session/g)?.length, 1,
        'offerer told joined once');
      const offererTag = redact(await joinedSessionId(offerer));

      // The offerer's sessions on the replicas: one where it landed, moved
      // away from there, and one on the acceptor's replica, where it paired.
      const pairedO = { event: 'session.paired', session: offererTag, peer_session: acceptorTag };
      await waitFor(() => count(replicas[a], pairedO), LOG_LAG_MS,
        `the acceptor's replica did not log ${JSON.stringify(pairedO)}`);
      const landings = replicas.flatMap((r, i) => r.service.find({ event: 'session.opened' }, marks[i])
        .map((e) => ({ replica: i, session: e.session })));
      const seen = `sessions opened ${JSON.stringify(landings.map((l) => [name(l.replica), l.session]))}, ` +
        `acceptor on ${name(a)}`;
      const final = landings.filter((l) => l.session === offererTag);
      const moved = landings.filter((l) => l.session !== offererTag);
      assert.deepEqual(final.map((l) => l.replica), [a], `the offerer joined on the acceptor's replica: ${seen}`);
      const f = (moved[0] ?? final[0])?.replica;  // where the offerer first landed
      assert.notEqual(f, a, `the offerer first landed on a different replica than the acceptor: ${seen}`);
      assert.equal(moved.length, 1, `one session before the offerer's: ${seen}`);
      assert.equal(count(replicas[f], { event: 'session.ended', session: moved[0].session, cause: MOVED }, marks[f]), 1,
        `${name(f)} moved the offerer to the acceptor's`);
      assert.equal(count(replicas[f], { event: 'session.joined' }, marks[f]), 0, `${name(f)} told nobody joined`);
      const joinedO = { event: 'session.joined', session: offererTag, role: 'OFFERER' };
      assert.equal(count(replicas[a], { ...joinedO, id: redact(DEMO.id) }), 1, 'the offerer joined on the acceptor\'s');
      assert.equal(count(replicas[a], { event: 'session.paired', session: acceptorTag, peer_session: offererTag }), 1,
        'the acceptor paired with the offerer');
      // Gateway 2 carried the offerer (and followed the redirect); gateway 1 did not.
      assert.equal(count(gateways[1], joinedO, gatewayMarks[1]), 1, 'gateway 2 carries the offerer');
      assert.equal(count(gateways[0], { event: 'session.opened' }, gatewayMarks[0]), 0,
        'gateway 1 opened no session for the offerer');

      // The replicas' admin stats: the pairing lives on the acceptor's
      // replica alone; the one the offerer left holds nothing.
      const live = { sessions: 2, ids: 1, pairings: 1 };
      assert.deepEqual(await countsBecome(replicas[a], live), live, `${name(a)} (the acceptor's)`);
      assert.deepEqual(await countsBecome(replicas[f], ZERO), ZERO, `${name(f)} (the one the offerer left)`);

      await offerer.close();
      await acceptor.close();
      for (const [i, r] of replicas.entries()) {
        assert.deepEqual(await countsBecome(r, ZERO, 10_000), ZERO, `${name(i)} at the end`);
      }
    }));
});
