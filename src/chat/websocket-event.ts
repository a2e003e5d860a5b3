import { z } from 'zod';

/**
 * The events API Gateway WebSocket APIs send to a Lambda integration, as captured from real
 * traffic. Our own schema: @types/aws-lambda lacks headers, identity and the disconnect fields,
 * and the Powertools parser schema is the authorizer shape. Unknown fields are kept (loose).
 */
const requestContextSchema = z.looseObject({
  routeKey: z.string().min(1),
  eventType: z.enum(['CONNECT', 'MESSAGE', 'DISCONNECT']),
  connectionId: z.string().min(1),
  requestId: z.string().min(1),
  messageId: z.string().optional(),
  extendedRequestId: z.string().optional(),
  requestTime: z.string().optional(),
  requestTimeEpoch: z.number().optional(),
  connectedAt: z.number().optional(),
  messageDirection: z.string().optional(),
  stage: z.string().optional(),
  domainName: z.string().optional(),
  apiId: z.string().optional(),
  identity: z.looseObject({ sourceIp: z.string().optional() }).optional(),
  disconnectStatusCode: z.number().optional(),
  disconnectReason: z.string().optional(),
});

export const webSocketEventSchema = z.looseObject({
  requestContext: requestContextSchema,
  body: z.string().optional(),
  isBase64Encoded: z.boolean().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  multiValueHeaders: z.record(z.string(), z.array(z.string())).optional(),
  queryStringParameters: z.record(z.string(), z.string()).optional(),
});

export type WebSocketEvent = z.infer<typeof webSocketEventSchema>;

export const ROUTE_KEYS = [
  '$connect',
  '$disconnect',
  '$default',
  'setName',
  'sendPublic',
  'sendPrivate',
] as const;
export type RouteKey = (typeof ROUTE_KEYS)[number];

export const parseWebSocketEvent = (event: unknown): WebSocketEvent => webSocketEventSchema.parse(event);

/** The frame text; API Gateway only base64-encodes binary frames, which the chat treats as text. */
export const bodyText = (event: WebSocketEvent): string | undefined =>
  event.body !== undefined && event.isBase64Encoded
    ? Buffer.from(event.body, 'base64').toString('utf8')
    : event.body;
