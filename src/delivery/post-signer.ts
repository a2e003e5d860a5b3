import { createHash, createHmac, hash } from 'node:crypto';
import { ALGORITHM_IDENTIFIER, createScope, getSigningKey } from '@smithy/signature-v4';
import type {
  AwsCredentialIdentity,
  AwsCredentialIdentityProvider,
  Checksum,
  Provider,
  SourceData,
} from '@smithy/types';

/** SHA-256 and HMAC-SHA256 for the SDK's key derivation, on node:crypto (what the SDK's own Node hash does). */
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
    throw new Error('not used by the key derivation');
  }
}
const toBuffer = (data: SourceData): Buffer =>
  typeof data === 'string'
    ? Buffer.from(data)
    : ArrayBuffer.isView(data)
      ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
      : Buffer.from(data);

/** RFC 3986 escaping, as the SDK's signer escapes a path (encodeURIComponent leaves !'()* alone). */
const escapeUri = (uri: string): string =>
  encodeURIComponent(uri).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * The canonical URI of SigV4 for every service but S3, as the SDK's signer builds it: dot segments
 * and empty segments removed, then the (already percent-encoded) path encoded a second time.
 */
export const canonicalPath = (path: string): string => {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const trailing = segments.length > 0 && path.endsWith('/') ? '/' : '';
  const normalized = `${path.startsWith('/') ? '/' : ''}${segments.join('/')}${trailing}`;
  return escapeUri(normalized).replace(/%2F/g, '/');
};

/**
 * canonicalPath with the directory part remembered: a fan-out posts to many paths that differ only
 * in their last segment (the connection id).
 */
class CanonicalPaths {
  #directory: string | undefined;
  #canonicalDirectory = '';

  of(path: string): string {
    const slash = path.lastIndexOf('/');
    const last = path.slice(slash + 1);
    if (slash < 0 || last === '' || last === '.' || last === '..') return canonicalPath(path);
    const directory = path.slice(0, slash + 1);
    if (directory !== this.#directory) {
      this.#directory = directory;
      this.#canonicalDirectory = canonicalPath(directory);
    }
    return `${this.#canonicalDirectory}${escapeUri(last)}`;
  }
}

// The one-shot hash (Node 21.7+), not a Hash object per call: this runs once per post.
const sha256Hex = (data: string): string => hash('sha256', data, 'hex');

/** 20261130T050000Z: SigV4's long date, one per second. */
const longDateOf = (ms: number): string => new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '');

/** Credentials and the day's signing key, re-resolved at least once a minute (they may rotate). */
interface SigningState {
  credentials: AwsCredentialIdentity;
  region: string;
  shortDate: string;
  scope: string;
  key: Uint8Array;
  resolvedAtMs: number;
  /** A minute on, the credentials' expiry (less a margin) or the end of the UTC day, whichever is first. */
  validUntilMs: number;
}

const REFRESH_EVERY_MS = 60_000;
const DAY_MS = 86_400_000;
const endOfUtcDay = (ms: number): number => (Math.floor(ms / DAY_MS) + 1) * DAY_MS;
/** Resolve again this long before temporary credentials expire. */
const EXPIRY_MARGIN_MS = 60_000;

export interface PostSignerOptions {
  service: string;
  region: string | Provider<string>;
  credentials: AwsCredentialIdentityProvider;
  now?: () => number;
}

/** What a POST carries to be accepted: the headers to add (`host` is the caller's). */
export interface SignedHeaders {
  'x-amz-content-sha256': string;
  'x-amz-date': string;
  'x-amz-security-token'?: string;
  authorization: string;
}

/**
 * SigV4 for many POSTs of the same few bodies, without SignatureV4's per-request work. The SDK
 * signer resolves credentials, copies the request, hashes the body and derives (or looks up) the
 * key through a dozen promises per request, which in a fan-out cost more CPU than the post itself
 * (docs/benchmarks.md, "The delivery path, profiled"). Here credentials and the signing key (the
 * SDK's own `getSigningKey`) are resolved once a minute, the body's hash is computed once per body,
 * and a request is signed synchronously: one SHA-256 of its canonical request and one HMAC. It signs
 * the headers the SDK signer adds (`host`, `x-amz-content-sha256`, `x-amz-date`,
 * `x-amz-security-token`); a unit test holds it to SignatureV4's Authorization for the same request.
 */
