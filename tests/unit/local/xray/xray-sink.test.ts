import { createSocket } from 'node:dgram';
import { startXraySink } from '../../../../local/xray';

function send(port: number, text: string): Promise<void> {
  const socket = createSocket('udp4');
  return new Promise((resolve, reject) =>
    socket.send(text, port, '127.0.0.1', (err) => {
      socket.close();
      if (err) reject(err);
      else resolve();
    }),
  );
}

const TRACE = '1-5f84c7a1-0123456789abcdef01234567';

describe('the local X-Ray sink', () => {
  it('takes segments and subsegments in the daemon format and assembles them into traces', async () => {
    const sink = await startXraySink();
    try {
      const header = '{"format": "json", "version": 1}\n';
      await send(
        sink.port,
        `${header}{"trace_id":"${TRACE}","id":"70de5b6f19ff9a0a","name":"fn","start_time":1602537633.1,"end_time":1602537633.3}`,
      );
      await send(
        sink.port,
        `${header}{"type":"subsegment","trace_id":"${TRACE}","parent_id":"70de5b6f19ff9a0a","id":"70de5b6f19ff9a0b","name":"DynamoDB","start_time":1602537633.15,"end_time":1602537633.2}`,
      );
      await send(sink.port, `${header}not json`);
      // Not a segment document (no id, name or start time): dropped as the daemon drops it.
      await send(sink.port, `${header}{"trace_id":"${TRACE}"}`);
      for (let i = 0; i < 50 && sink.stats().segments + sink.stats().subsegments < 2; i++)
        await new Promise((r) => setTimeout(r, 10));
      expect(sink.address).toBe(`127.0.0.1:${sink.port}`);
      expect(sink.stats()).toEqual({ segments: 1, subsegments: 1, traceIds: 1 });
      expect(sink.recentTraceIds()).toEqual([TRACE]);
      const trace = sink.traces.get(TRACE);
      expect(trace?.roots.map((root) => [root.name, root.children.map((child) => child.name)])).toEqual([
        ['fn', ['DynamoDB']],
      ]);
    } finally {
      await sink.close();
    }
  });

  it('records the documents of this process in the same traces', async () => {
    const sink = await startXraySink();
    try {
      sink.record({ trace_id: TRACE, id: '70de5b6f19ff9a0a', name: 'gateway', start_time: 1602537633 });
      expect(sink.traces.list()).toEqual([expect.objectContaining({ id: TRACE, root: 'gateway' })]);
    } finally {
      await sink.close();
    }
  });
});
