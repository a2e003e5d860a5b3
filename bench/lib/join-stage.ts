/**
 * Issue 8's presence targets, measured through the protocol only (docs/protocol.md, "Members
 * list"): every client builds its list from `members` pages and `presence` deltas
 * (members-model.ts, in the client process) and the bench compares it with the names the server
 * acknowledged. How the server gets there (full lists, deltas, coalescing) is not assumed.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ClientPool } from './client-pool';
import { wallClockMs } from './percentiles';
import type { JoinBurstReply, ListDifference } from './protocol';
import { seededName, seedMembers } from './seed-members';
import type { BenchStack, CallCounts } from './stack-adapter';

/** Issue 8: from the last name acknowledgement until every list is exact, for 1,000 clients. */
export const JOIN_TARGET = { clients: 1000, settleMs: 10_000 };
/** API Gateway refuses a frame over 32 KB. */
export const FRAME_LIMIT_BYTES = 32 * 1024;

export interface FrameTally {
  total: number;
  bytes: number;
  byType: Record<string, number>;
}

export interface JoinResult {
  clients: number;
  /** setName requests in flight at once (0: all at once, a burst). */
  inFlight: number;
  target: typeof JOIN_TARGET;
  connectMs: number;
  acknowledged: number;
  /**
   * setName calls whose integration timed out (29 s: chat-api's environments were all busy) before
   * the `name` frame came; that frame, posted when the function finished, is their acknowledgement.
   */
  gatewayTimeouts?: number;
  /** First setName sent -> last `name` acknowledgement received. */
  joinMs: number;
  /**
   * Last acknowledgement -> every client's list exact for good: from then on, until the stack was
   * quiet, no frame made a list inexact again (undefined: not exact in the end).
   */
  settleMs?: number;
  /** Last acknowledgement -> the first moment every list was exact at once. */
  firstExactMs?: number;
  /** First setName -> every list exact for good. */
  totalMs?: number;
  /** Frames that made a list inexact again after every list had been exact once. */
  regressions: number;
  settleTimeoutMs: number;
  /** Frames every client received from the first setName until every list was exact (or the timeout). */
  frames: FrameTally;
  /** The same, once the stack was drained and the clients quiet (late frames included). */
  framesWhenQuiet: FrameTally;
  /** Whether every list was still exact once the stack was quiet (a stale list must not undo it). */
  exactWhenQuiet: boolean;
  /** Whether the stack finished delivering within the settle timeout after the lists were checked. */
  drained: boolean;
  notExact: number;
  differences: ListDifference[];
  counts: CallCounts;
  failure?: string;
}

const tallyOf = (byType: Record<string, number>, bytes: number): FrameTally => ({
  total: Object.values(byType).reduce((s, v) => s + v, 0),
  bytes,
  byType,
});

export const describeDifferences = (ds: ListDifference[]): string =>
  ds
    .map(
      (d) =>
        `client #${d.client} (${d.name ?? 'unnamed'}): ${d.hasList ? `${d.size} names` : 'no list yet'}, ` +
        `${d.missingCount} missing [${d.missing.join(', ')}], ${d.extraCount} extra [${d.extra.join(', ')}]` +
        (d.droppedLists ? `, ${d.droppedLists} paged lists dropped out of sequence` : ''),
    )
    .join('; ');

/** Differences of the counters, key by key (the stack's counters only grow during a stage). */
function countsSince(after: CallCounts, before: CallCounts): CallCounts {
  const sub = (a: Record<string, number>, b: Record<string, number>) =>
    Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v - (b[k] ?? 0)]));
  const out = { ...after } as Record<string, unknown>;
  for (const [k, v] of Object.entries(after)) {
    const b = (before as unknown as Record<string, unknown>)[k];
    out[k] =
      typeof v === 'number'
        ? v - (b as number)
        : sub(v as Record<string, number>, b as Record<string, number>);
  }
  return out as unknown as CallCounts;
}

/**
 * `clients` fresh connections (the stack must have no other named member) set distinct names all
 * at once; then every list must become exactly the acknowledged names.
 */
