import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import path from 'node:path';
import { startLocalStack } from '../../../local/stack';
import { FIXTURE_TEMPLATE, TestClient, waitFor } from './helpers';

// A child process builds and starts a stack (seconds on a loaded 2-core machine) before it stops.
jest.setTimeout(240_000);

const ROOT = path.resolve(__dirname, '../../..');
const SCRIPT = path.join(__dirname, 'stop-in-flight.script.ts');
/** Not a speed assertion: how long a stopped stack may take to let its process exit on a shared machine. */
const EXIT_BOUND_MS = 60_000;
const REACH_STOP_BOUND_MS = 150_000;
/** What the stack itself opens: threads, sockets, servers. A leaked worker shows as MessagePorts. */
const STACK_RESOURCES = ['Worker', 'MessagePort', 'TCPServerWrap', 'TCPSocketWrap', 'UDPWrap'];

interface StopReport {
  stopped: boolean;
  clients: number;
  connectionsClosedAtStop: number;
  asyncInvocationsAtStop: number;
  arrivedDuringStop: number;
  cutShortByStop: number;
  succeededAfterStop: number;
  environmentsAfterStop: number;
  resourcesAfterStop: Record<string, number>;
}

interface ChildOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Set when the child had to be killed: the phase it did not finish in time. */
  killedWhile?: 'reaching the stop' | 'exiting after the stop';
}

/** Runs the script; kills it (its own pid only) when it misses a bound, and says which. */
function runChild(buildDir: string): Promise<ChildOutcome> {
  return new Promise((resolve) => {
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
      cwd: ROOT,
      env: { ...process.env, NODE_OPTIONS: '', STOP_TEST_BUILD_DIR: buildDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let killedWhile: ChildOutcome['killedWhile'];
    let timer = setTimeout(() => {
      killedWhile = 'reaching the stop';
      child.kill('SIGKILL');
    }, REACH_STOP_BOUND_MS);
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (!killedWhile && stdout.includes('"stopped":true')) {
        // The stack has stopped: from now on only its leftovers could keep the process alive.
        clearTimeout(timer);
        timer = setTimeout(() => {
          killedWhile = 'exiting after the stop';
          child.kill('SIGKILL');
        }, EXIT_BOUND_MS);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, killedWhile });
    });
  });
}

function stackResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of process.getActiveResourcesInfo()) {
    if (STACK_RESOURCES.includes(name)) counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

describe('stopping the local stack with work in flight', () => {
  it('lets its process exit by itself, with nothing run after the stop', async () => {
    await mkdir(path.join(ROOT, '.local-stack'), { recursive: true });
    const buildDir = await mkdtemp(path.join(ROOT, '.local-stack', 'stop-test-'));
    let outcome: ChildOutcome;
    try {
      outcome = await runChild(buildDir);
    } finally {
      await rm(buildDir, { recursive: true, force: true });
    }
    const line = outcome.stdout.split('\n').find((text) => text.startsWith('{"stopped"'));
    if (outcome.killedWhile || outcome.code !== 0 || !line) {
      throw new Error(
        `the child ${outcome.killedWhile ? `was killed while ${outcome.killedWhile}` : `exited with ${outcome.code ?? outcome.signal}`}\nstdout: ${outcome.stdout}\nstderr: ${outcome.stderr}`,
      );
    }
    const report = JSON.parse(line) as StopReport;
    // The work really was in flight: every client had left, invocations kept arriving.
    expect(report.connectionsClosedAtStop).toBe(report.clients);
    expect(report.arrivedDuringStop).toBeGreaterThan(0);
    // None of it ran once the stack stopped, and nothing of the stack remained.
    expect(report.cutShortByStop).toBe(report.arrivedDuringStop);
    expect(report.succeededAfterStop).toBe(0);
    expect(report.environmentsAfterStop).toBe(0);
    const leftovers = Object.keys(report.resourcesAfterStop).filter((name) => STACK_RESOURCES.includes(name));
    expect(leftovers).toEqual([]);
  });

  it('leaves no thread, socket or server of its own in the process that ran it', async () => {
    const before = stackResources();
    const stack = await startLocalStack({
      templatePath: FIXTURE_TEMPLATE,
      port: 0,
      asyncRetryDelaysMs: [200, 400],
      eventRetryDelaysMs: [200, 400],
    });
    try {
      const clients = await Promise.all(
        Array.from({ length: 20 }, () => TestClient.open(stack.webSocketUrl())),
      );
      for (const [i, client] of clients.entries())
        client.send({ action: 'publish', text: `${i}`, fail: true });
      // Some clients leave ($disconnect in flight), the others are still connected at the stop.
      await Promise.all(clients.slice(0, 10).map((client) => client.close()));
      expect(stack.stats().lambda.environments).toBeGreaterThan(0);
      const stopping = stack.stop();
      // Another caller stopping it at the same time sees it fully stopped too.
      await stack.stop();
      await stopping;
      await Promise.all(clients.map((client) => client.closed));
    } finally {
      await stack.stop();
    }
    // Let the sockets' close callbacks run.
    await new Promise((resolve) => setImmediate(resolve));
    expect(stackResources()).toEqual(before);
  });

  it('ends a handshake still in its $connect, even for a client that never closes its side', async () => {
    const stack = await startLocalStack({ templatePath: FIXTURE_TEMPLATE, port: 0 });
    let socket: Socket | undefined;
    try {
      const { hostname, port, pathname } = new URL(stack.webSocketUrl());
      // A raw client that sends an upgrade and then neither reads an answer nor ends its side.
      socket = connect({ host: hostname, port: Number(port), allowHalfOpen: true });
      const raw = socket;
      const received: Buffer[] = [];
      raw.on('data', (chunk: Buffer) => received.push(chunk));
      // It keeps its own side open, so only the server's end of the connection can be seen.
      const ended = new Promise<void>((resolve) => raw.once('end', () => resolve()));
      raw.write(
        `GET ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
      );
      // The stack stops while $connect runs (a cold start: it takes far longer than this wait).
      await waitFor(() => stack.stats().lambda.coldStarts > 0, 30_000);
      // The site server's close waits for every socket it accepted: stop() resolving means the
      // stack closed this one itself instead of waiting for the client.
      await stack.stop();
      await ended;
      const answer = Buffer.concat(received).toString('utf8');
      // Either the 503 was written before the socket was closed, or it was cut off with nothing.
      expect(answer === '' || answer.startsWith('HTTP/1.1 503')).toBe(true);
      expect(stack.stats().gateway.connectionsOpened).toBe(0);
    } finally {
      socket?.destroy();
      await stack.stop();
    }
  }, 90_000);
});
