import { createHash, createHmac } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
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
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = this.#request(
        {
          agent: this.#agent,
          method: 'POST',
          hostname,
          port: port || undefined,
          path: signed.path,
          headers: signed.headers,
        },
        resolve,
      );
      req.setTimeout(this.#options.requestTimeoutMs, () =>
        req.destroy(
          new PostTimeoutError(`PostToConnection did not answer in ${this.#options.requestTimeoutMs} ms`),
        ),
      );
      req.on('error', reject);
      req.end(body);
    });
    const status = response.statusCode ?? 0;
    // The body is read (and dropped) so the keep-alive socket goes back to the pool.
    const chunks: Buffer[] = [];
    for await (const chunk of response) chunks.push(chunk as Buffer);
    if (status >= 200 && status < 300) return 'sent';
    const errorType = errorTypeOf(response, Buffer.concat(chunks).toString('utf8'));
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
const errorTypeOf = (response: IncomingMessage, body: string): string => {
  const header = response.headers['x-amzn-errortype'];
  const fromHeader = (Array.isArray(header) ? header[0] : header)?.split(':')[0];
  if (fromHeader) return fromHeader;
  try {
    const parsed = JSON.parse(body) as { __type?: string; code?: string };
    return (parsed.__type ?? parsed.code ?? '').split('#').pop() || `HTTP${response.statusCode}`;
  } catch {
    return `HTTP${response.statusCode}`;
  }
};
