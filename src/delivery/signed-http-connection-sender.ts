import { createHash, createHmac } from 'node:crypto';
import {
  type ClientRequest,
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingHttpHeaders,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentityProvider, Checksum, Provider, SourceData } from '@smithy/types';
import type { ConnectionSender, SendResult } from '../chat/ports';
import { type PostOutcome, type RetryPolicyOptions, sendWithRetryPolicy } from './connection-sender';

/** SHA-256 and HMAC-SHA256 for the signer, on node:crypto (what the SDK's own Node hash does). */
class NodeSha256 implements Checksum {
  readonly #hash;
  constructor(secret?: SourceData) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }
  update(data: Uint8Array | string): void {
    this.#hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return this.#hash.digest();
  }
  reset(): void {
    throw new Error('not used by the signer');
  }
}
const toBuffer = (data: SourceData): Buffer =>
  typeof data === 'string'
    ? Buffer.from(data)
    : ArrayBuffer.isView(data)
      ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
      : Buffer.from(data);

export interface SignedHttpSenderOptions extends RetryPolicyOptions {
  /** The stage's @connections endpoint: https://{api-id}.execute-api.{region}.amazonaws.com/{stage} */
  callbackUrl: string;
  region: string | Provider<string>;
  credentials: AwsCredentialIdentityProvider;
  /** Keep-alive sockets, as many as posts in flight. */
  maxSockets: number;
  /** A call that has not answered after this long fails (and is retried) instead of holding a lane. */
  requestTimeoutMs: number;
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

class PostTimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/**
 * PostToConnection for the fan-out's hot path, built on the SDK's own signer (`@smithy/signature-v4`,
 * service `execute-api`) and a keep-alive agent, without the SDK client's per-request middleware
 * stack (serialisation schema, endpoint resolution, retry and auth middleware), which cost most of
 * the CPU of a post. Same outcomes as the SDK sender: 410 gone, 429 throttled, 403/413 fail, other
 * failures retried.
 */
export class SignedHttpConnectionSender implements ConnectionSender {
  readonly #signer: SignatureV4;
  readonly #url: URL;
  readonly #basePath: string;
  readonly #request: typeof httpRequest;
  readonly #agent: HttpAgent;
  readonly #options: SignedHttpSenderOptions;

  constructor(options: SignedHttpSenderOptions) {
    this.#options = options;
    this.#url = new URL(options.callbackUrl);
    this.#basePath = this.#url.pathname.replace(/\/$/, '');
    const https = this.#url.protocol === 'https:';
    this.#request = https ? httpsRequest : httpRequest;
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets };
    this.#agent = https ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
    this.#signer = new SignatureV4({
      service: 'execute-api',
      region: options.region,
      credentials: options.credentials,
      sha256: NodeSha256,
    });
  }

  /**
   * Calls in flight and when each must have answered. One sweep timer, running only while calls
   * are in flight, destroys the late ones: a stalled call fails within requestTimeoutMs plus one
   * sweep period (a tenth of it) instead of holding a fan-out lane until the Lambda timeout.
   */
  readonly #inFlight = new Map<ClientRequest, number>();
  #sweeper: NodeJS.Timeout | undefined;

  #track(req: ClientRequest): void {
    this.#inFlight.set(req, Date.now() + this.#options.requestTimeoutMs);
    this.#sweeper ??= setInterval(() => this.#sweep(), Math.max(10, this.#options.requestTimeoutMs / 10));
  }

  #sweep(): void {
    const now = Date.now();
    for (const [req, deadline] of this.#inFlight) {
      if (deadline > now) continue;
      this.#inFlight.delete(req);
      req.destroy(
        new PostTimeoutError(`PostToConnection did not answer in ${this.#options.requestTimeoutMs} ms`),
      );
    }
    if (this.#inFlight.size === 0) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }

  send(connectionId: string, data: string): Promise<SendResult> {
    return sendWithRetryPolicy(connectionId, () => this.#post(connectionId, data), this.#options);
  }

  async #post(connectionId: string, data: string): Promise<PostOutcome> {
    const body = Buffer.from(data);
    const { hostname, port, host } = this.#url;
    const signed = await this.#signer.sign({
      method: 'POST',
      protocol: this.#url.protocol,
      hostname,
      port: port ? Number(port) : undefined,
      path: `${this.#basePath}/@connections/${encodeURIComponent(connectionId)}`,
      query: {},
      headers: { host, 'content-type': 'application/json', 'content-length': String(body.length) },
      body,
    });
    // One promise per call, listeners instead of an async iterator, and no timer per request (a
    // socket with a timeout re-arms it on every read and write): the sweep below bounds calls.
    const { status, headers, text } = await new Promise<Answer>((resolve, reject) => {
      const req = this.#request(
        {
          agent: this.#agent,
          method: 'POST',
          hostname,
          port: port || undefined,
          path: signed.path,
          headers: signed.headers,
        },
        (response) => {
          // The body is read (and dropped unless it is an error) so the socket goes back to the pool.
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            text += chunk;
          });
          response.on('end', () => {
            this.#inFlight.delete(req);
            resolve({ status: response.statusCode ?? 0, headers: response.headers, text });
          });
          response.on('error', reject);
        },
      );
      req.on('error', (error) => {
        this.#inFlight.delete(req);
        reject(error);
      });
      this.#track(req);
      req.end(body);
    });
    if (status >= 200 && status < 300) return 'sent';
    const errorType = errorTypeOf(status, headers, text);
    if (status === 410) return 'gone';
    if (status === 429) return 'throttled';
    const error = Object.assign(new Error(`${errorType} (${status})`), {
      name: errorType,
      statusCode: status,
    });
    return { error, retryable: status !== 403 && status !== 413 };
  }
}

/** As the SDK reads it: the x-amzn-ErrorType header, else the JSON body's __type/code/message. */
const errorTypeOf = (status: number, headers: IncomingHttpHeaders, body: string): string => {
  const header = headers['x-amzn-errortype'];
  const fromHeader = (Array.isArray(header) ? header[0] : header)?.split(':')[0];
  if (fromHeader) return fromHeader;
  try {
    const parsed = JSON.parse(body) as { __type?: string; code?: string };
    return (parsed.__type ?? parsed.code ?? '').split('#').pop() || `HTTP${status}`;
  } catch {
    return `HTTP${status}`;
  }
};