export async function runJoinBurst(
  stack: BenchStack,
  pool: ClientPool,
  o: {
    clients: number;
    inFlight: number;
    concurrency: number;
    settleTimeoutMs: number;
    ackTimeoutMs: number;
  },
): Promise<JoinResult> {
  const t0 = wallClockMs();
  const opened = await pool.open({
    url: stack.webSocketUrl,
    count: o.clients,
    names: Array.from({ length: o.clients }, () => null),
    concurrency: o.concurrency,
  });
  if (opened.failed > 0)
    throw new Error(`${opened.failed} of ${o.clients} clients failed to connect: ${opened.firstError}`);
  const connectMs = wallClockMs() - t0;
  const indices = Array.from({ length: o.clients }, (_, i) => opened.total - o.clients + i);
  const names = indices.map((_, i) => `joiner${i}`);
  await stack.drain();
  const before = stack.counts();
  const burst = await pool.joinBurst({
    clients: indices,
    names,
    others: [],
    inFlight: o.inFlight,
    ackTimeoutMs: o.ackTimeoutMs,
    settleTimeoutMs: o.settleTimeoutMs,
    logMembersFrames: false,
  });
  // Late frames (a stale list, a delta after the lists were exact) must not undo it: the watch goes
  // on until the stack has nothing left to deliver and no frame came for a while.
  const drained = await drainWithin(stack, o.settleTimeoutMs);
  await pool.quiet(2000, o.settleTimeoutMs);
  const check = await pool.checkMembers({ clients: indices, names });
  const counts = countsSince(stack.counts(), before);
  const problem = joinFailure(burst, o.settleTimeoutMs, check.notExact, check.differences);
  // What the stack said about it: failed invocations, gateway timeouts, function errors.
  // Function errors and failed invocations first; gateway lines (closes, timeouts) only without them.
  const errors = problem
    ? stack.recentLogs((line) => /"level":"ERROR"/.test(line) || line.startsWith('INVOCATION'), 5)
    : [];
  const logs =
    problem && errors.length === 0 ? stack.recentLogs((line) => line.startsWith('GATEWAY'), 3) : errors;
  const failure = problem && logs.length ? `${problem} Stack log lines: ${logs.join(' || ')}` : problem;
  return {
    clients: o.clients,
    inFlight: o.inFlight,
    target: JOIN_TARGET,
    connectMs,
    acknowledged: burst.acknowledged,
    gatewayTimeouts: burst.gatewayTimeouts,
    joinMs: burst.lastAckAt - burst.firstSendAt,
    ...(burst.exactAt !== undefined ? { firstExactMs: burst.exactAt - burst.lastAckAt } : {}),
    ...(check.exactSince !== undefined && burst.exactAt !== undefined
      ? { settleMs: check.exactSince - burst.lastAckAt, totalMs: check.exactSince - burst.firstSendAt }
      : {}),
    regressions: check.regressions,
    settleTimeoutMs: o.settleTimeoutMs,
    frames: tallyOf(burst.framesByType, burst.bytes),
    framesWhenQuiet: tallyOf(check.framesByType, check.bytes),
    exactWhenQuiet: check.notExact === 0,
    drained,
    notExact: burst.exactAt === undefined ? burst.notExact : check.notExact,
    differences: burst.exactAt === undefined ? burst.differences : check.differences,
    counts,
    ...(failure ? { failure } : {}),
  };
}

