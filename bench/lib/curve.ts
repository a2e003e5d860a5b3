/**
 * The frames/s curve: the same audience offered more and more deliveries per second, step by
 * step, until the stack stops keeping up. Each step reports what was offered, what was delivered
 * and the latency percentiles; the curve names the highest delivered frames/s whose p99 stayed
 * under a limit (100 ms by default).
 */
import type { ClientPool } from './client-pool';
import type { LatencySummary } from './percentiles';
import {
  type ConnectResult,
  type DeliveryFailure,
  NAME_PREFIX,
  openClients,
  runAccounted,
} from './scenarios';
import type { BenchStack } from './stack-adapter';

export interface CurveOptions {
  /** Connections that receive every message (the first `named` of them set a name). */
  clients: number;
  /** Clients already open in the pool from an earlier run on the same stack. */
  alreadyConnected: number;
  named: number;
  /** Offered deliveries per second, one step each, ascending. */
  loads: number[];
  secondsPerStep: number;
  payloadBytes: number;
  concurrency: number;
  /** The p99 a step must stay under to count as sustained. */
  p99LimitMs: number;
  /** No further steps once one step's p99 is above this, even if it kept up (a guard for busy machines). */
  stopAboveP99Ms: number;
  /** Called after each step (progress lines while the curve runs). */
  onStep?: (step: CurveStep) => void;
}

export interface CurveStep {
  offeredFramesPerSecond: number;
  /** What the client process actually sent: its send loop can fall behind on a busy machine. */
  sentFramesPerSecond: number;
  deliveredFramesPerSecond: number;
  messagesPerSecond: number;
  messages: number;
  expectedDeliveries: number;
  delivered: number;
  lost: number;
  duplicated: number;
  latencyMs: LatencySummary;
  failure?: DeliveryFailure;
}

export interface CurveResult {
  options: Omit<CurveOptions, 'onStep'>;
  senders: number;
  connect?: ConnectResult;
  steps: CurveStep[];
  /** Highest delivered frames/s of a step with p99 under the limit; null when no step made it. */
  sustainedFramesPerSecond: number | null;
  /** Highest delivered frames/s of any step, whatever its latency: where the stack saturates. */
  peakDeliveredFramesPerSecond: number;
  /** Why the curve ended before its last offered load, if it did. */
  stoppedEarly?: string;
}

/** Highest delivered frames/s among the steps whose p99 stayed under `p99LimitMs` (loss-free steps only). */
export function sustainedFramesPerSecond(
  steps: readonly Pick<CurveStep, 'deliveredFramesPerSecond' | 'latencyMs' | 'lost'>[],
  p99LimitMs: number,
): number | null {
  let best: number | null = null;
  for (const s of steps) {
    if (s.lost > 0 || !(s.latencyMs.p99 < p99LimitMs)) continue;
    if (best === null || s.deliveredFramesPerSecond > best) best = s.deliveredFramesPerSecond;
  }
  return best;
}

/** Below this share of the sent frames/s delivered, a queue grows: the stack is saturated. */
export const SATURATED_BELOW = 0.8;

/**
 * Why the curve should stop after `step`, or undefined to go on. Past saturation every further
 * step only grows a queue (and takes as long to drain as it does to deliver), so one saturated
 * step is enough to show the knee. A slow step that still kept up is not saturation: the curve
 * goes on unless its p99 passed `stopAboveP99Ms`.
 */
export function stopReason(
  step: Pick<
    CurveStep,
    | 'latencyMs'
    | 'lost'
    | 'duplicated'
    | 'offeredFramesPerSecond'
    | 'sentFramesPerSecond'
    | 'deliveredFramesPerSecond'
  >,
  stopAboveP99Ms: number,
): string | undefined {
  const at = `at ${Math.round(step.offeredFramesPerSecond)} offered frames/s`;
  if (step.lost > 0 || step.duplicated > 0) return `frames were lost or duplicated ${at}`;
  if (step.deliveredFramesPerSecond < SATURATED_BELOW * step.sentFramesPerSecond)
    return `saturated ${at}: ${Math.round(step.deliveredFramesPerSecond)} delivered of ${Math.round(step.sentFramesPerSecond)} sent frames/s`;
  if (step.latencyMs.p99 > stopAboveP99Ms)
    return `p99 ${Math.round(step.latencyMs.p99)} ms above ${stopAboveP99Ms} ms ${at}`;
  return undefined;
}

export async function runCurve(stack: BenchStack, pool: ClientPool, o: CurveOptions): Promise<CurveResult> {
  if (o.alreadyConnected > o.clients) {
    throw new Error(
      `the curve needs exactly ${o.clients} connections, but ${o.alreadyConnected} are already open (run it before the audience grows)`,
    );
  }
  const named = Math.min(o.named, o.clients);
  let connect: ConnectResult | undefined;
  if (o.alreadyConnected < o.clients) {
    const names = Array.from({ length: o.clients - o.alreadyConnected }, (_, i) =>
      o.alreadyConnected + i < named ? `${NAME_PREFIX}${o.alreadyConnected + i}` : null,
    );
    connect = await openClients(stack, pool, o.clients - o.alreadyConnected, names, o.concurrency);
  }
  // Every named client sends, round robin, so that no connection comes near its sendPublic rate
  // limit (template PublicMessagesPerSecond) before the stack saturates.
  const senders = Array.from({ length: Math.max(1, named) }, (_, i) => i);
  const steps: CurveStep[] = [];
  let stoppedEarly: string | undefined;
  for (const load of o.loads) {
    const messagesPerSecond = load / o.clients;
    const messages = Math.max(2, Math.round(messagesPerSecond * o.secondsPerStep));
    const { reply, deliveries, failure } = await runAccounted(stack, pool, {
      runId: `curve${Math.round(load)}`,
      messages,
      senders,
      intervalMs: 1000 / messagesPerSecond,
      payloadBytes: o.payloadBytes,
      idleTimeoutMs: 20_000,
      hardTimeoutMs: 10 * 60_000,
    });
    const sendSpanMs =
      reply.firstSendAt !== undefined && reply.lastSendAt !== undefined
        ? reply.lastSendAt - reply.firstSendAt
        : 0;
    const step: CurveStep = {
      offeredFramesPerSecond: load,
      sentFramesPerSecond: sendSpanMs > 0 ? (((messages - 1) * o.clients) / sendSpanMs) * 1000 : load,
      deliveredFramesPerSecond: reply.framesPerSecond,
      messagesPerSecond,
      messages,
      ...deliveries,
      latencyMs: reply.latency,
      ...(failure ? { failure } : {}),
    };
    steps.push(step);
    o.onStep?.(step);
    stoppedEarly = stopReason(step, o.stopAboveP99Ms);
    if (stoppedEarly) break;
    // Let the last step's stragglers and the stack's queues clear before the next step starts.
    await stack.drain();
  }
  if (stoppedEarly && steps.length === o.loads.length) stoppedEarly = undefined;
  const { onStep: _, ...options } = o;
  return {
    options,
    senders: senders.length,
    ...(connect ? { connect } : {}),
    steps,
    sustainedFramesPerSecond: sustainedFramesPerSecond(steps, o.p99LimitMs),
    peakDeliveredFramesPerSecond: Math.max(0, ...steps.map((s) => s.deliveredFramesPerSecond)),
    ...(stoppedEarly ? { stoppedEarly } : {}),
  };
}
