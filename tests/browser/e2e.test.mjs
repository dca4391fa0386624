// End-to-end test with a real browser: starts the real auth, matching and
// gateway services on loopback, opens the demo page (gateway/web) twice in
// Chromium, and checks that an acceptor and an offerer get paired, exchange
// offer/answer/candidates through the gateway and talk over an RTCDataChannel.
// A second test checks a refused join as the JS client sees it.
//
// Build dir: env SIGNALING_BUILD_DIR (default `build`, relative to the repo root).
// Browser: /usr/bin/chromium (env CHROMIUM_PATH), driven by playwright-core.
// Run: tests/browser/run.sh (or `node --test e2e.test.mjs` in this folder).
// E2E_VERBOSE=1 prints the services' output and the page logs even on success.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BUILD = path.resolve(REPO, process.env.SIGNALING_BUILD_DIR || 'build');
const WEB_ROOT = path.join(REPO, 'gateway', 'web');
const BIN = {
  mint: path.join(BUILD, 'services/auth/signaling-mint'),
  auth: path.join(BUILD, 'services/auth/signaling-auth'),
  matching: path.join(BUILD, 'services/matching/signaling-matching'),
  gateway: path.join(BUILD, 'gateway/signaling-gateway'),
};
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-quic',
];

// Bounds: the whole file stays well under 60 s even when everything times out.
const SETUP_TIMEOUT_MS = 25_000;
const READY_DEADLINE_MS = 15_000;
const PAIR_TEST_TIMEOUT_MS = 20_000;
const DENY_TEST_TIMEOUT_MS = 8_000;
const STOP_GRACE_MS = 3_000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A free loopback TCP port (bound then released; the services bind it next). */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Runs a short command; resolves with trimmed stdout, rejects with its stderr. */
function run(file, args, timeout = 10_000) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${path.basename(file)} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout.trim());
    });
  });
}

/** A long-running service whose output is kept (bounded) for diagnostics. */
class Service {
  constructor(name, file, args) {
    this.name = name;
    this.output = '';
    this.exited = null;  // {code, signal} once it ended
    this.proc = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk) => {
      this.output = (this.output + chunk.toString()).slice(-64 * 1024);
    };
    this.proc.stdout.on('data', keep);
    this.proc.stderr.on('data', keep);
    this.proc.on('error', (e) => keep(`spawn error: ${e.message}\n`));
    this.done = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => {
        this.exited = { code, signal };
        resolve();
      });
    });
  }

  assertRunning() {
    if (this.exited) {
      throw new Error(`${this.name} exited early (code ${this.exited.code}, signal ${this.exited.signal}):\n${this.output}`);
    }
  }

  async stop() {
    if (this.exited) return;
    this.proc.kill('SIGTERM');
    const timer = sleep(STOP_GRACE_MS).then(() => 'timeout');
    if ((await Promise.race([this.done, timer])) === 'timeout') {
      this.proc.kill('SIGKILL');
      await Promise.race([this.done, sleep(1000)]);
    }
  }
}

const services = [];
let browser = null;
let tmp = null;
let base = '';
const tokens = {};
const pageLogs = [];  // [name, page] pairs of open pages, for diagnostics

// Last resort if the runner is killed mid-test: never leave services behind.
process.on('exit', () => {
  for (const s of services) if (!s.exited) s.proc.kill('SIGKILL');
});

async function dumpDiagnostics() {
  for (const s of services) {
    console.error(`----- ${s.name} output (${s.exited ? `exited ${JSON.stringify(s.exited)}` : 'running'}) -----`);
    console.error(s.output || '(none)');
  }
  for (const [name, page] of pageLogs) {
    let text = '(page closed)';
    try {
      text = await page.evaluate(() => `state=${document.body.dataset.state} peer=${document.body.dataset.peer}\n` +
        (document.getElementById('log')?.textContent ?? ''));
    } catch { /* page gone */ }
    console.error(`----- page ${name} -----\n${text}`);
  }
}

/** Runs a test body, printing the services' output and page logs on failure. */
function withDiagnostics(fn) {
  return async (t) => {
    try {
      await fn(t);
    } catch (e) {
      await dumpDiagnostics();
      throw e;
    }
  };
}

/** Opens a page and records its console output and uncaught errors. */
async function openPage(name, url) {
  const page = await browser.newPage();
  page.consoleLines = [];
  page.pageErrors = [];
  page.on('console', (m) => page.consoleLines.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => page.pageErrors.push(String(e)));
  pageLogs.push([name, page]);
  await page.goto(url, { timeout: 5000 });
  return page;
}

