// Run as a child process by stop-in-flight.test.ts: starts the fixture stack, puts every kind of
// work in flight (a $disconnect storm, EventBridge deliveries, failing async invocations waiting
// for their retries, invocations still arriving while it stops), stops it, and then just returns.
// The process must exit by itself: anything the stack left behind (a worker thread, a socket, a
// timer) keeps it alive and the parent test fails on its time bound.
import type { InvokeResult } from '../../../local/lambda';
import { startLocalStack } from '../../../local/stack';
import { FIXTURE_TEMPLATE, TestClient, waitFor } from './helpers';

const CLIENTS = 30;
const PUBLISHERS = 4;

const count = (list: string[]): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const name of list) counts[name] = (counts[name] ?? 0) + 1;
  return counts;
};

async function main(): Promise<void> {
  const stack = await startLocalStack({
    templatePath: FIXTURE_TEMPLATE,
    port: 0,
    // Kept by the parent until this process has exited: a worker that outlived the stop would
    // otherwise sometimes die on its deleted bundle instead of hanging, hiding the leak.
    buildDir: process.env.STOP_TEST_BUILD_DIR,
    // Short delays so retries are scheduled (not yet due) when the stack stops.
    asyncRetryDelaysMs: [200, 400],
    eventRetryDelaysMs: [200, 400],
  });
  const clients = await Promise.all(
    Array.from({ length: CLIENTS }, () => TestClient.open(stack.webSocketUrl())),
  );
  // Every client echoes; a few publish, and every other publish makes the listener throw (async
  // retries, then the DLQ). Few enough that the listener has free environments at the stop.
  clients.forEach((client, i) => {
    client.send({ action: 'echo' });
    if (i < PUBLISHERS) client.send({ action: 'publish', text: `message ${i}`, fail: i % 2 === 0 });
  });
  // Wait for some of it to reach Lambda, not all: the rest is still in flight at the stop.
  const deadline = Date.now() + 30_000;
  while (stack.stats().lambda.asyncInvocations === 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  // Every client leaves: a $disconnect each, invoked while the stack stops. Once the gateway has
  // seen every close, stopping it takes no I/O, so the stack reaches Lambda's close() within the
  // same few microtasks as the arrivals below.
  await Promise.all(clients.map((client) => client.close()));
  await waitFor(() => stack.stats().gateway.openConnections === 0);
  const atStop = stack.stats();

  // Work keeps arriving while it stops. An event is published just before: its delivery is still
  // scheduled, so EventBridge's drain() resolves only when stop() closes EventBridge, the step
  // right before Lambda's close(); whoever waited on it invokes a function at that very moment.
  // (Any idle environment of the function is busy with the arrivals below by then.)
  // Other invocations arrive on every turn of the event loop until the stop is over, as
  // deliveries and routes would.
  const arriving: Promise<InvokeResult>[] = [];
  const invoke = (): void => {
    arriving.push(stack.lambda.invoke('ListenerFunction', { 'detail-type': 'Echo', detail: {} }));
  };
  const bus = stack.model.eventBuses.find((candidate) => candidate.name !== 'default')?.name;
  stack.eventBridge.putEvents([
    {
      EventBusName: bus,
      Source: 'fixture.echo',
      DetailType: 'Echo',
      Detail: JSON.stringify({ text: 'late' }),
    },
  ]);
  // Several, so that some find no idle environment and start one.
  const eventsDrained = stack.eventBridge.drain().then(() => {
    for (let i = 0; i < 6; i++) invoke();
  });
  let stopped = false;
  const stopping = stack.stop().then(() => {
    stopped = true;
  });
  const everyTurn = (): void => {
    invoke();
    if (!stopped) setImmediate(everyTurn);
  };
  everyTurn();
  await eventsDrained;
  await stopping;
  const results = await Promise.all(arriving);
  // Closed servers and sockets release their handles in the event loop's close phase, just after
  // their close callbacks: sample the resources on a later turn.
  await new Promise((resolve) => setTimeout(resolve, 0));

  process.stdout.write(
    `${JSON.stringify({
      stopped: true,
      clients: CLIENTS,
      connectionsClosedAtStop: atStop.gateway.connectionsClosed,
      asyncInvocationsAtStop: atStop.lambda.asyncInvocations,
      arrivedDuringStop: results.length,
      cutShortByStop: results.filter((r) => !r.ok && r.report.outcome === 'crash').length,
      succeededAfterStop: results.filter((r) => r.ok).length,
      environmentsAfterStop: stack.stats().lambda.environments,
      resourcesAfterStop: count(process.getActiveResourcesInfo()),
    })}\n`,
  );
  // Nothing else: no process.exit(), the event loop must empty by itself.
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 2;
});
