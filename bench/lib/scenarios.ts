/**
 * The measured scenarios. Each takes a running stack (stack-adapter.ts) and the client process
 * (client-pool.ts) and returns plain data for the report and the results file.
 */
import type { ClientPool } from './client-pool';
import { NAIVE_FUNCTION_ID } from './derived-template';
import { type LatencySummary, median, wallClockMs } from './percentiles';
import { type AnomalyDetail, benchText, publicFrame, type RunReply } from './protocol';
import type { BenchStack, CallCounts } from './stack-adapter';

export interface ConnectResult {
  connections: number;
  named: number;
  connectMs: number;
  connectsPerSecond: number;
  nameMs: number;
  /** Time until the join broadcasts (system + members frames to everyone) had all been delivered. */
  joinSettleMs: number;
  /** Connect, name and settle. */
  totalMs: number;
}

const NAMING_BATCH = 20;

export async function openClients(
  stack: BenchStack,
  pool: ClientPool,
  count: number,
  names: (string | null)[],
  concurrency: number,
): Promise<ConnectResult> {
  // Every join is broadcast (system + members frames) to every connection, so naming N clients
  // costs O(N^2) frames. Named clients connect and name in small batches, each batch before the
  // next connects: a join then reaches only the clients already there, which halves that cost.
  const start = wallClockMs();
  let connectMs = 0;
  let nameMs = 0;
  let named = 0;
  let total = 0;
  const namedUpTo = names.reduce((last, n, i) => (n !== null ? i + 1 : last), 0);
  for (let at = 0; at < count; ) {
    const size = at < namedUpTo ? Math.min(NAMING_BATCH, namedUpTo - at) : count - at;
    const opened = await pool.open({
      url: stack.webSocketUrl,
      count: size,
      names: names.slice(at, at + size),
      concurrency,
    });
    at += size;
    if (opened.failed > 0) {
      throw new Error(`${opened.failed} of ${count} clients failed to connect or name: ${opened.firstError}`);
    }
    connectMs += opened.connectMs;
    nameMs += opened.nameMs;
    named += opened.named;
    total = opened.total;
  }
  const settleStart = wallClockMs();
  await stack.drain();
  await pool.quiet(300, 600_000);
  return {
    connections: total,
    named,
    connectMs,
    connectsPerSecond: (count / connectMs) * 1000,
    nameMs,
    joinSettleMs: wallClockMs() - settleStart,
    totalMs: wallClockMs() - start,
  };
}

function countsDelta(after: CallCounts, before?: CallCounts): CallCounts {
  if (!before) return after;
  const sub = (a: Record<string, number>, b: Record<string, number>) =>
    Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v - (b[k] ?? 0)]));
  return {
    dynamodb: sub(after.dynamodb, before.dynamodb),
    eventBridgePutEventsCalls: after.eventBridgePutEventsCalls - before.eventBridgePutEventsCalls,
    eventBridgeEntries: after.eventBridgeEntries - before.eventBridgeEntries,
    postToConnection: after.postToConnection - before.postToConnection,
    postToConnectionGone: after.postToConnectionGone - before.postToConnectionGone,
    postToConnectionBytes: after.postToConnectionBytes - before.postToConnectionBytes,
    messagesIn: after.messagesIn - before.messagesIn,
    lambdaInvocations: sub(after.lambdaInvocations, before.lambdaInvocations),
    lambdaErrors: sub(after.lambdaErrors, before.lambdaErrors),
    lambdaColdStarts: sub(after.lambdaColdStarts, before.lambdaColdStarts),
    lambdaGbSeconds: sub(after.lambdaGbSeconds, before.lambdaGbSeconds),
    lambdaCpuMs: sub(after.lambdaCpuMs, before.lambdaCpuMs),
    connectionsOpened: after.connectionsOpened - before.connectionsOpened,
  };
}

/**
 * Waits until the stack has finished everything an action started: a frame just sent may not have
 * reached the gateway yet when drain() looks, so drain until the counters stop moving.
 */
async function settle(stack: BenchStack): Promise<void> {
  let last = '';
  for (;;) {
    await stack.drain();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const now = JSON.stringify(stack.counts());
    if (now === last) return;
    last = now;
  }
}

