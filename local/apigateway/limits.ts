/**
 * API Gateway's WebSocket limits and the close codes it uses, in one place: several are
 * unconfirmed in AWS (marked), so each can be changed here or per stack through the options.
 */
export interface GatewayLimits {
  /** A data frame larger than this closes the socket with 1009 (AWS: 32 KB). */
  frameBytes: number;
  /** A message larger than this closes the socket with 1009 (AWS: 128 KB). */
  messageBytes: number;
  /** A PostToConnection body larger than this is answered 413 (AWS: 128 KB). */
  postBytes: number;
  /** Without traffic from the client for this long the socket is closed (AWS: 10 minutes). */
  idleTimeoutMs: number;
  /** A connection is closed after this long whatever its traffic (AWS: 2 hours). */
  maxConnectionMs: number;
  /** The integration (Lambda) timeout for a route (AWS: 29 s). */
  integrationTimeoutMs: number;
  /** Close code for a binary frame (unconfirmed in AWS: 1003 Unsupported Data). */
  binaryFrameCloseCode: number;
  /** Status for PostToConnection to a connection still inside $connect (unconfirmed in AWS: 410). */
  postDuringConnectStatus: 410 | 200;
}

export const AWS_LIMITS: GatewayLimits = {
  frameBytes: 32 * 1024,
  messageBytes: 128 * 1024,
  postBytes: 128 * 1024,
  idleTimeoutMs: 10 * 60 * 1000,
  maxConnectionMs: 2 * 60 * 60 * 1000,
  integrationTimeoutMs: 29_000,
  binaryFrameCloseCode: 1003,
  postDuringConnectStatus: 410,
};

/** Close codes and reasons the gateway sends (reasons are unconfirmed in AWS). */
export const CLOSE = {
  tooBig: { code: 1009, reason: 'Message too big' },
  idle: { code: 1001, reason: 'Going away' },
  maxDuration: { code: 1001, reason: 'Going away' },
  deleted: { code: 1000, reason: '' },
  shutdown: { code: 1001, reason: 'Going away' },
  binary: { reason: 'Binary frames are not supported' },
} as const;
