import Subsegment from 'aws-xray-sdk-core/dist/lib/segments/attributes/subsegment';
import { type SegmentDocument, TraceStore } from '../../../../local/xray';

// Documents as they reach the local sink: the X-Ray SDK's subsegments exactly as a traced chat-api
// invocation sent them over UDP (captured from the local stack), and the local stack's own segments
// for the gateway and the function invocation.
const TRACE = '1-6b0cdddc-65e3aa4ed5dccc003af61954';

const gateway: SegmentDocument = {
  id: 'a1b2c3d4e5f60718',
  trace_id: TRACE,
  name: 'g2i23lrnus/production',
  origin: 'AWS::ApiGatewayV2::Stage',
  start_time: 1796005340.04,
  end_time: 1796005340.105,
  aws: { api_id: 'g2i23lrnus', stage: 'production', route_key: 'sendPublic', event_type: 'MESSAGE' },
  http: { response: { status: 200 } },
};

const invocation: SegmentDocument = {
  id: '0f1e2d3c4b5a6978',
  trace_id: TRACE,
  parent_id: gateway.id,
  name: 'local-ChatApiFunction-FKRKBSRBYDMH',
  origin: 'AWS::Lambda::Function',
  start_time: 1796005340.045,
  end_time: 1796005340.1,
  aws: { request_id: 'cfdf9f00-0000-4000-8000-000000000000', cold_start: false },
  subsegments: [
    { id: '13807e9fb9d2d097', name: 'Invocation', start_time: 1796005340.05, end_time: 1796005340.1 },
  ],
};

// Sent by the SDK as each one closed: the AWS calls before the handler subsegment enclosing them.
const sdk: SegmentDocument[] = [
  {
    id: '7c3d382cdc939935',
    name: 'DynamoDB',
    start_time: 1796005340.055,
    namespace: 'aws',
    aws: {
      operation: 'GetItem',
      region: 'us-east-1',
      retries: 1,
      consistent_read: true,
      table_name: 'ChatTable',
    },
    http: { response: { status: 200, content_length: 248 } },
    end_time: 1796005340.063,
    type: 'subsegment',
    parent_id: 'ffbc1bfdfb981237',
    trace_id: TRACE,
  },
  {
    id: '4856b04f76b05fb7',
    name: 'EventBridge',
    start_time: 1796005340.077,
    namespace: 'aws',
    aws: { operation: 'PutEvents', region: 'us-east-1', retries: 1 },
    http: { response: { status: 200, content_length: 238 } },
    end_time: 1796005340.09,
    type: 'subsegment',
    parent_id: 'ffbc1bfdfb981237',
    trace_id: TRACE,
  },
  {
    id: 'ffbc1bfdfb981237',
    name: '## handler.handler',
    start_time: 1796005340.051,
    annotations: { ColdStart: false, Service: 'chat', route: 'sendPublic' },
    metadata: { chat: { 'handler.handler response': { statusCode: 200 } } },
    end_time: 1796005340.099,
    type: 'subsegment',
    parent_id: '13807e9fb9d2d097',
    trace_id: TRACE,
  },
];

/** A subsegment closed with an error by the X-Ray SDK itself, serialised as it sends it. */
function sdkErrorSubsegment(parentId: string): SegmentDocument {
  const sub = new Subsegment('DynamoDB');
  sub.addAttribute('namespace', 'aws');
  const error = new Error('Throughput exceeds the current capacity of your table');
  error.name = 'ProvisionedThroughputExceededException';
  sub.close(error, true);
  return { ...JSON.parse(sub.format()), type: 'subsegment', parent_id: parentId, trace_id: TRACE };
}

