// The X-Ray segment document, as the X-Ray SDK sends it to the daemon and as the local stack's own
// services (gateway, Lambda, EventBridge) write theirs. Only what the trace view reads is typed;
// other fields (sql, precursor_ids...) are kept as they came.

export interface StackFrame {
  path?: string;
  line?: number;
  label?: string;
}

export interface CapturedException {
  id?: string;
  message?: string;
  type?: string;
  remote?: boolean;
  stack?: StackFrame[];
}

export interface SegmentDocument {
  id: string;
  name: string;
  trace_id?: string;
  parent_id?: string;
  /** `subsegment` for a subsegment sent on its own; absent on a segment. */
  type?: string;
  /** Epoch seconds, with fractions. */
  start_time: number;
  end_time?: number;
  in_progress?: boolean;
  origin?: string;
  namespace?: string;
  annotations?: Record<string, string | number | boolean>;
  metadata?: Record<string, Record<string, unknown>>;
  aws?: Record<string, unknown>;
  http?: Record<string, unknown>;
  error?: boolean;
  fault?: boolean;
  throttle?: boolean;
  /** The exceptions, or (with `exceptions` elsewhere in the trace) the id of one. */
  cause?: { working_directory?: string; paths?: string[]; exceptions?: CapturedException[] } | string;
  subsegments?: SegmentDocument[];
}

/** A document as the daemon would accept it: an id, a name and a start time at least. */
export function isSegmentDocument(value: unknown): value is SegmentDocument {
  if (typeof value !== 'object' || value === null) return false;
  const doc = value as Record<string, unknown>;
  return typeof doc.id === 'string' && typeof doc.name === 'string' && typeof doc.start_time === 'number';
}
