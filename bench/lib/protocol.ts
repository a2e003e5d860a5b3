/** Messages between the bench (parent) and its client process (bench/lib/client-process.ts). */

import type { DeliveryAnomaly, LedgerReport } from './ledger';
import type { LatencySummary } from './percentiles';

export interface OpenRequest {
  op: 'open';
  url: string;
  count: number;
  /** Name for each new client, or null to leave it unnamed (unnamed clients cause no join broadcast). */
  names: (string | null)[];
  concurrency: number;
}
export interface OpenReply {
  op: 'opened';
  opened: number;
  failed: number;
  named: number;
  total: number;
  connectMs: number;
  nameMs: number;
  firstError?: string;
}

export interface RunRequest {
  op: 'run';
  runId: string;
  messages: number;
  /** Client indices that send, round robin; empty when the parent triggers the messages itself. */
  senders: number[];
  /** Gap between two sends across all senders (the steady total rate is 1000 / intervalMs). */
  intervalMs: number;
  payloadBytes: number;
  /** Give up when no new bench frame arrived for this long after the last send. */
  idleTimeoutMs: number;
  hardTimeoutMs: number;
}
export interface MessageTiming {
  sentAt?: number;
  firstAt?: number;
  lastAt?: number;
  recipients: number;
  id?: string;
}
export interface AnomalyDetail extends DeliveryAnomaly {
  token: string;
  messageId?: string;
  duplicateIds?: string[];
  messageReachedRecipients: number;
  recipientName: string | null;
  recipientState: string;
  recipientCloseCode?: number;
  recipientCloseReason?: string;
  recipientFrames: number;
  recipientLastFrameType?: string;
  recipientErrors: string[];
}
export interface RunReply {
  op: 'ran';
  runId: string;
  ledger: LedgerReport;
  latency: LatencySummary;
  firstSendAt?: number;
  lastSendAt?: number;
  lastDeliveryAt?: number;
  /** Delivered first copies per second, first send (or first delivery) to last delivery. */
  framesPerSecond: number;
  timings: MessageTiming[];
  firstLost?: AnomalyDetail;
  firstDuplicate?: AnomalyDetail;
  timedOut: boolean;
  otherFrames: Record<string, number>;
}

export interface QuietRequest {
  op: 'quiet';
  quietMs: number;
  hardTimeoutMs: number;
}
export interface QuietReply {
  op: 'quieted';
  waitedMs: number;
  framesByType: Record<string, number>;
}
export interface CloseRequest {
  op: 'close';
}
export interface CloseReply {
  op: 'closed';
  closed: number;
  closeMs: number;
}
/** Sends one raw frame from one client (single chat actions for the cost counts). */
export interface SendRequest {
  op: 'send';
  client: number;
  data: string;
}
/** Closes one client and removes it from the pool; later clients move down one index. */
export interface CloseOneRequest {
  op: 'closeOne';
  client: number;
}
/**
 * Names the given clients all at once (a burst), then waits until every connection's members list
 * (built from `members` pages and `presence` deltas, members-model.ts) is exactly the names the
 * server acknowledged plus `others` (names already in the room, e.g. seeded ones).
 */
export interface JoinBurstRequest {
  op: 'joinBurst';
  clients: number[];
  names: string[];
  others: string[];
  /** setName requests waiting for their answer at once; 0 = all of them (a burst). */
  inFlight: number;
  /** Per setName: how long to wait for its acknowledgement. */
  ackTimeoutMs: number;
  /** From the last acknowledgement: how long every list may take to become exact. */
  settleTimeoutMs: number;
  /** Return every `members` frame the clients received (bytes, page, names), for a single joiner. */
  logMembersFrames: boolean;
}
export interface MembersFrameLog {
  client: number;
  at: number;
  bytes: number;
  names: number;
  page?: number;
  pages?: number;
}
export interface ListDifference {
  client: number;
  name: string | null;
  hasList: boolean;
  size: number;
  missing: string[];
  extra: string[];
  missingCount: number;
  extraCount: number;
  droppedLists: number;
}
export interface JoinBurstReply {
  op: 'joinBurst';
  requested: number;
  acknowledged: number;
  failed: number;
  /** setName calls API Gateway answered "Endpoint request timed out" before their `name` frame came. */
  gatewayTimeouts: number;
  firstError?: string;
  firstSendAt: number;
  lastAckAt: number;
  /** When every list was first exact at once; absent when that did not happen in time. */
  exactAt?: number;
  /** Clients whose list was not exact at the end (first few of them described). */
  notExact: number;
  differences: ListDifference[];
  /** Frames received by these clients, by type, from the first setName until exactAt (or the timeout). */
  framesByType: Record<string, number>;
  /** Bytes of those frames. */
  bytes: number;
  membersFrames: MembersFrameLog[];
}
/** Ends the burst's watch: are the lists still exact, and since when (a stale list may undo one)? */
export interface CheckMembersRequest {
  op: 'checkMembers';
  clients: number[];
  names: string[];
}
export interface CheckMembersReply {
  op: 'checkMembers';
  notExact: number;
  /** Since when every list has been exact without a break (absent: not exact now). */
  exactSince?: number;
  /** Times, after every list had been exact, a frame made one inexact again. */
  regressions: number;
  differences: ListDifference[];
  /** Frames these clients received since the first setName of the last burst, by type. */
  framesByType: Record<string, number>;
  bytes: number;
}
export interface ClockRequest {
  op: 'clock';
}
export interface ClockReply {
  op: 'clock';
  now: number;
}

export type ChildRequest =
  | OpenRequest
  | RunRequest
  | QuietRequest
  | CloseRequest
  | ClockRequest
  | SendRequest
  | CloseOneRequest
  | JoinBurstRequest
  | CheckMembersRequest;
export type ChildReply =
  | OpenReply
  | RunReply
  | QuietReply
  | CloseReply
  | ClockReply
  | JoinBurstReply
  | CheckMembersReply
  | { op: 'armed' }
  | { op: 'sent' }
  | { op: 'error'; message: string };

/** The text of bench message m of run runId, padded to about payloadBytes. */
export function benchText(runId: string, m: number, payloadBytes: number): string {
  const head = `bench-${runId}-${m}`;
  const pad = Math.max(0, payloadBytes - head.length - 1);
  return pad > 0 ? `${head} ${'x'.repeat(pad)}` : head;
}

/** Parses a bench text back to its run id and message number; undefined for any other text. */
export function parseBenchText(text: unknown): { runId: string; m: number } | undefined {
  if (typeof text !== 'string' || !text.startsWith('bench-')) return undefined;
  const head = text.split(' ', 1)[0] as string;
  const dash = head.lastIndexOf('-');
  const runId = head.slice(6, dash);
  const m = Number(head.slice(dash + 1));
  return Number.isInteger(m) && runId ? { runId, m } : undefined;
}

/** A public frame as the backend sends it (docs/protocol.md); the naive baseline and the floor send the same. */
export function publicFrame(id: string, from: string, text: string): string {
  return JSON.stringify({
    type: 'public',
    publicMessage: `${from}: ${text}`,
    id,
    ts: Date.now(),
    from,
    text,
  });
}