export class PostSigner {
  readonly #options: PostSignerOptions;
  readonly #now: () => number;
  #state: SigningState | undefined;
  #refreshing: Promise<SigningState> | undefined;
  readonly #paths = new CanonicalPaths();
  #lastBody: string | undefined;
  #lastBodyHash = '';
  #lastSecond = -1;
  #lastLongDate = '';

  constructor(options: PostSignerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Headers for a POST of `body` to `path` (percent-encoded, as sent) on `host`. Synchronous while
   * the signing state is fresh (nearly always); a promise only when it must be resolved again.
   */
  sign(host: string, path: string, body: string): SignedHeaders | Promise<SignedHeaders> {
    const now = this.#now();
    const state = this.#state;
    if (state !== undefined && now < state.validUntilMs) return this.#signWith(state, now, host, path, body);
    // Dated when the state was resolved for, so the date and the key's day always agree.
    return this.#refresh(now).then((fresh) => this.#signWith(fresh, fresh.resolvedAtMs, host, path, body));
  }

  #signWith(state: SigningState, now: number, host: string, path: string, body: string): SignedHeaders {
    const longDate = this.#longDate(now);
    const token = state.credentials.sessionToken;
    const bodyHash = this.#bodyHash(body);
    const signedHeaders =
      token === undefined
        ? 'host;x-amz-content-sha256;x-amz-date'
        : 'host;x-amz-content-sha256;x-amz-date;x-amz-security-token';
    const canonicalRequest =
      `POST\n${this.#paths.of(path)}\n\nhost:${host}\nx-amz-content-sha256:${bodyHash}\nx-amz-date:${longDate}\n` +
      (token === undefined ? '' : `x-amz-security-token:${token}\n`) +
      `\n${signedHeaders}\n${bodyHash}`;
    const stringToSign = `${ALGORITHM_IDENTIFIER}\n${longDate}\n${state.scope}\n${sha256Hex(canonicalRequest)}`;
    const signature = createHmac('sha256', state.key).update(stringToSign).digest('hex');
    const authorization = `${ALGORITHM_IDENTIFIER} Credential=${state.credentials.accessKeyId}/${state.scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
    const headers: SignedHeaders = {
      'x-amz-content-sha256': bodyHash,
      'x-amz-date': longDate,
      authorization,
    };
    if (token !== undefined) headers['x-amz-security-token'] = token;
    return headers;
  }

  /** A fan-out posts the same payload string to every recipient: hash it once. */
  #bodyHash(body: string): string {
    if (body !== this.#lastBody) {
      this.#lastBody = body;
      this.#lastBodyHash = sha256Hex(body);
    }
    return this.#lastBodyHash;
  }

  #longDate(now: number): string {
    const second = Math.floor(now / 1000);
    if (second !== this.#lastSecond) {
      this.#lastSecond = second;
      this.#lastLongDate = longDateOf(now);
    }
    return this.#lastLongDate;
  }

  /** One resolution at a time: the posts that find the state stale all wait for the same one. */
  #refresh(now: number): Promise<SigningState> {
    this.#refreshing ??= this.#resolve(now).finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #resolve(now: number): Promise<SigningState> {
    const { service } = this.#options;
    const credentials = await this.#options.credentials();
    const region =
      typeof this.#options.region === 'string' ? this.#options.region : await this.#options.region();
    const shortDate = longDateOf(now).slice(0, 8);
    const key = await getSigningKey(NodeSha256, credentials, shortDate, region, service);
    const expiresMs = credentials.expiration?.getTime() ?? Number.POSITIVE_INFINITY;
    const state: SigningState = {
      credentials,
      region,
      shortDate,
      scope: createScope(shortDate, region, service),
      key,
      resolvedAtMs: now,
      validUntilMs: Math.min(now + REFRESH_EVERY_MS, expiresMs - EXPIRY_MARGIN_MS, endOfUtcDay(now)),
    };
    this.#state = state;
    return state;
  }
}
