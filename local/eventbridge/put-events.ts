import { AwsJsonError, isRecord } from '../aws-json';

// PutEvents' request and entry rules, as AWS applies them before any rule sees an event.

export interface PutEventsRequestEntry {
  Time?: number | string | Date;
  Source?: string;
  Resources?: string[];
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  TraceHeader?: string;
}

export interface PutEventsResultEntry {
  EventId?: string;
  ErrorCode?: string;
  ErrorMessage?: string;
}

export interface PutEventsResponse {
  FailedEntryCount: number;
  Entries: PutEventsResultEntry[];
}

/** The envelope a rule matches and a Lambda target receives. */
export interface EventEnvelope {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

export class EventBridgeError extends AwsJsonError {}

const _MAX_ENTRIES = 10;
// AWS raised the PutEvents request size limit from 256 KB to 1 MB in January 2026.
const _MAX_REQUEST_BYTES = 1_048_576;

const MAX_ENTRIES = 10;
// AWS raised the PutEvents request size limit from 256 KB to 1 MB in January 2026.
const MAX_REQUEST_BYTES = 1_048_576;

/** Size of one entry as AWS counts it toward the request limit. */
export function putEventsEntrySize(entry: PutEventsRequestEntry): number {
  let size = 0;
  if (entry.Time !== undefined && entry.Time !== null) size += 14;
  size += Buffer.byteLength(entry.Source ?? '', 'utf8');
  size += Buffer.byteLength(entry.DetailType ?? '', 'utf8');
  size += Buffer.byteLength(entry.Detail ?? '', 'utf8');
  for (const resource of entry.Resources ?? []) size += Buffer.byteLength(resource ?? '', 'utf8');
  return size;
}

function toIsoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Request-level checks: a failure rejects the whole call with ValidationException. */
export function checkPutEventsRequest(
  entries: PutEventsRequestEntry[] | undefined,
): asserts entries is PutEventsRequestEntry[] {
  if (!Array.isArray(entries)) {
    throw new EventBridgeError(
      'ValidationException',
      "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null",
    );
  }
  if (entries.length === 0 || entries.length > MAX_ENTRIES) {
    const constraint =
      entries.length === 0 ? 'greater than or equal to 1' : `less than or equal to ${MAX_ENTRIES}`;
    throw new EventBridgeError(
      'ValidationException',
      `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length ${constraint}`,
    );
  }
  const total = entries.reduce((sum, entry) => sum + putEventsEntrySize(isRecord(entry) ? entry : {}), 0);
  if (total > MAX_REQUEST_BYTES) {
    throw new EventBridgeError(
      'ValidationException',
      'Total size of the entries in the request is over the limit.',
    );
  }
}

/** An entry's own failure, reported in its result entry (the rest of the request goes on). */
export function validateEntry(entry: PutEventsRequestEntry): PutEventsResultEntry | undefined {
  for (const field of ['Source', 'DetailType', 'Detail'] as const) {
    const value = entry[field];
    if (typeof value !== 'string' || value === '') {
      return {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: `Parameter ${field} is not valid. Reason: ${field} is a required argument.`,
      };
    }
  }
  try {
    if (!isRecord(JSON.parse(entry.Detail as string))) throw new Error('not an object');
  } catch {
    return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  }
  return undefined;
}

export function eventTime(time: PutEventsRequestEntry['Time'], now: () => number): string {
  // The SDK sends Time as epoch seconds (awsJson timestamps); in-process callers may pass a Date.
  let ms: number | undefined;
  if (time instanceof Date) ms = time.getTime();
  else if (typeof time === 'number') ms = time * 1000;
  else if (typeof time === 'string') ms = Number.isNaN(Date.parse(time)) ? undefined : Date.parse(time);
  return toIsoSeconds(ms !== undefined && Number.isFinite(ms) ? ms : now());
}
