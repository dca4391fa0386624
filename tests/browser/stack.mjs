// The real services of a browser test as child processes on loopback: a
// redis-server, auth, matching (alone or as cluster replicas) and gateways
// serving the demo page. Each is started on ports found free and waited for
// (bounded); a port a parallel test took between the check and the bind is
// retried on new ports. Stack.stop() ends every child, gateways first; a
// last-resort hook kills them if the runner exits or is interrupted.
//
// Build dir: env SIGNALING_BUILD_DIR (default `build`, relative to the repo root).

import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BUILD = path.resolve(REPO, process.env.SIGNALING_BUILD_DIR || 'build');
export const WEB_ROOT = path.join(REPO, 'gateway', 'web');
export const BIN = {
  mint: path.join(BUILD, 'services/auth/signaling-mint'),
  auth: path.join(BUILD, 'services/auth/signaling-auth'),
  matching: path.join(BUILD, 'services/matching/signaling-matching'),
  gateway: path.join(BUILD, 'gateway/signaling-gateway'),
};
const REDIS_SERVER = process.env.REDIS_SERVER || 'redis-server';

export const STOP_GRACE_MS = 3_000;
const START_DEADLINE_MS = 15_000;
const PORT_ATTEMPTS = 4;  // a bind lost to a parallel test is retried this often
const KEEP_OUTPUT_BYTES = 64 * 1024;
const KEEP_EVENTS = 20_000;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` until it returns a truthy value (returned) or `timeoutMs` passes (throws `what`). */
export async function waitFor(cond, timeoutMs, what, intervalMs = 50) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await cond();
    if (value) return value;
    if (Date.now() >= deadline) throw new Error(`${what} (not within ${timeoutMs} ms)`);
    await sleep(intervalMs);
  }
}

/** A free loopback TCP port (bound then released; a service binds it next). */
export function freePort() {
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
export function run(file, args, timeout = 10_000) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${path.basename(file)} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout.trim());
    });
  });
}

/** GET on loopback: {status, text}; status 0 when nothing answers. */
export async function httpGet(port, urlPath) {
  try {
    const r = await fetch(`http://127.0.0.1:${port}${urlPath}`, { signal: AbortSignal.timeout(2000) });
    return { status: r.status, text: await r.text() };
  } catch {
    return { status: 0, text: '' };
  }
}

// Every child alive, for the last-resort hooks below.
const live = new Set();
process.on('exit', () => {
  for (const s of live) s.proc.kill('SIGKILL');
});
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
  process.on(signal, () => {
    for (const s of live) s.proc.kill('SIGKILL');
    process.exit(code);
  });
}

/**
 * A long-running child. Keeps the tail of its output for diagnostics and
 * every JSON log line it wrote (bounded) as `events`, in order.
 */
