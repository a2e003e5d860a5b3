import { createSocket, type Socket } from 'node:dgram';
import { isSegmentDocument, type SegmentDocument } from './segment-document';
import { TraceStore, type TraceStoreOptions } from './trace-store';

/**
 * Receives what the X-Ray SDK sends to its daemon (UDP, `{"format":"json","version":1}\n{segment}`)
 * and what the local stack's own services record in process, and assembles both into traces.
 */
export interface XraySink {
  /** `127.0.0.1:<port>`, the value of AWS_XRAY_DAEMON_ADDRESS. */
  address: string;
  host: string;
  port: number;
  /** The assembled traces (bounded: the most recent ones). */
  traces: TraceStore;
  /** A document from this process (the gateway's, Lambda's, EventBridge's own segments). */
  record(doc: SegmentDocument): void;
  stats(): { segments: number; subsegments: number; traceIds: number };
  /** Trace ids seen, most recent last (bounded). */
  recentTraceIds(): string[];
  close(): Promise<void>;
}

const MAX_TRACE_IDS = 1000;

export async function startXraySink(
  options: { onSegment?: (segment: SegmentDocument) => void } & TraceStoreOptions = {},
): Promise<XraySink> {
  const socket: Socket = createSocket('udp4');
  const traces = new TraceStore(options);
  let segments = 0;
  let subsegments = 0;
  const traceIds = new Set<string>();
  const record = (doc: SegmentDocument): void => {
    if (doc.type === 'subsegment') subsegments += 1;
    else segments += 1;
    if (typeof doc.trace_id === 'string') {
      traceIds.delete(doc.trace_id);
      traceIds.add(doc.trace_id);
      if (traceIds.size > MAX_TRACE_IDS) traceIds.delete(traceIds.values().next().value as string);
    }
    traces.add(doc);
    options.onSegment?.(doc);
  };
  socket.on('message', (msg) => {
    const text = msg.toString('utf8');
    const newline = text.indexOf('\n');
    const body = newline >= 0 ? text.slice(newline + 1) : text;
    let doc: unknown;
    try {
      doc = JSON.parse(body);
    } catch {
      return; // Not a segment document: the daemon drops it too.
    }
    if (isSegmentDocument(doc)) record(doc);
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
    traces,
    record,
    stats: () => ({ segments, subsegments, traceIds: traceIds.size }),
    recentTraceIds: () => [...traceIds],
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
