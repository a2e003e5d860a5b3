import type { SegmentDocument } from './segment-document';

// Assembles the segment documents of many processes (the SDK in each function, the gateway,
// Lambda and EventBridge of the local stack) into traces, as X-Ray does from what its daemons
// send: by trace id, then by parent id. Documents arrive in any order (a subsegment is sent when it
// closes, before the parent that encloses it), so the tree is built when a trace is read.

/** One recent trace in a list. */
export interface TraceSummary {
  id: string;
  /** Epoch milliseconds of the earliest document. */
  startMs: number;
  durationMs: number;
  /** The first segment's name. */
  root: string;
  /** What started the trace: a route key, an event's detail-type, or the first segment's name. */
  title: string;
  /** A document reported a fault (5xx, exception) or an error (4xx). */
  fault: boolean;
  error: boolean;
  documents: number;
  /** Documents left out because the trace reached its size bound. */
  dropped: number;
}

/** A segment or subsegment with its children, earliest first. */
export interface TraceNode extends Omit<SegmentDocument, 'subsegments'> {
  kind: 'segment' | 'subsegment';
  children: TraceNode[];
}

export interface Trace extends TraceSummary {
  roots: TraceNode[];
}

export interface TraceStoreOptions {
  /** How many traces are kept, the most recently started ones (default 200). */
  maxTraces?: number;
  /** How many documents one trace keeps (default 2000); later ones are counted and dropped. */
  maxDocumentsPerTrace?: number;
}

interface StoredTrace {
  id: string;
  docs: Map<string, StoredDocument>;
  dropped: number;
}

type StoredDocument = Omit<SegmentDocument, 'subsegments'> & { kind: 'segment' | 'subsegment' };

export class TraceStore {
  private readonly traces = new Map<string, StoredTrace>();
  private readonly maxTraces: number;
  private readonly maxDocs: number;
  private changes = 0;

  constructor(options: TraceStoreOptions = {}) {
    this.maxTraces = Math.max(1, options.maxTraces ?? 200);
    this.maxDocs = Math.max(1, options.maxDocumentsPerTrace ?? 2000);
  }

  /** Grows with every document added: a reader polls it to know whether anything changed. */
  get version(): number {
    return this.changes;
  }

  get size(): number {
    return this.traces.size;
  }

  /** Adds a segment or a subsegment document (with any subsegments it embeds). */
  add(doc: SegmentDocument): void {
    const traceId = doc.trace_id;
    if (typeof traceId !== 'string' || traceId === '') return;
    let trace = this.traces.get(traceId);
    if (!trace) {
      trace = { id: traceId, docs: new Map(), dropped: 0 };
      this.traces.set(traceId, trace);
      // Oldest first in insertion order: the first key is the one to let go.
      if (this.traces.size > this.maxTraces) this.traces.delete(this.traces.keys().next().value as string);
    }
    this.flatten(trace, doc, doc.type === 'subsegment' ? 'subsegment' : 'segment', doc.parent_id);
    this.changes += 1;
  }

  /** Recent traces, the most recent first. */
  list(limit = this.maxTraces): TraceSummary[] {
    const out: TraceSummary[] = [];
    for (const trace of this.traces.values()) out.push(summarize(trace));
    out.sort((a, b) => b.startMs - a.startMs);
    return out.slice(0, limit);
  }

  get(traceId: string): Trace | undefined {
    const trace = this.traces.get(traceId);
    if (!trace) return undefined;
    const nodes = new Map<string, TraceNode>();
    for (const doc of trace.docs.values()) nodes.set(doc.id, { ...doc, children: [] });
    const roots: TraceNode[] = [];
    for (const node of nodes.values()) {
      const parent = node.parent_id ? nodes.get(node.parent_id) : undefined;
      if (parent && parent !== node) parent.children.push(node);
      else roots.push(node);
    }
    const byStart = (a: TraceNode, b: TraceNode) => a.start_time - b.start_time;
    for (const node of nodes.values()) node.children.sort(byStart);
    roots.sort(byStart);
    return { ...summarize(trace), roots };
  }

  clear(): void {
    this.traces.clear();
    this.changes += 1;
  }

  private flatten(
    trace: StoredTrace,
    doc: SegmentDocument,
    kind: 'segment' | 'subsegment',
    parentId: string | undefined,
  ): void {
    const { subsegments, ...fields } = doc;
    const known = trace.docs.has(doc.id);
    if (!known && trace.docs.size >= this.maxDocs) {
      trace.dropped += 1;
    } else {
      // A later document of the same id (the closed form of an in-progress one) replaces it.
      const stored: StoredDocument = { ...fields, kind, trace_id: trace.id };
      if (parentId !== undefined) stored.parent_id = parentId;
      trace.docs.set(doc.id, stored);
    }
    if (Array.isArray(subsegments)) {
      for (const child of subsegments) {
        if (child && typeof child.id === 'string') this.flatten(trace, child, 'subsegment', doc.id);
      }
    }
  }
}

function summarize(trace: StoredTrace): TraceSummary {
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  let fault = false;
  let error = false;
  let first: StoredDocument | undefined;
  for (const doc of trace.docs.values()) {
    start = Math.min(start, doc.start_time);
    end = Math.max(end, doc.end_time ?? doc.start_time);
    if (doc.fault) fault = true;
    if (doc.error || doc.throttle) error = true;
    // The trace's first hop: the earliest segment nothing in the trace encloses (a subsegment only
    // while its segment has not arrived).
    const orphan = !doc.parent_id || !trace.docs.has(doc.parent_id);
    if (orphan && (!first || earlierRoot(doc, first))) first = doc;
  }
  const empty = !Number.isFinite(start);
  return {
    id: trace.id,
    startMs: empty ? 0 : Math.round(start * 1000),
    durationMs: empty ? 0 : Math.round((end - start) * 100000) / 100,
    root: first?.name ?? '',
    title: first ? titleOf(first) : '',
    fault,
    error,
    documents: trace.docs.size,
    dropped: trace.dropped,
  };
}

const earlierRoot = (a: StoredDocument, b: StoredDocument): boolean =>
  a.kind !== b.kind ? a.kind === 'segment' : a.start_time < b.start_time;

/** What started the trace, from the fields the local stack's own segments carry. */
function titleOf(doc: StoredDocument): string {
  const aws = doc.aws ?? {};
  for (const key of ['route_key', 'detail_type', 'operation']) {
    const value = aws[key];
    if (typeof value === 'string' && value !== '') return value;
  }
  return doc.name;
}
