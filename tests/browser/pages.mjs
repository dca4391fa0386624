// Headless Chromium (playwright-core) driving the demo page (gateway/web):
// pages whose console and errors are kept, a join through the JS client, the
// page states, the pairing-and-data-channel check both browser tests make,
// and the diagnostics (services' output, page logs) printed on failure.
//
// Browser: /usr/bin/chromium (env CHROMIUM_PATH).
// E2E_VERBOSE=1 prints the diagnostics even on success.

import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { STOP_GRACE_MS, sleep } from './stack.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-quic',
];

/** One browser and the pages opened in it, for the diagnostics. */
export class Pages {
  static async launch() {
    const pages = new Pages();
    pages.browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 10_000 });
    return pages;
  }

  constructor() {
    this.browser = null;
    this.opened = [];  // [name, page]
  }

  /** Opens a page and records its console output and uncaught errors. */
  async open(name, url) {
    const page = await this.browser.newPage();
    page.consoleLines = [];
    page.pageErrors = [];
    page.on('console', (m) => page.consoleLines.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => page.pageErrors.push(String(e)));
    this.opened.push([name, page]);
    await page.goto(url, { timeout: 5000 });
    return page;
  }

  async close() {
    if (this.browser) await Promise.race([this.browser.close().catch(() => {}), sleep(STOP_GRACE_MS)]);
    this.browser = null;
  }
}

/** Prints every service's output and every page's state and log. */
export async function dumpDiagnostics(stack, pages) {
  for (const s of stack?.services ?? []) {
    console.error(`----- ${s.name} output (${s.exited ? `exited ${JSON.stringify(s.exited)}` : 'running'}) -----`);
    console.error(s.output || '(none)');
  }
  for (const [name, page] of pages?.opened ?? []) {
    let text = '(page closed)';
    try {
      text = await page.evaluate(() => `state=${document.body.dataset.state} peer=${document.body.dataset.peer}\n` +
        (document.getElementById('log')?.textContent ?? ''));
    } catch { /* page gone */ }
    console.error(`----- page ${name} -----\n${text}`);
  }
}

/** Wraps a test body or hook: the diagnostics are printed when it throws. */
export function withDiagnostics(getStack, getPages, fn) {
  return async (t) => {
    try {
      await fn(t);
    } catch (e) {
      await dumpDiagnostics(getStack(), getPages());
      throw e;
    }
  };
}

/** The two sides both tests pair: their token grants, the id, and what each sends over the channel. */
export const DEMO = {
  grants: { acceptor: ['kiosk-owner', '--accept', 'kiosk-*'], offerer: ['user-42', '--offer', 'kiosk-*'] },
  id: 'kiosk-7',
  acceptorSubject: 'kiosk-owner',
  offererSubject: 'user-42',
  acceptorSends: 'pong-from-acceptor',
  offererSends: 'hello',
};

/** The demo page of gateway `base` joining at once as `role` on (or to) DEMO.id and sending its text. */
export function demoUrl(base, role, token) {
  const send = role === 'acceptor' ? DEMO.acceptorSends : DEMO.offererSends;
  return `${base}/#${new URLSearchParams({ role, id: DEMO.id, token, send, auto: '1' })}`;
}

/** The end of a test file: the diagnostics when E2E_VERBOSE is set, then the browser and every child stopped. */
export async function tearDown(stack, pages) {
  if (process.env.E2E_VERBOSE) await dumpDiagnostics(stack, pages);
  await pages?.close();
  await stack?.stop();
}

/**
 * One join from a page through the JS client, watched until the server closes
 * the socket (or `settleMs` passes; then the client closes it). Returns what
 * the client saw: whether connect() resolved (`joined`) or rejected
 * (`rejected`: {code, closeCode}), every `error` body, and the `close` event.
 */
export function joinFromPage(page, options, settleMs = 4000) {
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

/**
 * The readiness probe: an offerer's join to an absent (granted) acceptor id
 * ends in PEER_NOT_FOUND and close 1008 once auth and matching answer
 * (UNAVAILABLE before). Retries until then or `deadline`; `check` runs
 * before each try (e.g. that no service exited). Returns the last result.
 */
export async function probeUntilReady(page, token, deadline, check = () => {}) {
  let last;
  for (;;) {
    check();
    last = await joinFromPage(page, { token, role: 'offerer', targetId: 'kiosk-readiness-probe', waitMs: 0 });
    const code = last.errors[0]?.code ?? last.rejected?.code;
    if (code !== 'UNAVAILABLE' && code !== 'CLOSED' && code !== 'TIMEOUT') break;
    assert.ok(Date.now() < deadline, `services not ready: last join ${JSON.stringify(last)}`);
    await sleep(200);
  }
  assert.equal(last.errors[0]?.code, 'PEER_NOT_FOUND', `readiness probe: ${JSON.stringify(last)}`);
  assert.equal(last.close?.code, 1008, `readiness probe: ${JSON.stringify(last)}`);
  return last;
}

export function waitForState(page, states, timeout) {
  return page
    .waitForFunction((wanted) => wanted.includes(document.body.dataset.state) && document.body.dataset.state,
      states, { timeout })
    .then((h) => h.jsonValue());
}

export function receivedTexts(page) {
  return page.$$eval('#received li', (lis) => lis.map((li) => li.textContent));
}

/** The session id the page was told in `joined` (the demo logs it), or null. */
export async function joinedSessionId(page) {
  const m = /joined: session (\S+)/.exec(await page.textContent('#log'));
  return m ? m[1] : null;
}

/**
 * The pairing as the two demo pages show it: both reach channel-open, each
 * names the other's token subject, and each received the other's `send`
 * text exactly once over the RTCDataChannel, with no uncaught page error.
 */
export async function assertPairedAndTalking(acceptor, offerer, expect = DEMO) {
  const terminal = ['channel-open', 'failed', 'closed'];
  const [stateA, stateO] = await Promise.all([
    waitForState(acceptor, terminal, 12_000), waitForState(offerer, terminal, 12_000)]);
  assert.equal(stateA, 'channel-open', 'acceptor state');
  assert.equal(stateO, 'channel-open', 'offerer state');

  // Each side's paired message named the other side's token subject.
  assert.equal(await acceptor.evaluate(() => document.body.dataset.peer), expect.offererSubject);
  assert.equal(await offerer.evaluate(() => document.body.dataset.peer), expect.acceptorSubject);
  assert.match(await acceptor.textContent('#log'), new RegExp(`paired with ${expect.offererSubject}`));
  assert.match(await offerer.textContent('#log'), new RegExp(`paired with ${expect.acceptorSubject}`));

  // The messages crossed the data channel, exactly once each.
  await acceptor.waitForSelector('#received li', { timeout: 5000 });
  await offerer.waitForSelector('#received li', { timeout: 5000 });
  assert.deepEqual(await receivedTexts(acceptor), [expect.offererSends]);
  assert.deepEqual(await receivedTexts(offerer), [expect.acceptorSends]);

  // No uncaught page errors (CSP violations, module errors, ...).
  assert.deepEqual(acceptor.pageErrors, []);
  assert.deepEqual(offerer.pageErrors, []);
}
