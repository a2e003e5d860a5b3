import { randomBytes } from 'node:crypto';

// The X-Ray trace header (`X-Amzn-Trace-Id`, Lambda's `_X_AMZN_TRACE_ID`):
// `Root=1-{epoch seconds, 8 hex}-{24 hex};Parent={16 hex};Sampled=1`, keys in any order.

export interface TraceContext {
  root: string;
  /** The id of the segment or subsegment that made the call; absent on a trace's first hop. */
  parent?: string;
  sampled: boolean;
}

const ROOT = /^1-[0-9a-f]{8}-[0-9a-f]{24}$/;
const ID = /^[0-9a-f]{16}$/;

/** A new trace id, as X-Ray mints them: the epoch seconds then 96 random bits. */
export function newTraceRoot(nowMs = Date.now()): string {
  const seconds = Math.floor(nowMs / 1000)
    .toString(16)
    .padStart(8, '0');
  return `1-${seconds}-${randomBytes(12).toString('hex')}`;
}

/** A segment or subsegment id (64 bits, hex). */
export function newSegmentId(): string {
  return randomBytes(8).toString('hex');
}

/** The trace a header names, or undefined when it names none (missing, malformed root). */
export function parseTraceHeader(header: string | undefined | null): TraceContext | undefined {
  if (!header) return undefined;
  const fields = new Map<string, string>();
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  const root = fields.get('root');
  if (!root || !ROOT.test(root)) return undefined;
  const parent = fields.get('parent');
  // X-Ray samples unless told otherwise; "?" asks the callee to decide, which locally means yes.
  return {
    root,
    parent: parent && ID.test(parent) ? parent : undefined,
    sampled: fields.get('sampled') !== '0',
  };
}

export function formatTraceHeader(context: TraceContext): string {
  const parent = context.parent ? `;Parent=${context.parent}` : '';
  return `Root=${context.root}${parent};Sampled=${context.sampled ? 1 : 0}`;
}
