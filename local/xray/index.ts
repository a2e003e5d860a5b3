export { type Hop, type HopFields, startHop } from './hop-segment';
export type { CapturedException, SegmentDocument, StackFrame } from './segment-document';
export {
  formatTraceHeader,
  newSegmentId,
  newTraceRoot,
  parseTraceHeader,
  type TraceContext,
} from './trace-header';
export { type Trace, type TraceNode, TraceStore, type TraceSummary } from './trace-store';
export { startXraySink, type XraySink } from './xray-sink';
