/**
 * The floor: the same public frame broadcast with raw `ws` from one process to the same number of
 * sockets, with no Lambda, DynamoDB, EventBridge or HTTP in between. Nothing can fan out faster
 * on this machine, so "pipeline time / floor time" says what the serverless pipeline costs.
 */
import { WebSocketServer } from 'ws';
import type { ClientPool } from './client-pool';
import { median, wallClockMs } from './percentiles';
import { benchText, publicFrame } from './protocol';

export interface FloorResult {
  connections: number;
  connectMs: number;
  connectsPerSecond: number;
  runs: number;
  /** Send -> last recipient, ms, one per run. */
  fanOutMs: number[];
  medianFanOutMs: number;
  /** Time the server spends in its send loop (the rest is the kernel and the clients). */
  medianSendLoopMs: number;
  lost: number;
  duplicated: number;
}

export async function measureFloor(
  pool: ClientPool,
  connections: number,
  opts: { runs: number; payloadBytes: number; concurrency: number },
): Promise<FloorResult> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const address = wss.address();
  if (!address || typeof address === 'string') throw new Error('floor server has no port');
  try {
    const opened = await pool.open({
      url: `ws://127.0.0.1:${address.port}/`,
      count: connections,
      names: [],
      concurrency: opts.concurrency,
    });
    if (opened.failed > 0)
      throw new Error(`floor: ${opened.failed} connections failed: ${opened.firstError}`);
    const fanOutMs: number[] = [];
    const loopMs: number[] = [];
    let lost = 0;
    let duplicated = 0;
    // One warm-up broadcast, not counted: the first send on each socket allocates buffers.
    for (let run = 0; run <= opts.runs; run++) {
      const runId = `floor${connections}r${run}`;
      const { armed, done } = pool.runExternal({
        runId,
        messages: 1,
        payloadBytes: opts.payloadBytes,
        idleTimeoutMs: 10_000,
        hardTimeoutMs: 60_000,
      });
      await armed;
      const frame = publicFrame(`floor-${run}`, 'floor', benchText(runId, 0, opts.payloadBytes));
      const t0 = wallClockMs();
      for (const ws of wss.clients) ws.send(frame);
      const loopEnd = wallClockMs();
      const reply = await done;
      if (run === 0) continue;
      lost += reply.ledger.lost;
      duplicated += reply.ledger.duplicated;
      const last = reply.timings[0]?.lastAt;
      if (last !== undefined) fanOutMs.push(pool.toParentClock(last) - t0);
      loopMs.push(loopEnd - t0);
    }
    await pool.closeAll();
    return {
      connections,
      connectMs: opened.connectMs,
      connectsPerSecond: (connections / opened.connectMs) * 1000,
      runs: opts.runs,
      fanOutMs,
      medianFanOutMs: median(fanOutMs),
      medianSendLoopMs: median(loopMs),
      lost,
      duplicated,
    };
  } finally {
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }
}
