import type { FunctionModel } from '../template/types';
import { type CapturedException, newSegmentId, type SegmentDocument, type StackFrame } from '../xray';
import type { InvocationReport, LambdaError } from './types';

// The segment Lambda records for each invocation of a traced function (origin
// AWS::Lambda::Function): its Initialization on a cold start, the Invocation itself, and the
// function's error. The function's own subsegments (the X-Ray SDK's) hang under the Invocation,
// because its id is the Parent of the invocation's _X_AMZN_TRACE_ID.

/** Epoch seconds of a `performance.now()` reading. */
export const epochSeconds = (perfNow: number): number => (performance.timeOrigin + perfNow) / 1000;

export interface InvocationTimes {
  /** performance.now() when the invocation was accepted, when the handler started and ended. */
  accepted: number;
  started?: number;
  ended: number;
}

export function invocationSegment(
  fn: FunctionModel,
  trace: { root: string; parent?: string; segmentId: string; invocationId: string },
  report: InvocationReport,
  times: InvocationTimes,
  error: LambdaError | undefined,
): SegmentDocument {
  const subsegments: SegmentDocument[] = [];
  const sub = (name: string, start: number, end: number, id = newSegmentId()): SegmentDocument => ({
    id,
    name,
    start_time: epochSeconds(start),
    end_time: epochSeconds(end),
  });
  if (times.started !== undefined) {
    if (report.initDurationMs !== undefined) {
      const initStart = Math.max(times.accepted, times.started - report.initDurationMs);
      subsegments.push(sub('Initialization', initStart, initStart + report.initDurationMs));
    }
    subsegments.push(sub('Invocation', times.started, times.ended, trace.invocationId));
  }
  const doc: SegmentDocument = {
    id: trace.segmentId,
    trace_id: trace.root,
    ...(trace.parent ? { parent_id: trace.parent } : {}),
    name: fn.functionName,
    origin: 'AWS::Lambda::Function',
    start_time: epochSeconds(times.accepted),
    end_time: epochSeconds(times.ended),
    aws: {
      function_arn: fn.arn,
      request_id: report.requestId,
      invocation_type: report.invocationType,
      attempt: report.attempt,
      cold_start: report.cold,
      ...(report.queuedMs >= 1 ? { queued_ms: Math.round(report.queuedMs) } : {}),
    },
    subsegments,
  };
  if (report.outcome === 'throttled') {
    doc.error = true;
    doc.throttle = true;
  } else if (error) {
    doc.fault = true;
    doc.cause = { exceptions: [exceptionOf(error)] };
    const invocation = subsegments.at(-1);
    if (invocation) invocation.fault = true;
  }
  return doc;
}

function exceptionOf(error: LambdaError): CapturedException {
  return {
    id: newSegmentId(),
    type: error.errorType,
    message: error.errorMessage,
    stack: framesOf(error.trace),
  };
}

/** `    at label (path:line:column)` lines of a stack, as the X-Ray SDK records them. */
function framesOf(trace: string[] | undefined): StackFrame[] {
  const frames: StackFrame[] = [];
  for (const raw of trace ?? []) {
    const line = raw.trim();
    if (!line.startsWith('at ')) continue;
    const match = /^at (?:(.*?) \()?(.*?):(\d+)(?::\d+)?\)?$/.exec(line);
    if (match) frames.push({ label: match[1] ?? 'anonymous', path: match[2], line: Number(match[3]) });
    else frames.push({ label: line.slice(3) });
  }
  return frames;
}