/**
 * One join from a page through the JS client, watched until the server closes
 * the socket (or `settleMs` passes; then the client closes it). Returns what
 * the client saw: whether connect() resolved (`joined`) or rejected
 * (`rejected`: {code, closeCode}), every `error` body, and the `close` event.
 * Used as the readiness probe and by the tests.
 */
function joinFromPage(page, options, settleMs = 4000) {
  return page.evaluate(async ({ opts, settleMs: settle }) => {
    const { SignalingClient, defaultSignalUrl } = await import('/signaling-client.js');
    const client = new SignalingClient();
    const errors = [];
    client.on('error', (d) => errors.push(d));
    const closed = new Promise((resolve) => client.on('close', resolve));
    let joined = null;
    let rejected = null;
    try {
      joined = await client.connect({ url: defaultSignalUrl(), timeoutMs: settle, ...opts });
    } catch (e) {
      rejected = { code: e.code, closeCode: e.closeCode ?? null };
    }
    let close = await Promise.race([closed, new Promise((r) => setTimeout(() => r(null), settle))]);
    if (!close) {
      client.close(1000);
      close = { code: null, byClient: true };
    }
    return { joined, rejected, errors, close };
  }, { opts: options, settleMs });
}

function waitForState(page, states, timeout) {
  return page
    .waitForFunction((wanted) => wanted.includes(document.body.dataset.state) && document.body.dataset.state,
      states, { timeout })
    .then((h) => h.jsonValue());
}

function receivedTexts(page) {
  return page.$$eval('#received li', (lis) => lis.map((li) => li.textContent));
}

