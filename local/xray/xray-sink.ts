import { createSocket, type Socket } from 'node:dgram';

/** Receives what the X-Ray SDK sends to its daemon (UDP, `{"format":"json","version":1}\n{segment}`) and counts it. */
export interface XraySink {
  /** `127.0.0.1:<port>`, the value of AWS_XRAY_DAEMON_ADDRESS. */
  address: string;
  host: string;
  port: number;
  stats(): { segments: number; subsegments: number; traceIds: number };
  /** Trace ids seen, most recent last (bounded). */
  recentTraceIds(): string[];
  close(): Promise<void>;
}

const MAX_TRACE_IDS = 1000;

export async function startXraySink(
  options: { onSegment?: (segment: Record<string, unknown>) => void } = {},
): Promise<XraySink> {
  const socket: Socket = createSocket('udp4');
  let segments = 0;
  let subsegments = 0;
  const traceIds = new Set<string>();
  socket.on('message', (msg) => {
    const text = msg.toString('utf8');
    const newline = text.indexOf('\n');
    const body = newline >= 0 ? text.slice(newline + 1) : text;
    try {
      const doc = JSON.parse(body) as Record<string, unknown>;
      if (doc.type === 'subsegment') subsegments += 1;
      else segments += 1;
      if (typeof doc.trace_id === 'string') {
        traceIds.delete(doc.trace_id);
        traceIds.add(doc.trace_id);
        if (traceIds.size > MAX_TRACE_IDS) traceIds.delete(traceIds.values().next().value as string);
      }
      options.onSegment?.(doc);
    } catch {
      // Not a segment document: the daemon drops it too.
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve();
    });
  });
  // A UDP sink must never keep the process alive on its own.
  socket.unref();
  const { port } = socket.address();
  return {
    address: `127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    stats: () => ({ segments, subsegments, traceIds: traceIds.size }),
    recentTraceIds: () => [...traceIds],
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