export interface DeliveryFailure {
  kind: 'lost' | 'duplicate';
  detail: AnomalyDetail;
  explanation: string;
  stackCounts: CallCounts;
  logLines: string[];
}

/** Turns the client process's first anomaly into a sentence plus what the stack saw. */
function explainFailure(stack: BenchStack, reply: RunReply, counts: CallCounts): DeliveryFailure | undefined {
  const detail = reply.firstLost ?? reply.firstDuplicate;
  if (!detail) return undefined;
  const who = `recipient #${detail.recipient}${detail.recipientName ? ` (${detail.recipientName})` : ' (unnamed)'}`;
  const what = `message ${detail.message} "${detail.token}"${detail.messageId ? ` (id ${detail.messageId})` : ''}`;
  let explanation: string;
  if (detail.kind === 'lost') {
    explanation =
      `${who} never received ${what}; ${detail.messageReachedRecipients} of ${reply.ledger.recipients} recipients did. ` +
      `Its socket is ${detail.recipientState}` +
      (detail.recipientCloseCode !== undefined
        ? ` (closed ${detail.recipientCloseCode} ${detail.recipientCloseReason ?? ''})`
        : '') +
      `, it received ${detail.recipientFrames} frames in all` +
      (detail.recipientErrors.length ? `, errors: ${detail.recipientErrors.join('; ')}` : '') +
      `. Stack: ${counts.postToConnection} PostToConnection (${counts.postToConnectionGone} gone), ` +
      `Lambda errors ${JSON.stringify(counts.lambdaErrors)}.`;
  } else {
    const ids = detail.duplicateIds ?? [];
    const sameId = ids.length > 1 && ids.every((id) => id === ids[0]);
    explanation =
      `${who} received ${what} ${detail.seen} times (ids ${ids.join(', ')}): ` +
      (sameId
        ? 'the same event id twice: a post was retried after its first attempt had reached the gateway ' +
          '(a timeout or a reset; see retriedPosts below), or a redelivered event was posted again.'
        : 'different ids, so chat-api published the message more than once.') +
      ` Stack: ${counts.postToConnection} PostToConnection for ${reply.ledger.recipients} recipients, ` +
      `Lambda errors ${JSON.stringify(counts.lambdaErrors)}.`;
  }
  const needles = [detail.messageId, detail.recipientName, detail.token].filter((x): x is string => !!x);
  const logLines = stack.recentLogs(
    // Function errors and warnings, failed invocations and gateway closes, plus anything naming the message.
    (line) =>
      needles.some((n) => line.includes(n)) ||
      /"level":"(ERROR|WARN)"/.test(line) ||
      /"retriedPosts":[1-9]/.test(line) ||
      line.startsWith('INVOCATION') ||
      line.startsWith('GATEWAY'),
    20,
  );
  return { kind: detail.kind, detail, explanation, stackCounts: counts, logLines };
}

// ---------------------------------------------------------------------------------------------
// 1. End-to-end latency

/** Names of the latency clients; client 0 is also the fan-out sender when both share a stack. */
export const NAME_PREFIX = 'user';

export interface LatencyOptions {
  clients: number;
  /** Clients already open in the pool from an earlier run on the same stack. */
  alreadyConnected?: number;
  /** How many of the clients set a name (the senders are among them); the rest stay unnamed. */
  named: number;
  senders: number;
  messagesPerSecond: number;
  seconds: number;
  payloadBytes: number;
  concurrency: number;
}

export interface LatencyResult {
  options: LatencyOptions;
  connect: ConnectResult;
  messages: number;
  expectedDeliveries: number;
  delivered: number;
  lost: number;
  duplicated: number;
  latencyMs: LatencySummary;
  framesPerSecond: number;
  offeredFramesPerSecond: number;
  counts: CallCounts;
  failure?: DeliveryFailure;
}

/**
 * Runs one send schedule on the client process, waits until the stack is quiet, then accounts for
 * every (message, recipient) pair and explains the first loss or duplicate, if any.
 */
export async function runAccounted(
  stack: BenchStack,
  pool: ClientPool,
  request: Parameters<ClientPool['run']>[0],
) {
  const before = stack.counts();
  const reply = await pool.run(request);
  await stack.drain();
  const counts = countsDelta(stack.counts(), before);
  const failure = explainFailure(stack, reply, counts);
  const { expected: expectedDeliveries, delivered, lost, duplicated } = reply.ledger;
  return {
    reply,
    counts,
    deliveries: { expectedDeliveries, delivered, lost, duplicated },
    ...(failure ? { failure } : {}),
  };
}