describe('the trace store', () => {
  it('assembles gateway, invocation and SDK subsegments into one tree, whatever order they arrive in', () => {
    const store = new TraceStore();
    for (const doc of [...sdk, invocation, gateway]) store.add(doc);

    const trace = store.get(TRACE);
    const outline = (node: { name: string; children: { name: string; children: unknown[] }[] }): unknown => [
      node.name,
      node.children.map((child) => outline(child as never)),
    ];
    expect(trace?.roots.map((root) => outline(root))).toEqual([
      [
        'g2i23lrnus/production',
        [
          [
            'local-ChatApiFunction-FKRKBSRBYDMH',
            [
              [
                'Invocation',
                [
                  [
                    '## handler.handler',
                    [
                      ['DynamoDB', []],
                      ['EventBridge', []],
                    ],
                  ],
                ],
              ],
            ],
          ],
        ],
      ],
    ]);
    const handler = trace?.roots[0]?.children[0]?.children[0]?.children[0];
    expect(handler).toMatchObject({
      kind: 'subsegment',
      annotations: { route: 'sendPublic' },
      metadata: { chat: { 'handler.handler response': { statusCode: 200 } } },
    });
    expect(handler?.children[0]?.aws).toMatchObject({ operation: 'GetItem', table_name: 'ChatTable' });
  });

  it('lists a trace by what started it, with its duration, most recent first', () => {
    const store = new TraceStore();
    for (const doc of [...sdk, invocation, gateway]) store.add(doc);
    const later = '1-6b0cdddd-000000000000000000000001';
    store.add({
      ...gateway,
      id: 'b1b2c3d4e5f60718',
      trace_id: later,
      start_time: 1796005341,
      end_time: 1796005341.5,
    });

    expect(store.list()).toEqual([
      expect.objectContaining({ id: later, title: 'sendPublic', durationMs: 500 }),
      {
        id: TRACE,
        startMs: 1796005340040,
        durationMs: 65,
        root: 'g2i23lrnus/production',
        title: 'sendPublic',
        fault: false,
        error: false,
        documents: 6,
        dropped: 0,
      },
    ]);
  });

  it('names a trace by its first segment while the gateway segment has not arrived', () => {
    const store = new TraceStore();
    for (const doc of [...sdk, invocation]) store.add(doc);
    expect(store.list()[0]).toMatchObject({ root: 'local-ChatApiFunction-FKRKBSRBYDMH' });
  });

  it('flags a fault and keeps the exception with its stack, as the SDK records it', () => {
    const store = new TraceStore();
    for (const doc of [...sdk, invocation, gateway]) store.add(doc);
    store.add(sdkErrorSubsegment('ffbc1bfdfb981237'));

    expect(store.list()[0]).toMatchObject({ fault: true, error: false });
    const handler = store.get(TRACE)?.roots[0]?.children[0]?.children[0]?.children[0];
    const failed = handler?.children.find((child) => child.fault);
    const cause = failed?.cause as { exceptions: { type: string; message: string; stack: unknown[] }[] };
    expect(cause.exceptions[0]).toMatchObject({
      type: 'ProvisionedThroughputExceededException',
      message: 'Throughput exceeds the current capacity of your table',
    });
    expect(cause.exceptions[0]?.stack[0]).toEqual(
      expect.objectContaining({
        path: expect.stringContaining('trace-store.test.ts'),
        line: expect.any(Number),
      }),
    );
  });

  it('replaces an in-progress document with its closed form', () => {
    const store = new TraceStore();
    const { end_time: _end, ...open } = gateway;
    store.add({ ...open, in_progress: true });
    store.add(gateway);
    const trace = store.get(TRACE);
    expect(trace?.roots).toHaveLength(1);
    expect(trace?.roots[0]).not.toHaveProperty('in_progress');
    expect(trace?.documents).toBe(1);
  });

  it('keeps only the most recent traces, and a bounded number of documents per trace', () => {
    const store = new TraceStore({ maxTraces: 2, maxDocumentsPerTrace: 3 });
    const traceIds = [
      '1-6b0cdd00-000000000000000000000001',
      '1-6b0cdd00-000000000000000000000002',
      '1-6b0cdd00-000000000000000000000003',
    ];
    for (const traceId of traceIds) store.add({ ...gateway, trace_id: traceId });
    for (const doc of sdk) store.add({ ...doc, trace_id: traceIds[2] });

    expect(store.size).toBe(2);
    expect(store.get(traceIds[0] as string)).toBeUndefined();
    expect(
      store
        .list()
        .map((trace) => trace.id)
        .sort(),
    ).toEqual(traceIds.slice(1));
    expect(store.get(traceIds[2] as string)).toMatchObject({ documents: 3, dropped: 1 });
  });

  it('ignores a document with no trace id, and moves its version on every document it keeps', () => {
    const store = new TraceStore();
    const { trace_id: _traceId, ...orphan } = gateway;
    store.add(orphan);
    expect(store.version).toBe(0);
    store.add(gateway);
    expect(store.version).toBe(1);
  });
});
