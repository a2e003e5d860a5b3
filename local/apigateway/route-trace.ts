import { parseTraceHeader, type SegmentDocument, startHop } from '../xray';
import type { WebSocketEvent } from './events';

// One trace per route invocation, started by the gateway. On AWS, API Gateway's active tracing
// covers REST APIs only and a WebSocket route's trace starts at the Lambda; the local gateway
// records a segment of its own so the trace view shows the whole request, from the frame on.

export interface RouteTrace {
  /** The X-Amzn-Trace-Id the integration is invoked with (its Parent is the gateway's segment). */
  header: string;
  /** The gateway's segment, once the integration has answered with `status`. */
  segment(status: number): SegmentDocument;
}

export function startRouteTrace(event: WebSocketEvent): RouteTrace {
  const ctx = event.requestContext;
  // $connect's event already carries the trace id the gateway gave the handshake request; the
  // route's segment is that trace's first (no parent), and always sampled.
  const handshake = parseTraceHeader(event.headers?.['X-Amzn-Trace-Id']);
  const hop = startHop(handshake && { root: handshake.root, sampled: true }, true);
  return {
    header: hop.header,
    segment: (status) =>
      hop.segment({
        name: `${ctx.apiId}/${ctx.stage}`,
        origin: 'AWS::ApiGatewayV2::Stage',
        aws: {
          api_id: ctx.apiId,
          stage: ctx.stage,
          route_key: ctx.routeKey,
          event_type: ctx.eventType,
          connection_id: ctx.connectionId,
          request_id: ctx.requestId,
        },
        http: { response: { status } },
        ...(status >= 500 ? { fault: true } : status >= 400 ? { error: true } : {}),
      }),
  };
}
