import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, Checksum, SourceData } from '@smithy/types';
import { canonicalPath, PostSigner } from '../../../../src/delivery/post-signer';

// The reference: the SDK's own signer, given the same request with the same headers to sign.
class Sha256 implements Checksum {
  readonly #hash;
  constructor(secret?: SourceData) {
    this.#hash =
      secret === undefined ? createHash('sha256') : createHmac('sha256', Buffer.from(secret as Uint8Array));
  }
  update(data: Uint8Array | string) {
    this.#hash.update(data);
  }
  async digest() {
    return this.#hash.digest();
  }
  reset() {}
}

const HOST = 'abc123.execute-api.eu-west-1.amazonaws.com';
const at = Date.UTC(2026, 10, 30, 23, 59, 58, 250);

const sdkAuthorization = async (
  credentials: AwsCredentialIdentity,
  path: string,
  body: string,
  ms: number,
) => {
  const signer = new SignatureV4({
    service: 'execute-api',
    region: 'eu-west-1',
    credentials,
    sha256: Sha256,
  });
  const signed = await signer.sign(
    { method: 'POST', protocol: 'https:', hostname: HOST, path, query: {}, headers: { host: HOST }, body },
    { signingDate: new Date(ms) },
  );
  return signed.headers;
};

const signerAt = (credentials: AwsCredentialIdentity, clock: { ms: number }) =>
  new PostSigner({
    service: 'execute-api',
    region: 'eu-west-1',
    credentials: async () => credentials,
    now: () => clock.ms,
  });

describe('PostSigner', () => {
  const paths = [
    '/production/@connections/AbC1dEfGhIJ%3D',
    '/production/@connections/a%2Bb%2Fc%3D',
    "/@connections/it's(odd)*!",
    '/stage/./x/../@connections/id',
  ];

  it.each(paths)('signs %s exactly as the SDK signer does', async (path) => {
    const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
    const clock = { ms: at };
    const headers = await signerAt(credentials, clock).sign(HOST, path, '{"type":"message"}');
    const sdk = await sdkAuthorization(credentials, path, '{"type":"message"}', at);
    expect(headers.authorization).toBe(sdk.authorization);
    expect(headers['x-amz-date']).toBe(sdk['x-amz-date']);
  });

  it('signs the session token of temporary credentials, as the SDK does', async () => {
    const credentials = { accessKeyId: 'ASIA1', secretAccessKey: 'secret', sessionToken: 'token/+=' };
    const headers = await signerAt(credentials, { ms: at }).sign(HOST, paths[0] as string, 'x');
    const sdk = await sdkAuthorization(credentials, paths[0] as string, 'x', at);
    expect(headers.authorization).toBe(sdk.authorization);
    expect(headers['x-amz-security-token']).toBe('token/+=');
  });

  it('signs synchronously once resolved, with a new date each second and the new key after midnight', async () => {
    const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
    const clock = { ms: at };
    const signer = signerAt(credentials, clock);
    await signer.sign(HOST, '/p/@connections/a', 'one');

    clock.ms = at + 1_000;
    const sameDay = signer.sign(HOST, '/p/@connections/a', 'two');
    expect(sameDay).not.toBeInstanceOf(Promise);
    const { host: _host, ...sdk } = await sdkAuthorization(credentials, '/p/@connections/a', 'two', clock.ms);
    expect(await sameDay).toEqual(sdk);

    clock.ms = at + 2_000; // 2026-12-01: yesterday's key would be refused
    const nextDay = await signer.sign(HOST, '/p/@connections/a', 'two');
    expect(nextDay['x-amz-date']).toBe('20261201T000000Z');
    expect(nextDay.authorization).toBe(
      (await sdkAuthorization(credentials, '/p/@connections/a', 'two', clock.ms)).authorization,
    );
  });

  it('resolves credentials again before they expire, so rotated ones are used', async () => {
    const clock = { ms: at - 3_600_000 };
    let current = {
      accessKeyId: 'OLD',
      secretAccessKey: 'a',
      expiration: new Date(clock.ms + 120_000),
    } as AwsCredentialIdentity;
    let resolutions = 0;
    const signer = new PostSigner({
      service: 'execute-api',
      region: async () => 'eu-west-1',
      credentials: async () => {
        resolutions += 1;
        return current;
      },
      now: () => clock.ms,
    });
    await Promise.all([1, 2, 3].map(() => signer.sign(HOST, '/p', 'x')));
    expect(resolutions).toBe(1);

    current = { accessKeyId: 'NEW', secretAccessKey: 'b' };
    clock.ms += 61_000; // within a minute of the old credentials' expiry
    const headers = await signer.sign(HOST, '/p', 'x');
    expect(headers.authorization).toContain('Credential=NEW/');
    expect(resolutions).toBe(2);
  });
});

describe('canonicalPath', () => {
  it('encodes a path a second time and drops dot segments, as SigV4 does for execute-api', () => {
    expect(canonicalPath('/production/@connections/a%3D')).toBe('/production/%40connections/a%253D');
    expect(canonicalPath('/a/./b/../c/')).toBe('/a/c/');
    expect(canonicalPath('/')).toBe('/');
  });
});