export class Service {
  constructor(name, file, args) {
    this.name = name;
    this.output = '';
    this.events = [];
    this.exited = null;  // {code, signal} once it ended
    this.proc = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(this);
    // Both streams carry the services' lines (JSON on stderr, redis on stdout).
    for (const stream of [this.proc.stdout, this.proc.stderr]) {
      let partial = '';
      stream.on('data', (chunk) => {
        const text = chunk.toString();
        this.output = (this.output + text).slice(-KEEP_OUTPUT_BYTES);
        const lines = (partial + text).split('\n');
        partial = lines.pop();
        for (const line of lines) this.keepEvent(line);
      });
    }
    this.proc.on('error', (e) => { this.output += `spawn error: ${e.message}\n`; });
    this.done = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => {
        this.exited = { code, signal };
        live.delete(this);
        resolve();
      });
    });
  }

  keepEvent(line) {
    if (!line.startsWith('{')) return;
    try {
      this.events.push(JSON.parse(line));
    } catch { return; }
    if (this.events.length > KEEP_EVENTS) this.events.shift();
  }

  /** The kept log events from the `from`-th on whose fields include every field of `match`. */
  find(match, from = 0) {
    return this.events.slice(from).filter((e) => Object.entries(match).every(([k, v]) => e[k] === v));
  }

  assertRunning() {
    if (this.exited) {
      const { code, signal } = this.exited;
      throw new Error(`${this.name} exited early (code ${code}, signal ${signal}):\n${this.output}`);
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

/** One test file's processes and their scratch folder (the signing key). */
export class Stack {
  constructor() {
    const missing = Object.values(BIN).filter((f) => !existsSync(f));
    if (missing.length) {
      throw new Error(`service binaries missing (build first, or set SIGNALING_BUILD_DIR; now ${BUILD}): ${missing}`);
    }
    this.services = [];
    this.tmp = mkdtempSync(path.join(tmpdir(), 'signaling-browser-'));
    this.key = path.join(this.tmp, 'dev.key');
  }

  /** Generates the HS256 key; mints a token per entry of {name: [subject, ...grant flags]}. */
  async mintTokens(grants) {
    await run(BIN.mint, ['--generate_key', this.key, '--alg', 'HS256']);
    const tokens = {};
    for (const [name, [sub, ...args]] of Object.entries(grants)) {
      tokens[name] = await run(BIN.mint, [
        '--key_file', this.key, '--kid', 'dev', '--alg', 'HS256', '--ttl_s', '600', '--sub', sub, ...args]);
      if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(tokens[name])) throw new Error(`mint did not print a JWT: ${tokens[name]}`);
    }
    return tokens;
  }

  /**
   * Starts `name` with argsFor(ports) on `portCount` free ports and waits
   * until ready(service, ports) holds. A child that exits because a port was
   * taken meanwhile is started again on new ports. Returns {service, ports}.
   */
  async start(name, file, portCount, argsFor, ready) {
    for (let attempt = 1; ; ++attempt) {
      const ports = await Promise.all(Array.from({ length: portCount }, freePort));
      const service = new Service(name, file, argsFor(ports));
      this.services.push(service);
      const deadline = Date.now() + START_DEADLINE_MS;
      for (;;) {
        if (service.exited) break;
        if (await ready(service, ports)) return { service, ports };
        if (Date.now() >= deadline) {
          throw new Error(`${name} not ready within ${START_DEADLINE_MS} ms:\n${service.output}`);
        }
        await sleep(50);
      }
      if (attempt >= PORT_ATTEMPTS || !/address already in use/i.test(service.output)) service.assertRunning();
      this.services.splice(this.services.indexOf(service), 1);
    }
  }

  /** redis-server without persistence (as tests/common/redis does); returns its port. */
  async startRedis() {
    const dir = mkdtempSync(path.join(this.tmp, 'redis-'));
    const { ports } = await this.start('redis', REDIS_SERVER, 1,
      ([port]) => ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
      (s) => s.output.includes('Ready to accept connections'));
    return ports[0];
  }

  /** The auth service with the stack's key; returns its gRPC port. */
  async startAuth() {
    const { ports } = await this.start('auth', BIN.auth, 2,
      ([port, admin]) => ['--listen', `127.0.0.1:${port}`, '--key', `dev:HS256:${this.key}`, '--grpc_insecure',
        '--admin_port', String(admin)],
      async (s, [, admin]) => (await httpGet(admin, '/readyz')).status === 200);
    return ports[0];
  }

  /**
   * Matching, alone, or a cluster replica when `redis` (its port) is given:
   * advertised at its own listen address (its name in the cluster, and what
   * the gateways list) and ready once its membership is live.
   * Returns {service, address, admin}.
   */
  async startMatching({ name = 'matching', authPort, redis = null }) {
    const { service, ports } = await this.start(name, BIN.matching, 2,
      ([port, admin]) => [
        '--listen', `127.0.0.1:${port}`, '--auth_target', `127.0.0.1:${authPort}`, '--grpc_insecure',
        '--admin_port', String(admin), '--log_level', 'debug',
        ...(redis ? ['--redis', `127.0.0.1:${redis}`, '--advertise', `127.0.0.1:${port}`] : [])],
      async (s, [, admin]) => (await httpGet(admin, '/readyz')).status === 200 &&
        (!redis || s.output.includes('cluster membership live')));
    return { service, address: `127.0.0.1:${ports[0]}`, admin: ports[1] };
  }

  /**
   * A gateway in dev mode serving the demo page, spreading its sessions over
   * `targets` (matching addresses). Ready when it reaches matching and serves
   * the page. Returns {service, base (its http URL), admin}.
   */
  async startGateway({ name = 'gateway', targets }) {
    const { service, ports } = await this.start(name, BIN.gateway, 2,
      ([port, admin]) => [
        '--address', '127.0.0.1', '--port', String(port), '--matching_target', targets.join(','),
        '--grpc_insecure', '--dev_mode', '--web_root', WEB_ROOT, '--admin_port', String(admin),
        '--log_level', 'debug'],
      async (s, [port, admin]) => (await httpGet(admin, '/readyz')).status === 200 &&
        (await httpGet(port, '/')).status === 200);
    return { service, base: `http://127.0.0.1:${ports[0]}`, admin: ports[1] };
  }

  assertRunning() {
    this.services.forEach((s) => s.assertRunning());
  }

  /** Stops every child, newest kind first (gateways before matching before auth and Redis). */
  async stop() {
    const tiers = [];
    for (const s of this.services) {
      const tier = tiers.find((t) => t.file === s.proc.spawnfile);
      if (tier) tier.services.push(s);
      else tiers.push({ file: s.proc.spawnfile, services: [s] });
    }
    for (const tier of tiers.reverse()) await Promise.all(tier.services.map((s) => s.stop()));
    rmSync(this.tmp, { recursive: true, force: true });
  }
}