/** The stack's drain, bounded: O(N^2) presence frames could keep it busy for an hour. */
async function drainWithin(stack: BenchStack, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([stack.drain().then(() => true as const), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

function joinFailure(
  burst: JoinBurstReply,
  settleTimeoutMs: number,
  notExactWhenQuiet: number,
  quietDifferences: ListDifference[],
): string | undefined {
  if (burst.failed > 0)
    return `${burst.failed} of ${burst.requested} setName requests failed: ${burst.firstError}`;
  if (burst.exactAt === undefined)
    return (
      `${burst.notExact} of ${burst.requested} members lists were not exact ${settleTimeoutMs / 1000} s after the last acknowledgement: ` +
      describeDifferences(burst.differences)
    );
  if (notExactWhenQuiet > 0)
    return (
      `every list was exact once, but ${notExactWhenQuiet} were not any more when the stack was quiet: ` +
      describeDifferences(quietDifferences)
    );
  return undefined;
}

// ---------------------------------------------------------------------------------------------

export interface MembersAtScaleResult {
  seeded: number;
  seedMs: number;
  seedCalls: number;
  /** setName -> its acknowledgement. */
  ackMs: number;
  /** setName -> the last page of a list that is exact (undefined: never). */
  lastPageMs?: number;
  pages: number;
  /** Pages of the list that made the joiner's list exact (the last complete one). */
  listPages: number;
  bytesPerPage: { min: number; median: number; max: number };
  overLimit: number;
  names: number;
  exact: boolean;
  differences: ListDifference[];
  counts: CallCounts;
  failure?: string;
}

/**
 * `members` named members seeded into the table, then one real client joins: its list must be
 * all of them and itself, in pages each under the frame limit.
 */
export async function runMembersAtScale(
  stack: BenchStack,
  pool: ClientPool,
  o: { members: number; timeoutMs: number; onProgress?: (written: number) => void },
): Promise<MembersAtScaleResult> {
  const raw = stack.raw;
  const tableName = raw.model.outputs.ChatTableName;
  if (!tableName) throw new Error('template.yaml has no ChatTableName output');
  const dynamoDb = new DynamoDBClient({
    endpoint: raw.dynamoDbEndpoint,
    region: raw.model.region,
    // dynalite's own address: it takes any credentials.
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  const document = DynamoDBDocumentClient.from(dynamoDb);
  const seedStart = wallClockMs();
  let seed: { calls: number; items: number };
  try {
    seed = await seedMembers(document, tableName, o.members, {
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    });
  } finally {
    document.destroy();
    dynamoDb.destroy();
  }
  const seedMs = wallClockMs() - seedStart;

  const opened = await pool.open({ url: stack.webSocketUrl, count: 1, names: [null], concurrency: 1 });
  if (opened.failed > 0) throw new Error(`the joiner failed to connect: ${opened.firstError}`);
  const me = opened.total - 1;
  const before = stack.counts();
  const others = Array.from({ length: o.members }, (_, i) => seededName(i));
  const burst = await pool.joinBurst({
    clients: [me],
    names: ['zzjoiner'],
    others,
    inFlight: 0,
    ackTimeoutMs: o.timeoutMs,
    settleTimeoutMs: o.timeoutMs,
    logMembersFrames: true,
  });
  await stack.drain();
  // Ends the client's watch, and sees that nothing delivered after the last page undid the list.
  const check = await pool.checkMembers({ clients: [me], names: [...others, 'zzjoiner'] });
  const counts = countsSince(stack.counts(), before);
  const frames = burst.membersFrames;
  const sizes = frames.map((f) => f.bytes).sort((a, b) => a - b);
  // The list that completed it: the frames from the last page 1 (or unpaged frame) on.
  let lastStart = -1;
  frames.forEach((f, i) => {
    if (f.page === undefined || f.page === 1) lastStart = i;
  });
  const listFrames = lastStart >= 0 ? frames.slice(lastStart) : [];
  const overLimit = sizes.filter((s) => s > FRAME_LIMIT_BYTES).length;
  const exact = burst.exactAt !== undefined;
  const failure =
    burst.failed > 0
      ? `setName failed: ${burst.firstError}`
      : !exact
        ? `the joiner's list was not exact ${o.timeoutMs / 1000} s after its acknowledgement (${frames.length} members frames received): ${describeDifferences(burst.differences)}`
        : overLimit > 0
          ? `${overLimit} members frames were over ${FRAME_LIMIT_BYTES} bytes`
          : check.notExact > 0
            ? `the joiner's list was exact, then undone by a later frame: ${describeDifferences(check.differences)}`
            : undefined;
  return {
    seeded: o.members,
    seedMs,
    seedCalls: seed.calls,
    ackMs: burst.lastAckAt - burst.firstSendAt,
    // exactAt is the arrival of the frame that made the list exact: its last page.
    ...(burst.exactAt !== undefined ? { lastPageMs: burst.exactAt - burst.firstSendAt } : {}),
    pages: frames.length,
    listPages: listFrames.length,
    bytesPerPage: {
      min: sizes[0] ?? 0,
      median: sizes[Math.floor(sizes.length / 2)] ?? 0,
      max: sizes.at(-1) ?? 0,
    },
    overLimit,
    names: listFrames.reduce((s, f) => s + f.names, 0),
    exact,
    differences: burst.differences,
    counts,
    ...(failure ? { failure } : {}),
  };
}
