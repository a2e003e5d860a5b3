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

describe('the local X-Ray sink', () => {
  it('counts segments and subsegments in the daemon format and remembers their trace ids', async () => {
    const sink = await startXraySink();
    try {
      const header = '{"format": "json", "version": 1}\n';
      await send(sink.port, `${header}{"trace_id":"1-5f84c7a1-0123456789abcdef01234567","name":"fn"}`);
      await send(
        sink.port,
        `${header}{"type":"subsegment","trace_id":"1-5f84c7a1-0123456789abcdef01234567"}`,
      );
      await send(sink.port, `${header}not json`);
      for (let i = 0; i < 50 && sink.stats().segments + sink.stats().subsegments < 2; i++)
        await new Promise((r) => setTimeout(r, 10));
      expect(sink.address).toBe(`127.0.0.1:${sink.port}`);
      expect(sink.stats()).toEqual({ segments: 1, subsegments: 1, traceIds: 1 });
      expect(sink.recentTraceIds()).toEqual(['1-5f84c7a1-0123456789abcdef01234567']);
    } finally {
      await sink.close();
    }
  });
});
