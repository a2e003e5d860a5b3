import { SignatureV4 } from '@smithy/signature-v4';
import type { HttpRequest } from '@smithy/types';
import { SigV4Verifier } from '../../../../local/apigateway';
import { Sha256 } from '../../../../local/apigateway/sigv4-verifier';

// The verifier against requests signed by the SDK's own signer, then changed one part at a time.
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local', sessionToken: 'local' };
const REGION = 'us-east-1';
const NOW = Date.UTC(2026, 0, 31, 12, 0, 0);
const verifier = new SigV4Verifier({ region: REGION, credentials: [CREDENTIALS], now: () => NOW });

const sha256Hex = (body: string) => {
  const hash = SigV4Verifier.bodyHash();
  if (body) hash.update(Buffer.from(body));
  return hash.digest();
};

interface Signing {
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  region?: string;
  service?: string;
  date?: number;
  body?: string;
  path?: string;
}

/** A request as the SDK signs it, in the shape the gateway receives it. */
async function signed(options: Signing = {}) {
  const body = options.body ?? '{"hello":"world"}';
  const path = options.path ?? '/production/@connections/AbC%3D';
  const signer = new SignatureV4({
    service: options.service ?? 'execute-api',
    region: options.region ?? REGION,
    credentials: options.credentials ?? CREDENTIALS,
    sha256: Sha256,
  });
  const request: HttpRequest = {
    method: 'POST',
    protocol: 'http:',
    hostname: '127.0.0.1',
    port: 3000,
    path,
    query: {},
    headers: { host: '127.0.0.1:3000', 'content-type': 'application/json' },
    body,
  };
  const out = await signer.sign(request, { signingDate: new Date(options.date ?? NOW) });
  const headers = Object.fromEntries(Object.entries(out.headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { method: 'POST', url: path, headers, payloadHash: sha256Hex(body) };
}

describe('SigV4Verifier, as API Gateway checks @connections calls', () => {
  it('accepts a request signed by the SDK signer with the stack credentials', async () => {
    await expect(verifier.verify(await signed())).resolves.toBeUndefined();
  });

  it('accepts one signed up to 5 minutes either side of its clock', async () => {
    await expect(verifier.verify(await signed({ date: NOW - 4 * 60_000 }))).resolves.toBeUndefined();
    await expect(verifier.verify(await signed({ date: NOW + 4 * 60_000 }))).resolves.toBeUndefined();
  });

  it('refuses an unsigned request with Missing Authentication Token', async () => {
    const { headers, ...request } = await signed();
    const { authorization: _a, ...unsigned } = headers;

    await expect(verifier.verify({ ...request, headers: unsigned })).resolves.toEqual({
      status: 403,
      type: 'MissingAuthenticationTokenException',
      message: 'Missing Authentication Token',
    });
  });

  it('refuses a wrong secret, showing the canonical request and string to sign it expected', async () => {
    const refusal = await verifier.verify(
      await signed({ credentials: { ...CREDENTIALS, secretAccessKey: 'nope' } }),
    );

    expect(refusal?.type).toBe('InvalidSignatureException');
    expect(refusal?.message).toMatch(
      /^The request signature we calculated does not match the signature you provided\. Check your AWS Secret Access Key and signing method\. Consult the service documentation for details\.\n\nThe Canonical String for this request should have been\n'POST\n\/production\/%40connections\/AbC%253D\n\ncontent-type:application\/json\nhost:127\.0\.0\.1:3000\n/,
    );
    expect(refusal?.message).toContain(
      "The String-to-Sign should have been\n'AWS4-HMAC-SHA256\n20260131T120000Z\n20260131/us-east-1/execute-api/aws4_request\n",
    );
  });

  it('refuses a body changed after signing', async () => {
    const request = await signed();

    const refusal = await verifier.verify({ ...request, payloadHash: sha256Hex('{"hello":"mallory"}') });
    expect(refusal?.type).toBe('InvalidSignatureException');
  });

  it('refuses a path changed after signing', async () => {
    const request = await signed();

    const refusal = await verifier.verify({ ...request, url: '/production/@connections/Other%3D' });
    expect(refusal?.type).toBe('InvalidSignatureException');
  });

  it('refuses an unknown access key and a wrong session token as an invalid security token', async () => {
    const unknownKey = await verifier.verify(
      await signed({ credentials: { ...CREDENTIALS, accessKeyId: 'AKIDEXAMPLE' } }),
    );
    const wrongToken = await verifier.verify(
      await signed({ credentials: { ...CREDENTIALS, sessionToken: 'stolen' } }),
    );
    const noToken = await verifier.verify(
      await signed({ credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
    );

    for (const refusal of [unknownKey, wrongToken, noToken]) {
      expect(refusal).toEqual({
        status: 403,
        type: 'UnrecognizedClientException',
        message: 'The security token included in the request is invalid.',
      });
    }
  });

  it('refuses a signature scoped to another region or service', async () => {
    await expect(verifier.verify(await signed({ region: 'eu-west-1' }))).resolves.toMatchObject({
      type: 'InvalidSignatureException',
      message: "Credential should be scoped to a valid region, not 'eu-west-1'. ",
    });
    await expect(verifier.verify(await signed({ service: 'execute-apx' }))).resolves.toMatchObject({
      type: 'InvalidSignatureException',
      message: "Credential should be scoped to correct service: 'execute-api'. ",
    });
  });

  it('refuses a signature more than 5 minutes old or ahead', async () => {
    await expect(verifier.verify(await signed({ date: NOW - 6 * 60_000 }))).resolves.toEqual({
      status: 403,
      type: 'InvalidSignatureException',
      message:
        'Signature expired: 20260131T115400Z is now earlier than 20260131T115500Z (20260131T120000Z - 5 min.)',
    });
    await expect(verifier.verify(await signed({ date: NOW + 6 * 60_000 }))).resolves.toMatchObject({
      type: 'InvalidSignatureException',
      message: expect.stringMatching(/^Signature not yet current: 20260131T120600Z is still later than/),
    });
  });

  it('refuses an Authorization header that is not SigV4, or lacks a part', async () => {
    const request = await signed();
    const bearer = await verifier.verify({
      ...request,
      headers: { ...request.headers, authorization: 'Bearer abc' },
    });
    const noSignature = await verifier.verify({
      ...request,
      headers: {
        ...request.headers,
        authorization: String(request.headers.authorization).replace(/, Signature=.*$/, ''),
      },
    });

    expect(bearer?.type).toBe('IncompleteSignatureException');
    expect(noSignature).toMatchObject({
      type: 'IncompleteSignatureException',
      message: expect.stringMatching(
        /^Authorization header requires 'Signature' parameter\. Authorization=AWS4-HMAC-SHA256 /,
      ),
    });
  });
});
