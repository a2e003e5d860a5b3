import { randomFillSync } from 'node:crypto';

// API Gateway ids ("BFaT_fALIAMCKug=") are 11 bytes in URL-safe base64 with its one padding
// character: 16 characters from [A-Za-z0-9_-] ending in '='. Connection ids, request ids,
// extended request ids and message ids all share that shape.
const ID_BYTES = 11;
const POOL_IDS = 512;

// One randomFillSync per 512 ids instead of one per id: ids are minted for every message.
const pool = Buffer.alloc(ID_BYTES * POOL_IDS);
let next = POOL_IDS;

export function newGatewayId(): string {
  if (next === POOL_IDS) {
    randomFillSync(pool);
    next = 0;
  }
  const start = next * ID_BYTES;
  next += 1;
  return `${pool.toString('base64url', start, start + ID_BYTES)}=`;
}

export const GATEWAY_ID_PATTERN = /^[A-Za-z0-9_-]{15}=$/;

/** The X-Amzn-Trace-Id API Gateway adds to the $connect request: Root=1-{epoch hex}-{96 bits hex}. */
export function newTraceId(nowMs: number): string {
  const bytes = Buffer.alloc(12);
  randomFillSync(bytes);
  return `Root=1-${Math.floor(nowMs / 1000).toString(16)}-${bytes.toString('hex')}`;
}
