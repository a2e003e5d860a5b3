import { parseTraceHeader, type SegmentDocument, startHop } from '../xray';
import type { Delivery } from './deliveries';

// EventBridge passes the trace header of a PutEvents request (an entry's TraceHeader, else the
// request's X-Amzn-Trace-Id) to the target's invocation. The local bus also records the hop as a
// segment of its own, so the trace view shows where the event waited; an event that came with no
// trace starts one here (on AWS its target would start it), so every delivery can be looked up.

export interface DeliveryTrace {
  /** The trace header the target is invoked with (its Parent is the hop's segment). */
  header: string;
  segment(failure?: { type: string; message: string }): SegmentDocument;
}

export function startDeliveryTrace(delivery: Delivery): DeliveryTrace {
  const hop = startHop(parseTraceHeader(delivery.traceHeader), true);
  const { event, rule, target } = delivery;
  return {
    header: hop.header,
    segment: (failure) =>
      hop.segment({
        name: 'EventBridge',
        origin: 'AWS::Events',
        aws: {
          event_bus: rule.eventBusName,
          rule: rule.name,
          rule_arn: delivery.ruleArn,
          target: target.id,
          detail_type: event['detail-type'],
          source: event.source,
          event_id: event.id,
          attempt: delivery.attempt + 1,
        },
        ...(failure
          ? { fault: true, cause: { exceptions: [{ type: failure.type, message: failure.message }] } }
          : {}),
      }),
  };
}
