import {
  type DeliveryContext,
  EventBridgeService,
  type EventBridgeServiceOptions,
} from '../../../../local/eventbridge';

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';

const model: EventBridgeServiceOptions['model'] = {
  region: REGION,
  accountId: ACCOUNT,
  eventBuses: [{ name: 'default', arn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default` }],
  rules: [
    {
      logicalId: 'All',
      name: 'all',
      eventBusName: 'default',
      state: 'ENABLED',
      eventPattern: { source: ['app'] },
      targets: [
        {
          id: 'fn',
          arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:Target`,
          functionLogicalId: 'Target',
          retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeSeconds: 86_400 },
        },
      ],
    },
  ],
};

/** The service with its Lambda target recording what it is handed, in arrival order. */
function harness(delivery?: EventBridgeServiceOptions['delivery']) {
  const received: { id: string; n: number }[] = [];
  const service = new EventBridgeService({
    model,
    delivery,
    invokeFunction: (_fn, event: unknown, _context: DeliveryContext) => {
      const envelope = event as { id: string; detail: { n: number } };
      received.push({ id: envelope.id, n: envelope.detail.n });
    },
    sendToQueue: async () => undefined,
    onWarning: () => {},
  });
  const put = (count: number) =>
    service.putEvents(
      Array.from({ length: count }, (_, n) => ({
        Source: 'app',
        DetailType: 'thing',
        Detail: JSON.stringify({ n }),
      })),
    );
  return { service, received, put };
}

/** Plays back the given values, then repeats the last one. */
const scripted = (...values: number[]) => {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)] as number;
};

describe('EventBridge deliveries', () => {
  it('deliver each event once and in order by default', async () => {
    const h = harness();
    h.put(5);
    await h.service.drain();
    expect(h.received.map((r) => r.n)).toEqual([0, 1, 2, 3, 4]);
    expect(h.service.stats().duplicated).toBe(0);
  });

  it('deliver a share of events twice, with the same event id, when duplicates are asked for', async () => {
    // Each event rolls once for its duplicate: every second one is delivered twice.
    const h = harness({ duplicateShare: 0.5, random: scripted(0.1, 0.9, 0.1, 0.9) });
    const { Entries } = h.put(4);
    await h.service.drain();

    const ids = (Entries ?? []).map((entry) => entry.EventId as string);
    const count = (id: string) => h.received.filter((r) => r.id === id).length;
    expect(ids.map(count)).toEqual([2, 1, 2, 1]);
    expect(h.service.stats()).toMatchObject({ duplicated: 2, deliveries: 6 });
  });

  it('deliver out of order when a jitter is asked for', async () => {
    // Delays drawn per delivery: the first event waits longest, the last not at all.
    const h = harness({ jitterMs: 40, random: scripted(0.99, 0.5, 0) });
    h.put(3);
    await h.service.drain();
    expect(h.received.map((r) => r.n)).toEqual([2, 1, 0]);
  });
});
