import { formatTrace } from '../../../../local/traces';
import { type SegmentDocument, TraceStore } from '../../../../local/xray';

const TRACE = '1-6b0cdddc-65e3aa4ed5dccc003af61954';

const docs: SegmentDocument[] = [
  {
    id: 'a1b2c3d4e5f60718',
    trace_id: TRACE,
    name: 'g2i23lrnus/production',
    origin: 'AWS::ApiGatewayV2::Stage',
    start_time: 1796005340,
    end_time: 1796005340.1,
    aws: { route_key: 'sendPublic' },
    http: { response: { status: 502 } },
    fault: true,
  },
  {
    id: '0f1e2d3c4b5a6978',
    trace_id: TRACE,
    parent_id: 'a1b2c3d4e5f60718',
    name: 'local-ChatApiFunction',
    origin: 'AWS::Lambda::Function',
    start_time: 1796005340.01,
    end_time: 1796005340.09,
    aws: { cold_start: true },
    fault: true,
    cause: {
      exceptions: [
        {
          type: 'TypeError',
          message: 'boom',
          stack: [
            { label: 'handler', path: '/var/task/handler.mjs', line: 12 },
            { label: 'run', path: 'worker.mjs', line: 3 },
            { label: 'a', path: 'b', line: 1 },
            { label: 'not shown', path: 'c', line: 2 },
          ],
        },
      ],
    },
  },
  {
    id: '7c3d382cdc939935',
    trace_id: TRACE,
    parent_id: '0f1e2d3c4b5a6978',
    type: 'subsegment',
    name: 'DynamoDB',
    namespace: 'aws',
    start_time: 1796005340.05,
    end_time: 1796005340.06,
    aws: { operation: 'GetItem', table_name: 'ChatTable' },
  },
];

describe('the terminal waterfall', () => {
  it('prints one line per segment, indented under its parent, with offsets, durations and notes', () => {
    const store = new TraceStore();
    for (const doc of docs) store.add(doc);
    const text = formatTrace(store.get(TRACE) as never);
    const lines = text.split('\n');

    expect(lines[0]).toBe(
      `sendPublic  ${TRACE}  ${new Date(1796005340000).toISOString().slice(11, 23)}  100.0 ms  3 segments FAULT`,
    );
    expect(lines[1]).toBe(
      `   0.0 ms  100.0 ms ${'█'.repeat(30)} g2i23lrnus/production  sendPublic · 502 fault`,
    );
    expect(lines[2]).toBe(
      `  10.0 ms   80.0 ms    ${'█'.repeat(24)}      local-ChatApiFunction  cold start fault`,
    );
    expect(lines[3]?.trim()).toBe('TypeError: boom');
    // The top of the stack only.
    expect(lines.slice(4, 7).map((line) => line.trim())).toEqual([
      'at handler (/var/task/handler.mjs:12)',
      'at run (worker.mjs:3)',
      'at a (b:1)',
    ]);
    expect(lines[7]).toBe(
      `  50.0 ms   10.0 ms ${' '.repeat(15)}███${' '.repeat(12)}     DynamoDB  GetItem · ChatTable`,
    );
    expect(lines).toHaveLength(8);
  });
});
