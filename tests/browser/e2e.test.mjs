// End-to-end test with a real browser, one stack: starts the real auth,
// matching and gateway services on loopback, opens the demo page (gateway/web)
// twice in Chromium, and checks that an acceptor and an offerer get paired,
// exchange offer/answer/candidates through the gateway and talk over an
// RTCDataChannel. A second test checks a refused join as the JS client sees it.
// The same across gateways and replicas: cluster.test.mjs.
//
// Run: tests/browser/run.sh (or `node --test e2e.test.mjs` in this folder);
// env as in stack.mjs and pages.mjs.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Stack } from './stack.mjs';
import {
  DEMO, Pages, assertPairedAndTalking, demoUrl, joinFromPage, probeUntilReady, tearDown, waitForState,
  withDiagnostics,
} from './pages.mjs';

// Bounds: the whole file stays well under 60 s even when everything times out.
const SETUP_TIMEOUT_MS = 25_000;
const READY_DEADLINE_MS = 15_000;
const PAIR_TEST_TIMEOUT_MS = 20_000;
const DENY_TEST_TIMEOUT_MS = 8_000;

let stack = null;
let pages = null;
let tokens = {};
let base = '';
const diagnosed = (fn) => withDiagnostics(() => stack, () => pages, fn);

describe('browser end-to-end', () => {
  before(diagnosed(async () => {
    stack = new Stack();
    tokens = await stack.mintTokens(DEMO.grants);
    const authPort = await stack.startAuth();
    const matching = await stack.startMatching({ authPort });
    ({ base } = await stack.startGateway({ targets: [matching.address] }));

    pages = await Pages.launch();
    // Auth and matching answer joins through the gateway.
    const probe = await pages.open('readiness-probe', `${base}/`);
    await probeUntilReady(probe, tokens.offerer, Date.now() + READY_DEADLINE_MS, () => stack.assertRunning());
    await probe.close();
  }), { timeout: SETUP_TIMEOUT_MS });

  after(() => tearDown(stack, pages), { timeout: 10_000 });

  test('acceptor and offerer pair and talk over an RTCDataChannel', { timeout: PAIR_TEST_TIMEOUT_MS },
    diagnosed(async () => {
      const acceptor = await pages.open('acceptor', demoUrl(base, 'acceptor', tokens.acceptor));
      // The acceptor is registered before the offerer asks for it.
      assert.equal(await waitForState(acceptor, ['joined', 'failed', 'closed'], 8000), 'joined');

      const offerer = await pages.open('offerer', demoUrl(base, 'offerer', tokens.offerer));
      await assertPairedAndTalking(acceptor, offerer);
    }));

  test('joining as offerer to an id not granted: PERMISSION_DENIED, close 4003', { timeout: DENY_TEST_TIMEOUT_MS },
    diagnosed(async () => {
      const page = await pages.open('denied', `${base}/`);
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