describe('browser end-to-end', () => {
  before(async () => {
    const missing = Object.values(BIN).filter((f) => !existsSync(f));
    assert.deepEqual(missing, [], `service binaries missing (build first, or set SIGNALING_BUILD_DIR; now ${BUILD})`);

    tmp = mkdtempSync(path.join(tmpdir(), 'signaling-e2e-'));
    const key = path.join(tmp, 'dev.key');
    await run(BIN.mint, ['--generate_key', key, '--alg', 'HS256']);
    const mint = (args) => run(BIN.mint, ['--key_file', key, '--kid', 'dev', '--alg', 'HS256', '--ttl_s', '600', ...args]);
    tokens.acceptor = await mint(['--sub', 'kiosk-owner', '--accept', 'kiosk-*']);
    tokens.offerer = await mint(['--sub', 'user-42', '--offer', 'kiosk-*']);
    assert.match(tokens.acceptor, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'mint did not print a JWT');
    assert.match(tokens.offerer, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'mint did not print a JWT');

    const [portA, portM, portG] = await Promise.all([freePort(), freePort(), freePort()]);
    // Admin ports on 0 (any free port), so that parallel runs do not collide on the defaults.
    services.push(new Service('signaling-auth', BIN.auth, [
      '--listen', `127.0.0.1:${portA}`, '--key', `dev:HS256:${key}`, '--grpc_insecure',
      '--admin_port', '0']));
    services.push(new Service('signaling-matching', BIN.matching, [
      '--listen', `127.0.0.1:${portM}`, '--auth_target', `127.0.0.1:${portA}`, '--grpc_insecure',
      '--admin_port', '0']));
    services.push(new Service('signaling-gateway', BIN.gateway, [
      '--address', '127.0.0.1', '--port', String(portG), '--matching_target', `127.0.0.1:${portM}`,
      '--grpc_insecure', '--dev_mode', '--web_root', WEB_ROOT, '--admin_port', '0']));
    base = `http://127.0.0.1:${portG}`;

    try {
      const deadline = Date.now() + READY_DEADLINE_MS;
      // 1. The gateway serves the demo page.
      for (;;) {
        services.forEach((s) => s.assertRunning());
        const status = await fetch(`${base}/`).then((r) => r.status, () => 0);
        if (status === 200) break;
        assert.ok(Date.now() < deadline, `gateway did not serve / (last status ${status})`);
        await sleep(100);
      }

      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 10_000 });

      // 2. Auth and matching answer: an offerer's join to an absent (granted)
      //    acceptor ends in PEER_NOT_FOUND once both are up, UNAVAILABLE before.
      const probe = await openPage('readiness-probe', `${base}/`);
      let last;
      for (;;) {
        services.forEach((s) => s.assertRunning());
        last = await joinFromPage(probe, {
          token: tokens.offerer, role: 'offerer', targetId: 'kiosk-readiness-probe', waitMs: 0,
        });
        const code = last.errors[0]?.code ?? last.rejected?.code;
        if (code !== 'UNAVAILABLE' && code !== 'CLOSED' && code !== 'TIMEOUT') break;
        assert.ok(Date.now() < deadline, `services not ready: last join ${JSON.stringify(last)}`);
        await sleep(200);
      }
      assert.equal(last.errors[0]?.code, 'PEER_NOT_FOUND', `readiness probe: ${JSON.stringify(last)}`);
      assert.equal(last.close?.code, 1008, `readiness probe: ${JSON.stringify(last)}`);
      await probe.close();
    } catch (e) {
      await dumpDiagnostics();
      throw e;
    }
  }, { timeout: SETUP_TIMEOUT_MS });

  after(async () => {
    if (process.env.E2E_VERBOSE) await dumpDiagnostics();
    if (browser) await Promise.race([browser.close().catch(() => {}), sleep(STOP_GRACE_MS)]);
    await Promise.all(services.map((s) => s.stop()));
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }, { timeout: 10_000 });

  test('acceptor and offerer pair and talk over an RTCDataChannel', { timeout: PAIR_TEST_TIMEOUT_MS },
    withDiagnostics(async () => {
      const q = (p) => new URLSearchParams({ ...p, auto: '1' }).toString();
      const acceptor = await openPage('acceptor', `${base}/#${q({
        role: 'acceptor', id: 'kiosk-7', token: tokens.acceptor, send: 'pong-from-acceptor' })}`);
      // The acceptor is registered before the offerer asks for it.
      assert.equal(await waitForState(acceptor, ['joined', 'failed', 'closed'], 8000), 'joined');

      const offerer = await openPage('offerer', `${base}/#${q({
        role: 'offerer', id: 'kiosk-7', token: tokens.offerer, send: 'hello' })}`);

      const terminal = ['channel-open', 'failed', 'closed'];
      const [stateA, stateO] = await Promise.all([
        waitForState(acceptor, terminal, 12_000), waitForState(offerer, terminal, 12_000)]);
      assert.equal(stateA, 'channel-open', 'acceptor state');
      assert.equal(stateO, 'channel-open', 'offerer state');

      // Each side's paired message named the other side's token subject.
      assert.equal(await acceptor.evaluate(() => document.body.dataset.peer), 'user-42');
      assert.equal(await offerer.evaluate(() => document.body.dataset.peer), 'kiosk-owner');
      assert.match(await acceptor.textContent('#log'), /paired with user-42/);
      assert.match(await offerer.textContent('#log'), /paired with kiosk-owner/);

      // The messages crossed the data channel, exactly once each.
      await acceptor.waitForSelector('#received li', { timeout: 5000 });
      await offerer.waitForSelector('#received li', { timeout: 5000 });
      assert.deepEqual(await receivedTexts(acceptor), ['hello']);
      assert.deepEqual(await receivedTexts(offerer), ['pong-from-acceptor']);

      // No uncaught page errors (CSP violations, module errors, ...).
      assert.deepEqual(acceptor.pageErrors, []);
      assert.deepEqual(offerer.pageErrors, []);
    }));

  test('joining as offerer to an id not granted: PERMISSION_DENIED, close 4003', { timeout: DENY_TEST_TIMEOUT_MS },
    withDiagnostics(async () => {
      const page = await openPage('denied', `${base}/`);
      const r = await joinFromPage(page, { token: tokens.offerer, role: 'offerer', targetId: 'other-1' });
      // Refused before `joined`: connect() rejects with the error code and the close code.
      assert.equal(r.joined, null, JSON.stringify(r));
      assert.deepEqual(r.rejected, { code: 'PERMISSION_DENIED', closeCode: 4003 }, JSON.stringify(r));
      assert.equal(r.errors.length, 1, `exactly one error event: ${JSON.stringify(r.errors)}`);
      assert.equal(r.errors[0].code, 'PERMISSION_DENIED');
      assert.equal(typeof r.errors[0].message, 'string');
      assert.equal(r.close?.code, 4003, `close event: ${JSON.stringify(r.close)}`);
      assert.deepEqual(page.pageErrors, []);
    }));
});
