import { createHash } from 'node:crypto';
import type { FaultOptions } from '../../../local/faults';
import { AWS_ASYNC_RETRY_DELAYS_MS, type InvocationReport } from '../../../local/lambda';
import { type LocalStack, startLocalStack } from '../../../local/stack';
import { loadStack } from '../../../local/template';
import { type StackClients, stackClients } from '../helpers/aws';
import { ChatClient, settle } from '../helpers/chat-client';
import {
  account,
  type DeadChatEvent,
  inProgressRecords,
  internalErrors,
  pairsOf,
  queueMessages,
  sendAll,
  shardsOf,
} from '../helpers/fault-accounting';

// Starting the stack builds the functions; cold starts take seconds on a busy 2-core box.
jest.setTimeout(180_000);

/**
 * A broadcaster invocation that dies (crash or timeout) after Powertools saved its INPROGRESS record
 * leaves that record behind, locked until its `in_progress_expiration`: the invocation's deadline
 * (start + remaining time, i.e. the function's Timeout). Lambda retries the event 1 minute after the
 * failure, then 2 minutes after that (AWS_ASYNC_RETRY_DELAYS_MS). If the lock outlived the retry, the
 * retry would be refused (IdempotencyAlreadyInProgressError) and, after the last one, the event
 * dead-lettered: its recipients would miss the message. The template keeps the broadcaster's Timeout
 * (BroadcasterTimeoutSeconds, 30 s) well under the first retry delay, so the retry finds the lock
 * expired and delivers the whole event again: the recipients it had not reached get the message, the
 * ones it had get a second copy with the same `id` (documented; clients drop it).
 *
 * AWS's timeline is reproduced shrunk, both sides by one factor: the Timeout (the lock) becomes
 * TEST_TIMEOUT_S, and Lambda's retry delays shrink in the same ratio as the deployed Timeout does.
 */
const TEST_TIMEOUT_S = 5;
const NAMES = ['ada', 'bob', 'cyd', 'dee', 'eve'];

const shares: FaultOptions = { lambdaFaultFunctions: ['BroadcasterFunction'] };
const faultsOff = () => {
  shares.lambdaCrash = 0;
  shares.lambdaTimeout = 0;
};

let stack: LocalStack;
let aws: StackClients;
let clients: ChatClient[];
let retryDelaysMs: number[];
const reports: InvocationReport[] = [];

beforeAll(async () => {
  faultsOff();
  const deployed = await loadStack('template.yaml');
  const deployedTimeoutS = deployed.functions.find((fn) => fn.logicalId === 'BroadcasterFunction')
    ?.timeoutSeconds as number;
  const scale = TEST_TIMEOUT_S / deployedTimeoutS;
  retryDelaysMs = AWS_ASYNC_RETRY_DELAYS_MS.map((ms) => Math.round(ms * scale));
  stack = await startLocalStack({
    templatePath: 'template.yaml',
    port: 0,
    ttlSweepIntervalMs: 0,
    parameterOverrides: { BroadcasterTimeoutSeconds: String(TEST_TIMEOUT_S) },
    // Every post takes a while, so a Lambda fault some ms into the handler lands mid fan-out.
    callbackLatencyMs: 20,
    asyncRetryDelaysMs: retryDelaysMs,
    eventRetryDelaysMs: [100, 200, 400],
    faults: shares,
    log: { invocation: (report) => void reports.push(report) },
  });
  aws = stackClients(stack);
  clients = await Promise.all(NAMES.map((name) => ChatClient.connect(stack.webSocketUrl(), name)));
  for (const [i, client] of clients.entries()) {
    expect(await client.setName(NAMES[i])).toEqual({ type: 'name', name: NAMES[i] });
  }
  await settle(stack, clients);
});

afterAll(async () => {
  faultsOff();
  for (const client of clients ?? []) client.ws.terminate();
  aws?.destroy();
  await stack?.stop();
});

beforeEach(() => {
  faultsOff();
  stack.resetStats();
  reports.length = 0;
});

/** Powertools' idempotency key hash (md5, base64, of the JSON of the key's value). */
const idempotencyHashOf = (eventId: string): string =>
  createHash('md5').update(JSON.stringify(eventId)).digest('base64');

