import { createHash, createHmac, hash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import {
  ALGORITHM_IDENTIFIER,
  createScope,
  getCanonicalHeaders,
  getSigningKey,
  SignatureV4,
} from '@smithy/signature-v4';
import type { AwsCredentialIdentity, Checksum, HttpRequest, SourceData } from '@smithy/types';

// SigV4 as API Gateway checks it on the @connections API (IAM auth, service `execute-api`): the
// signature is recomputed with the SDK's own signer pieces from the request as received and the
// credentials the stack hands to functions, and a request that does not carry a valid one gets
// API Gateway's 403 answer. Query-string (presigned) authentication is not emulated.

/** Credentials the local API accepts (the stack's; anything else is an unknown access key). */
export type LocalCredentials = Pick<
  AwsCredentialIdentity,
  'accessKeyId' | 'secretAccessKey' | 'sessionToken'
>;

/** A refusal as API Gateway answers it: 403, the type in x-amzn-ErrorType, `{"message": ...}`. */
export interface SignatureRefusal {
  status: 403;
  type:
    | 'MissingAuthenticationTokenException'
    | 'IncompleteSignatureException'
    | 'UnrecognizedClientException'
    | 'InvalidSignatureException';
  message: string;
}

/** What is signed of a request: its method, raw path and query, headers, and the body's SHA-256. */
export interface ReceivedRequest {
  method: string;
  /** As received (`req.url`): the path still percent-encoded, with its query. */
  url: string;
  headers: IncomingHttpHeaders;
  /** Hex SHA-256 of the body as received. */
  payloadHash: string;
}

/** API Gateway refuses a signature dated more than 5 minutes from its clock (unconfirmed: 15 for some services). */
const MAX_SKEW_MS = 5 * 60 * 1000;
const SERVICE = 'execute-api';
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** SHA-256 / HMAC-SHA256 on node:crypto, the shape the signer takes. */
export class Sha256 implements Checksum {
  readonly #hash;
  constructor(secret?: SourceData) {
    this.#hash =
      secret === undefined
        ? createHash('sha256')
        : createHmac('sha256', typeof secret === 'string' ? secret : Buffer.from(secret as Uint8Array));
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

/**
 * The signer's canonical request (SignatureV4 keeps it protected) and the string to sign, computed
 * synchronously: every PostToConnection of a fan-out passes here, and the signer's async digest
 * cost a promise chain per call for one SHA-256.
 */
class Recomputer extends SignatureV4 {
  constructor() {
    super({
      service: SERVICE,
      region: 'unused',
      credentials: { accessKeyId: '', secretAccessKey: '' },
      sha256: Sha256,
    });
  }
  stringToSign(
    request: HttpRequest,
    signedHeaders: ReadonlySet<string>,
    payloadHash: string,
    longDate: string,
    scope: string,
  ) {
    const canonicalHeaders = getCanonicalHeaders(request, undefined, new Set(signedHeaders));
    const canonicalRequest = this.createCanonicalRequest(request, canonicalHeaders, payloadHash);
    // As SignatureV4's createStringToSign writes it.
    const hashed = hash('sha256', canonicalRequest, 'hex');
    return { canonicalRequest, stringToSign: `${ALGORITHM_IDENTIFIER}\n${longDate}\n${scope}\n${hashed}` };
  }
}

const refuse = (type: SignatureRefusal['type'], message: string): SignatureRefusal => ({
  status: 403,
  type,
  message,
});

const headerValue = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
};

/** `Credential=…, SignedHeaders=…, Signature=…` of an `AWS4-HMAC-SHA256` Authorization header. */
const parseAuthorization = (authorization: string) => {
  const space = authorization.indexOf(' ');
  const fields = new Map<string, string>();
  for (const part of authorization.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return { algorithm: space < 0 ? authorization : authorization.slice(0, space), fields };
};

const AUTHORIZATION_PARAMETERS = ['Credential', 'Signature', 'SignedHeaders'] as const;

/** 20260131T120000Z from an x-amz-date header, or from a Date header. */
const requestDate = (headers: IncomingHttpHeaders): { longDate: string; ms: number } | undefined => {
  const amzDate = headerValue(headers, 'x-amz-date');
  if (amzDate !== undefined) {
    const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
    if (!m) return undefined;
    const [year, month, day, hours, minutes, seconds] = m.slice(1).map(Number) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    return { longDate: amzDate, ms: Date.UTC(year, month - 1, day, hours, minutes, seconds) };
  }
  const date = headerValue(headers, 'date');
  const ms = date === undefined ? Number.NaN : Date.parse(date);
  if (Number.isNaN(ms)) return undefined;
  return { longDate: new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, ''), ms };
};

const formatLong = (ms: number) => new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '');

const parseQuery = (search: string): Record<string, string | string[]> => {
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(search)) {
    const seen = query[key];
    query[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return query;
};

const keyScope = (credentials: LocalCredentials, shortDate: string, region: string, service: string) =>
  `${credentials.accessKeyId}/${shortDate}/${region}/${service}`;

export class SigV4Verifier {
  readonly #region: string;
  readonly #credentials: Map<string, LocalCredentials>;
  readonly #now: () => number;
  readonly #recomputer = new Recomputer();
  /** Signing keys by access key and scope: one derivation a day instead of one per call (hot path). */
  readonly #keys = new Map<string, Uint8Array>();

  constructor(options: { region: string; credentials: LocalCredentials[]; now?: () => number }) {
    this.#region = options.region;
    this.#credentials = new Map(options.credentials.map((c) => [c.accessKeyId, c]));
    this.#now = options.now ?? Date.now;
  }

  /** A hasher for a request body, fed as it arrives; `digest()` gives what `payloadHash` takes. */
  static bodyHash(): { update(chunk: Buffer): void; digest(): string } {
    const hash = createHash('sha256');
    let empty = true;
    return {
      update: (chunk) => {
        empty = false;
        hash.update(chunk);
      },
      digest: () => (empty ? EMPTY_SHA256 : hash.digest('hex')),
    };
  }

  /** undefined when the request is signed by known credentials; otherwise API Gateway's refusal. */
  async verify(request: ReceivedRequest): Promise<SignatureRefusal | undefined> {
    const authorization = headerValue(request.headers, 'authorization');
    if (authorization === undefined)
      return refuse('MissingAuthenticationTokenException', 'Missing Authentication Token');
    const { algorithm, fields } = parseAuthorization(authorization);
    const missing = AUTHORIZATION_PARAMETERS.filter((name) => !fields.has(name));
    if (algorithm !== ALGORITHM_IDENTIFIER || missing.length > 0) {
      const needs = (missing.length > 0 ? missing : AUTHORIZATION_PARAMETERS)
        .map((name) => `Authorization header requires '${name}' parameter.`)
        .join(' ');
      return refuse('IncompleteSignatureException', `${needs} Authorization=${authorization}`);
    }
    const [accessKeyId = '', shortDate = '', region = '', service = '', terminator = ''] = (
      fields.get('Credential') as string
    ).split('/');
    const date = requestDate(request.headers);
    if (date === undefined) {
      return refuse(
        'IncompleteSignatureException',
        `Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=${authorization}`,
      );
    }
    const signedHeaders = new Set((fields.get('SignedHeaders') as string).split(';'));
    if (!signedHeaders.has('host')) {
      return refuse(
        'IncompleteSignatureException',
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
      );
    }
    const credentials = this.#credentials.get(accessKeyId);
    const token = headerValue(request.headers, 'x-amz-security-token');
    if (!credentials || (credentials.sessionToken !== undefined && token !== credentials.sessionToken)) {
      return refuse('UnrecognizedClientException', 'The security token included in the request is invalid.');
    }
    if (terminator !== 'aws4_request' || shortDate !== date.longDate.slice(0, 8)) {
      return refuse(
        'InvalidSignatureException',
        `Credential should be scoped to a valid date, not '${shortDate}'. `,
      );
    }
    if (region !== this.#region) {
      return refuse(
        'InvalidSignatureException',
        `Credential should be scoped to a valid region, not '${region}'. `,
      );
    }
    if (service !== SERVICE) {
      return refuse(
        'InvalidSignatureException',
        `Credential should be scoped to correct service: '${SERVICE}'. `,
      );
    }
    const now = this.#now();
    if (date.ms < now - MAX_SKEW_MS) {
      return refuse(
        'InvalidSignatureException',
        `Signature expired: ${date.longDate} is now earlier than ${formatLong(now - MAX_SKEW_MS)} (${formatLong(now)} - 5 min.)`,
      );
    }
    if (date.ms > now + MAX_SKEW_MS) {
      return refuse(
        'InvalidSignatureException',
        `Signature not yet current: ${date.longDate} is still later than ${formatLong(now + MAX_SKEW_MS)} (${formatLong(now)} + 5 min.)`,
      );
    }

    // Only the signed headers, with the values received; a signed body hash must be the body's.
    const headers: Record<string, string> = {};
    for (const name of signedHeaders) {
      const value = headerValue(request.headers, name);
      if (value !== undefined) headers[name] = name === 'x-amz-content-sha256' ? request.payloadHash : value;
    }
    const q = request.url.indexOf('?');
    const { stringToSign, canonicalRequest } = this.#recomputer.stringToSign(
      {
        method: request.method,
        protocol: 'https:',
        hostname: headers.host ?? '',
        path: q < 0 ? request.url : request.url.slice(0, q),
        query: q < 0 ? {} : parseQuery(request.url.slice(q + 1)),
        headers,
      },
      signedHeaders,
      request.payloadHash,
      date.longDate,
      createScope(shortDate, region, service),
    );
    const key =
      this.#keys.get(keyScope(credentials, shortDate, region, service)) ??
      (await this.#signingKey(credentials, shortDate, region, service));
    const expected = createHmac('sha256', key).update(stringToSign).digest();
    const given = Buffer.from(fields.get('Signature') as string, 'hex');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return undefined;
    return refuse(
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\n' +
        `The Canonical String for this request should have been\n'${canonicalRequest}'\n\n` +
        `The String-to-Sign should have been\n'${stringToSign}'\n`,
    );
  }

  async #signingKey(credentials: LocalCredentials, shortDate: string, region: string, service: string) {
    const scope = keyScope(credentials, shortDate, region, service);
    let key = this.#keys.get(scope);
    if (!key) {
      key = await getSigningKey(Sha256, credentials, shortDate, region, service);
      if (this.#keys.size >= 64) this.#keys.clear();
      this.#keys.set(scope, key);
    }
    return key;
  }
}
