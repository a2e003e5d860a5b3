import {
  type ClientRequest,
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingHttpHeaders,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { AwsCredentialIdentityProvider, Provider } from '@smithy/types';
import type { ConnectionSender, SendResult } from '../chat/ports';
import { type PostOutcome, type RetryPolicyOptions, sendWithRetryPolicy } from './connection-sender';
import { PostSigner, type SignedHeaders } from './post-signer';

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

/** Where a late call was when it was cut off: only a call cut off after it was sent may have been delivered. */
export type PostPhase = 'queued' | 'connecting' | 'sending' | 'sent' | 'reading';

class PostTimeoutError extends Error {
  override readonly name = 'TimeoutError';
  constructor(
    message: string,
    readonly phase: PostPhase,
  ) {
    super(`${message} (${phase})`);
  }
}

const phaseOf = (req: ClientRequest): PostPhase => {
  if (!req.socket) return 'queued';
  if (req.socket.connecting) return 'connecting';
  if (!req.writableFinished) return 'sending';
  // Node sets `res` when the answer's headers arrive (not in @types/node).
  return (req as ClientRequest & { res?: unknown }).res ? 'reading' : 'sent';
};

/**
 * PostToConnection for the fan-out's hot path: SigV4 (service `execute-api`) with the SDK's own key
 * derivation, signed synchronously per post (post-signer.ts), over a keep-alive agent, without the
 * SDK client's per-request middleware stack (serialisation schema, endpoint resolution, retry and
 * auth middleware), which cost most of the CPU of a post. Same outcomes as the SDK sender: 410
 * gone, 429 throttled, 403/413 fail, other failures retried.
 */
export class SignedHttpConnectionSender implements ConnectionSender {
  readonly #signer: PostSigner;
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
    this.#signer = new PostSigner({
      service: 'execute-api',
      region: options.region,
      credentials: options.credentials,
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
        new PostTimeoutError(
          `PostToConnection did not answer in ${this.#options.requestTimeoutMs} ms`,
          phaseOf(req),
        ),
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

  #post(connectionId: string, data: string): Promise<PostOutcome> {
    const path = `${this.#basePath}/@connections/${encodeURIComponent(connectionId)}`;
    const signed = this.#signer.sign(this.#url.host, path, data);
    return signed instanceof Promise
      ? signed.then((headers) => this.#postSigned(path, data, headers))
      : this.#postSigned(path, data, signed);
  }

  /** The payload as bytes and its length, once per payload (a fan-out posts the same one to all). */
  #lastData: string | undefined;
  #lastBody: Buffer = Buffer.alloc(0);
  #lastLength = '0';

  #body(data: string): Buffer {
    if (data !== this.#lastData) {
      this.#lastData = data;
      this.#lastBody = Buffer.from(data);
      this.#lastLength = String(this.#lastBody.length);
    }
    return this.#lastBody;
  }

  // One promise per call, listeners instead of an async iterator, and no timer per request (a
  // socket with a timeout re-arms it on every read and write): the sweep above bounds calls.
  #postSigned(path: string, data: string, signed: SignedHeaders): Promise<PostOutcome> {
    const body = this.#body(data);
    const { hostname, port, host } = this.#url;
    return new Promise<PostOutcome>((resolve, reject) => {
      const req = this.#request(
        {
          agent: this.#agent,
          method: 'POST',
          hostname,
          port: port || undefined,
          path,
          headers: {
            host,
            'content-type': 'application/json',
            'content-length': this.#lastLength,
            ...signed,
          },
        },
        (response) => {
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            // The body is read (and dropped) so the socket goes back to the pool.
            response.resume();
            response.on('end', () => {
              this.#inFlight.delete(req);
              resolve('sent');
            });
            response.on('error', reject);
            return;
          }
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            text += chunk;
          });
          response.on('end', () => {
            this.#inFlight.delete(req);
            resolve(outcomeOf(status, response.headers, text));
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
  }
}

/** 410 gone, 429 throttled, 403/413 fail at once, anything else is retried. */
const outcomeOf = (status: number, headers: IncomingHttpHeaders, text: string): PostOutcome => {
  if (status === 410) return 'gone';
  if (status === 429) return 'throttled';
  const errorType = errorTypeOf(status, headers, text);
  const error = Object.assign(new Error(`${errorType} (${status})`), { name: errorType, statusCode: status });
  return { error, retryable: status !== 403 && status !== 413 };
};

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