async function dyingBroadcasts(fault: Partial<FaultOptions>, tag: string) {
  const shards = await shardsOf(stack, aws, NAMES);
  const marks = clients.map((client) => client.mark());
  const earlierLocks = new Set((await inProgressRecords(stack, aws)).map((lock) => lock.id));
  Object.assign(shares, fault);
  // One broadcaster invocation per message (a small room is one event): 20 rolls at a 0.4 share
  // leave a run with no fault struck at 0.6^20, about 4 in 100,000.
  const texts = await sendAll(clients, 4, tag);
  // Event-driven: every retry has run (the stack is quiet) and every client read what was posted.
  await settle(stack, clients);
  faultsOff();
  const dead = (await queueMessages(stack, aws, 'BroadcasterDeadLetterQueueName')) as DeadChatEvent[];
  const locks = (await inProgressRecords(stack, aws)).filter((lock) => !earlierLocks.has(lock.id));
  return {
    stats: stack.stats(),
    ledger: account(clients, texts),
    dead,
    eventDelivery: await queueMessages(stack, aws, 'EventDeliveryDeadLetterQueueName'),
    locks,
    shards,
    failedSenders: internalErrors(clients, marks),
  };
}

function expectRetriesToDeliver(result: Awaited<ReturnType<typeof dyingBroadcasts>>, faultsStruck: number) {
  const { ledger, dead, locks, shards, stats, failedSenders, eventDelivery } = result;
  // The API side is not touched by these faults: every message was published.
  expect(failedSenders).toEqual([]);
  expect(stats.eventBridge.failedEntries).toBe(0);
  expect(stats.lambda.asyncRetries).toBeGreaterThan(0);
  // No retry met the lock of an invocation that had died: each found it expired and delivered.
  const refused = reports
    .filter((report) => report.errorType === 'IdempotencyAlreadyInProgressError')
    .map((report) => `attempt ${report.attempt}: ${report.errorMessage}`);
  expect(refused).toEqual([]);
  // Lambda gives up on an event only after 3 failed attempts, each one an injected fault: the
  // events dead-lettered (if any) are those struck 3 times, never one struck once.
  expect(dead.length * 3).toBeLessThanOrEqual(faultsStruck);
  expect(stats.lambda.deadLetters).toBe(dead.length);
  // Nothing else is lost: the only missing pairs are those of events struck on every attempt (and
  // not all of theirs: an attempt may have reached some recipients before it died).
  const deadPairs = pairsOf(dead, shards);
  expect(ledger.lost.filter((pair) => !deadPairs.includes(pair))).toEqual([]);
  // A retry re-posts to whoever the dead attempt had reached: the documented duplicate, same id,
  // at most one extra copy per failed attempt.
  expect(ledger.idMismatch).toEqual([]);
  for (const { copies } of ledger.duplicated) expect(copies).toBeLessThanOrEqual(3);
  expect(eventDelivery).toEqual([]);
  // A lock still held belongs to a dead-lettered event (its last attempt died holding it).
  // The broadcaster's key: a part's `detail.audience.key`, else the envelope id.
  const deadKeys = dead.map((event) =>
    idempotencyHashOf(event.detail.audience.kind === 'range' ? event.detail.audience.key : event.id),
  );
  for (const lock of locks) expect(deadKeys).toContain(String(lock.id).split('#')[1]);
  for (const lock of locks) {
    // The lock lasts the invocation's remaining time from its start: at most the Timeout, which is
    // `expiration` (seconds) minus the 2 h record lifetime.
    const startedMs = (Number(lock.expiration) - 2 * 60 * 60) * 1000;
    expect(Number(lock.in_progress_expiration) - startedMs).toBeLessThanOrEqual(TEST_TIMEOUT_S * 1000 + 1000);
  }
}

describe('a broadcaster environment killed in the middle of a fan-out, on AWS timing', () => {
  it("is retried after its lock expired: every member gets every message, a crash's re-posts have the same id", async () => {
    expect(retryDelaysMs[0]).toBeGreaterThan(TEST_TIMEOUT_S * 1000);
    const result = await dyingBroadcasts({ lambdaCrash: 0.4, lambdaFaultAfterMs: 40 }, 'crash');

    expect(result.stats.faults.lambdaCrashes).toBeGreaterThan(0);
    // Real timeouts (a loaded machine, the short test Timeout) are failures retried the same way.
    expectRetriesToDeliver(result, result.stats.faults.lambdaCrashes + result.stats.lambda.timeouts);
  });
});

describe('a broadcaster invocation timing out (Sandbox.Timedout), on AWS timing', () => {
  it('is retried after its lock expired: every member gets every message', async () => {
    const result = await dyingBroadcasts({ lambdaTimeout: 0.4, lambdaFaultAfterMs: 40 }, 'timeout');

    expect(result.stats.faults.lambdaTimeouts).toBeGreaterThan(0);
    // Injected ones, and real ones on a loaded machine: all are retried alike.
    expect(result.stats.lambda.timeouts).toBeGreaterThan(0);
    expectRetriesToDeliver(result, result.stats.lambda.timeouts);
  });
});
