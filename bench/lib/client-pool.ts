/** Parent side of the client process: spawns it and turns its IPC replies into promises. */
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { wallClockMs } from './percentiles';
import type {
  CheckMembersReply,
  CheckMembersRequest,
  ChildReply,
  ChildRequest,
  CloseReply,
  JoinBurstReply,
  JoinBurstRequest,
  OpenReply,
  OpenRequest,
  QuietReply,
  RunReply,
  RunRequest,
} from './protocol';

export class ClientPool {
  private queue: { resolve: (r: ChildReply) => void; reject: (e: Error) => void }[] = [];
  /** child clock minus parent clock, in ms (estimated at start from an IPC round trip). */
  clockOffsetMs = 0;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (reply: ChildReply) => {
      const waiter = this.queue.shift();
      if (!waiter) return;
      if (reply.op === 'error') waiter.reject(new Error(`client process: ${reply.message}`));
      else waiter.resolve(reply);
    });
    child.on('exit', (code, signal) => {
      for (const w of this.queue.splice(0)) w.reject(new Error(`client process exited (${code ?? signal})`));
    });
  }

  static async start(): Promise<ClientPool> {
    // tsx's loader travels in process.execArgv, so the child can run the TypeScript file directly.
    const child = fork(path.join(__dirname, 'client-process.ts'), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const pool = new ClientPool(child);
    await pool.calibrateClock();
    return pool;
  }

  /** One request at a time: replies come back in order. */
  private request<T extends ChildReply>(req: ChildRequest): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ resolve: resolve as (r: ChildReply) => void, reject });
      this.child.send(req);
    });
  }

  private async calibrateClock(): Promise<void> {
    // Best of several round trips: the shortest has the least scheduling noise.
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 7; i++) {
      const before = wallClockMs();
      const reply = await this.request<{ op: 'clock'; now: number }>({ op: 'clock' });
      const after = wallClockMs();
      if (after - before < best) {
        best = after - before;
        this.clockOffsetMs = reply.now - (before + after) / 2;
      }
    }
  }

  /** A child timestamp on the parent's clock. */
  toParentClock(childMs: number): number {
    return childMs - this.clockOffsetMs;
  }

  open(req: Omit<OpenRequest, 'op'>): Promise<OpenReply> {
    return this.request<OpenReply>({ op: 'open', ...req });
  }

  run(req: Omit<RunRequest, 'op'>): Promise<RunReply> {
    return this.request<RunReply>({ op: 'run', ...req });
  }

  /**
   * A run whose messages the parent triggers itself (naive baseline, floor): `armed` resolves once
   * the child is counting, so no frame can arrive before it listens; `done` when all arrived.
   */
  runExternal(req: Omit<RunRequest, 'op' | 'senders' | 'intervalMs'>): {
    armed: Promise<void>;
    done: Promise<RunReply>;
  } {
    const armed = new Promise<void>((resolve, reject) => {
      this.queue.push({ resolve: () => resolve(), reject });
    });
    const done = this.request<RunReply>({ op: 'run', ...req, senders: [], intervalMs: 0 });
    // request() pushed its waiter after `armed`'s, matching the child's two replies in order.
    return { armed, done };
  }

  joinBurst(req: Omit<JoinBurstRequest, 'op'>): Promise<JoinBurstReply> {
    return this.request<JoinBurstReply>({ op: 'joinBurst', ...req });
  }

  checkMembers(req: Omit<CheckMembersRequest, 'op'>): Promise<CheckMembersReply> {
    return this.request<CheckMembersReply>({ op: 'checkMembers', ...req });
  }

  quiet(quietMs: number, hardTimeoutMs: number): Promise<QuietReply> {
    return this.request<QuietReply>({ op: 'quiet', quietMs, hardTimeoutMs });
  }

  send(client: number, data: string): Promise<unknown> {
    return this.request({ op: 'send', client, data });
  }

  closeOne(client: number): Promise<CloseReply> {
    return this.request<CloseReply>({ op: 'closeOne', client });
  }

  closeAll(): Promise<CloseReply> {
    return this.request<CloseReply>({ op: 'close' });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.disconnect();
    });
  }
}