export async function runLatency(
  stack: BenchStack,
  pool: ClientPool,
  o: LatencyOptions,
): Promise<LatencyResult> {
  // Grows the pool from what an earlier run left connected: indices below `named` get a name.
  const already = o.alreadyConnected ?? 0;
  const named = Math.max(Math.min(o.named, o.clients), Math.min(o.senders, o.clients));
  const names = Array.from({ length: o.clients - already }, (_, i) =>
    already + i < named ? `${NAME_PREFIX}${already + i}` : null,
  );
  const connect = await openClients(stack, pool, o.clients - already, names, o.concurrency);
  const messages = Math.max(1, Math.round(o.messagesPerSecond * o.seconds));
  const { reply, counts, deliveries, failure } = await runAccounted(stack, pool, {
    runId: `lat${o.clients}`,
    messages,
    senders: Array.from({ length: Math.min(o.senders, o.clients) }, (_, i) => i),
    intervalMs: 1000 / o.messagesPerSecond,
    payloadBytes: o.payloadBytes,
    idleTimeoutMs: 20_000,
    hardTimeoutMs: 30 * 60_000,
  });
  return {
    options: o,
    connect,
    messages,
    ...deliveries,
    latencyMs: reply.latency,
    framesPerSecond: reply.framesPerSecond,
    offeredFramesPerSecond: o.messagesPerSecond * o.clients,
    counts,
    ...(failure ? { failure } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// 2. Fan-out: our pipeline against the naive baseline, same stack, same connections

export interface FanOutPoint {
  connections: number;
  connect: ConnectResult;
  runs: number;
  pipelineMs: number[];
  naiveMs: number[];
  medianPipelineMs: number;
  medianNaiveMs: number;
  /** Send -> first recipient: the fixed cost of the hops before the first post. */
  medianPipelineFirstMs: number;
  medianNaiveFirstMs: number;
  /** naive / pipeline: how many times longer the naive broadcast takes. */
  naiveOverPipeline: number;
  /**
   * CPU per delivered frame (ms): the broadcaster's environments (all shards) and the naive function's,
   * from the local Lambda's per-invocation thread CPU, divided by PostToConnection calls answered 200.
   */
  broadcasterCpuPerFrameMs: number[];
  naiveCpuPerFrameMs: number[];
  medianBroadcasterCpuPerFrameMs: number;
  medianNaiveCpuPerFrameMs: number;
  cpuSource: string;
  /**
   * Per measured run: broadcaster environments started cold, and PostToConnection calls beyond one
   * per recipient (the sender's retries; one after a timeout may have delivered twice).
   */
  pipelineColdStarts: number[];
  pipelineExtraPosts: number[];
  /** Counts for one public message through each design (the last measured run). */
  pipelineCounts: CallCounts;
  naiveCounts: CallCounts;
  lost: number;
  duplicated: number;
  failure?: DeliveryFailure;
}

const BROADCASTER_FUNCTION_ID = 'BroadcasterFunction';
const cpuPerFrame = (counts: CallCounts, functionId: string) => {
  const frames = counts.postToConnection - counts.postToConnectionGone;
  return frames > 0 ? (counts.lambdaCpuMs[functionId] ?? 0) / frames : Number.NaN;
};

export async function runFanOut(
  stack: BenchStack,
  pool: ClientPool,
  o: {
    sizes: number[];
    runs: number;
    payloadBytes: number;
    concurrency: number;
    alreadyConnected?: number;
    /** One unmeasured broadcast per design first (needed once per stack: cold starts). */
    warmUp: boolean;
  },
): Promise<FanOutPoint[]> {
  const points: FanOutPoint[] = [];
  let connected = o.alreadyConnected ?? 0;
  for (const size of o.sizes) {
    // Client 0 (named) is the sender; the clients added here stay unnamed: unnamed connections receive every public
    // message but cause no join broadcasts, so 10,000 of them cost 10,000 $connects, not 10,000^2 frames.
    const add = size - connected;
    const names = Array.from({ length: add }, (_, i) =>
      connected === 0 && i === 0 ? `${NAME_PREFIX}0` : null,
    );
    const connect = await openClients(stack, pool, add, names, o.concurrency);
    connected = size;

    const pipelineMs: number[] = [];
    const naiveMs: number[] = [];
    const pipelineFirstMs: number[] = [];
    const naiveFirstMs: number[] = [];
    const broadcasterCpu: number[] = [];
    const naiveCpu: number[] = [];
    const coldStarts: number[] = [];
    const extraPosts: number[] = [];
    let lost = 0;
    let duplicated = 0;
    let pipelineCounts: CallCounts | undefined;
    let naiveCounts: CallCounts | undefined;
    let failure: DeliveryFailure | undefined;
    // Run 0 warms both designs (cold starts, one environment per shard) and is not counted.
    for (let run = o.warmUp ? 0 : 1; run <= o.runs; run++) {
      // Pipeline: the sender's sendPublic frame -> the last of `size` recipients.
      let before = stack.counts();
      const p = await pool.run({
        runId: `fp${size}r${run}`,
        messages: 1,
        senders: [0],
        intervalMs: 0,
        payloadBytes: o.payloadBytes,
        idleTimeoutMs: 20_000,
        hardTimeoutMs: 10 * 60_000,
      });
      await stack.drain();
      const pCounts = countsDelta(stack.counts(), before);
      failure ??= explainFailure(stack, p, pCounts);

      // Naive: invoke the sample-style function with the same frame -> the last recipient.
      const runId = `fn${size}r${run}`;
      before = stack.counts();
      const { armed, done } = pool.runExternal({
        runId,
        messages: 1,
        payloadBytes: o.payloadBytes,
        idleTimeoutMs: 20_000,
        hardTimeoutMs: 10 * 60_000,
      });
      await armed;
      const frame = publicFrame(`naive-${runId}`, `${NAME_PREFIX}0`, benchText(runId, 0, o.payloadBytes));
      const t0 = wallClockMs();
      const invoked = await stack.invoke(NAIVE_FUNCTION_ID, {
        requestContext: { routeKey: 'sendmessage', eventType: 'MESSAGE' },
        body: JSON.stringify({ action: 'sendmessage', data: frame }),
      });
      const n = await done;
      await stack.drain();
      const nCounts = countsDelta(stack.counts(), before);
      if (!invoked.ok) throw new Error(`naive broadcaster failed at ${size} connections: ${invoked.error}`);
      failure ??= explainFailure(stack, n, nCounts);
      if (run === 0) continue;

      const pt = p.timings[0];
      const nt = n.timings[0];
      if (pt?.sentAt !== undefined && pt.lastAt !== undefined && pt.firstAt !== undefined) {
        pipelineMs.push(pt.lastAt - pt.sentAt);
        pipelineFirstMs.push(pt.firstAt - pt.sentAt);
      }
      if (nt?.lastAt !== undefined && nt.firstAt !== undefined) {
        naiveMs.push(pool.toParentClock(nt.lastAt) - t0);
        naiveFirstMs.push(pool.toParentClock(nt.firstAt) - t0);
      }
      lost += p.ledger.lost + n.ledger.lost;
      duplicated += p.ledger.duplicated + n.ledger.duplicated;
      pipelineCounts = pCounts;
      naiveCounts = nCounts;
      broadcasterCpu.push(cpuPerFrame(pCounts, BROADCASTER_FUNCTION_ID));
      coldStarts.push(pCounts.lambdaColdStarts[BROADCASTER_FUNCTION_ID] ?? 0);
      extraPosts.push(Math.max(0, pCounts.postToConnection - p.ledger.recipients));
      naiveCpu.push(cpuPerFrame(nCounts, NAIVE_FUNCTION_ID));
    }
    const medianPipelineMs = median(pipelineMs);
    const medianNaiveMs = median(naiveMs);
    points.push({
      connections: size,
      connect,
      runs: o.runs,
      pipelineMs,
      naiveMs,
      medianPipelineMs,
      medianNaiveMs,
      medianPipelineFirstMs: median(pipelineFirstMs),
      medianNaiveFirstMs: median(naiveFirstMs),
      naiveOverPipeline: medianNaiveMs / medianPipelineMs,
      broadcasterCpuPerFrameMs: broadcasterCpu,
      naiveCpuPerFrameMs: naiveCpu,
      medianBroadcasterCpuPerFrameMs: median(broadcasterCpu),
      medianNaiveCpuPerFrameMs: median(naiveCpu),
      cpuSource: stack.cpuSource(),
      pipelineColdStarts: coldStarts,
      pipelineExtraPosts: extraPosts,
      pipelineCounts: pipelineCounts as CallCounts,
      naiveCounts: naiveCounts as CallCounts,
      lost,
      duplicated,
      ...(failure ? { failure } : {}),
    });
  }
  return points;
}

// ---------------------------------------------------------------------------------------------
// 5. Calls per chat action (counted by the stack), for the cost model

export interface ActionCounts {
  action: string;
  /** Connections that received the resulting broadcast (0 for actions without one). */
  recipients: number;
  counts: CallCounts;
}

/**
 * One of each chat action by a fresh client while `pool` holds `connected` connections, one of
 * them named `targetName`. Each action's counts are the stack's counters before/after, drained.
 */
export async function measureActions(
  stack: BenchStack,
  pool: ClientPool,
  connected: number,
  targetName: string,
  payloadBytes: number,
): Promise<ActionCounts[]> {
  const out: ActionCounts[] = [];
  const measure = async (action: string, recipients: number, act: () => Promise<unknown>) => {
    await settle(stack);
    const before = stack.counts();
    await act();
    await settle(stack);
    out.push({ action, recipients, counts: countsDelta(stack.counts(), before) });
  };
  const me = connected; // the new client's index
  await measure('connect ($connect)', 0, () =>
    pool.open({ url: stack.webSocketUrl, count: 1, names: [null], concurrency: 1 }),
  );
  await measure('setName (join)', connected + 1, () =>
    pool.send(me, JSON.stringify({ action: 'setName', name: 'cost-probe' })),
  );
  await measure('sendPublic', connected + 1, () =>
    pool.send(me, JSON.stringify({ action: 'sendPublic', message: 'x'.repeat(payloadBytes) })),
  );
  await measure('sendPrivate', 2, () =>
    pool.send(
      me,
      JSON.stringify({ action: 'sendPrivate', to: targetName, message: 'x'.repeat(payloadBytes) }),
    ),
  );
  await measure('disconnect (leave)', connected, () => pool.closeOne(me));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Load and loss

export interface LoadOptions {
  clients: number;
  messagesPerClient: number;
  messagesPerSecond: number;
  payloadBytes: number;
  concurrency: number;
}

export interface LoadResult {
  options: LoadOptions;
  connect: ConnectResult;
  messages: number;
  expectedDeliveries: number;
  delivered: number;
  lost: number;
  duplicated: number;
  unexpected: number;
  timedOut: boolean;
  latencyMs: LatencySummary;
  framesPerSecond: number;
  durationMs: number;
  counts: CallCounts;
  failure?: DeliveryFailure;
}

export async function runLoad(stack: BenchStack, pool: ClientPool, o: LoadOptions): Promise<LoadResult> {
  const names = Array.from({ length: o.clients }, (_, i) => `load${i}`);
  const connect = await openClients(stack, pool, o.clients, names, o.concurrency);
  const messages = o.clients * o.messagesPerClient;
  const started = wallClockMs();
  // Round robin over all clients: message m comes from client m % clients, so every client
  // sends its k-th message in round k, at a steady total rate.
  const { reply, counts, deliveries, failure } = await runAccounted(stack, pool, {
    runId: 'load',
    messages,
    senders: Array.from({ length: o.clients }, (_, i) => i),
    intervalMs: 1000 / o.messagesPerSecond,
    payloadBytes: o.payloadBytes,
    idleTimeoutMs: 30_000,
    hardTimeoutMs: 60 * 60_000,
  });
  return {
    options: o,
    connect,
    messages,
    ...deliveries,
    unexpected: reply.ledger.unexpected,
    timedOut: reply.timedOut,
    latencyMs: reply.latency,
    framesPerSecond: reply.framesPerSecond,
    durationMs: wallClockMs() - started,
    counts,
    ...(failure ? { failure } : {}),
  };
}
