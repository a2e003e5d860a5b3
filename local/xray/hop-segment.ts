import type { SegmentDocument } from './segment-document';
import { formatTraceHeader, newSegmentId, newTraceRoot, type TraceContext } from './trace-header';

/** What a hop's segment says of itself; the ids and the end time are the hop's. */
export type HopFields = Omit<SegmentDocument, 'id' | 'trace_id' | 'parent_id' | 'end_time' | 'start_time'> & {
  /** Epoch seconds; the hop's start by default. */
  start_time?: number;
};

export interface Hop {
  /** The trace header the next hop is invoked with: its Parent is this hop's segment. */
  header: string;
  sampled: boolean;
  /** The hop's segment, ending now. */
  segment(fields: HopFields): SegmentDocument;
}

/**
 * A service that passes a request on (the gateway, the event bus, a queue's poller): it continues
 * the caller's trace, or starts one, and records itself as a segment the next invocation hangs
 * under, so the trace view shows where the request waited.
 */
export function startHop(caller: TraceContext | undefined, sampledWithoutCaller: boolean): Hop {
  const started = Date.now();
  const root = caller?.root ?? newTraceRoot(started);
  const sampled = caller?.sampled ?? sampledWithoutCaller;
  const id = newSegmentId();
  return {
    header: formatTraceHeader({ root, parent: id, sampled }),
    sampled,
    segment: (fields) => ({
      start_time: started / 1000,
      ...fields,
      id,
      trace_id: root,
      ...(caller?.parent ? { parent_id: caller.parent } : {}),
      end_time: Date.now() / 1000,
    }),
  };
}
