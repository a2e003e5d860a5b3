export {
  type EventPattern,
  InvalidEventPatternError,
  matchesEventPattern,
  validateEventPattern,
} from './event-pattern';
export {
  type DeliveryContext,
  EventBridgeError,
  EventBridgeService,
  type EventBridgeServiceOptions,
  type EventBridgeStats,
  type EventEnvelope,
  type EventSummary,
  type PutEventsRequestEntry,
  type PutEventsResponse,
  type PutEventsResultEntry,
  putEventsEntrySize,
} from './eventbridge-service';
export { selectInputPath } from './input-path';
