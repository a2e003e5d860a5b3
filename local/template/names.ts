import { createHash } from 'node:crypto';

function digest(seed: string): Buffer {
  return createHash('sha256').update(seed).digest();
}

function encode(bytes: Buffer, alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[(bytes[i] ?? 0) % alphabet.length];
  return out;
}

const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A CloudFormation-style generated physical name `{stack}-{LogicalId}-{SUFFIX}`. Stable for the same
 * stack and logical id, so a persisted local database keeps matching its tables across restarts.
 */
export function physicalName(stackName: string, logicalId: string, maxLength = 64): string {
  const suffix = encode(digest(`${stackName}/${logicalId}`), UPPER_ALNUM, 12);
  let stack = stackName;
  let id = logicalId;
  // Like CloudFormation, shorten the stack and logical id parts, never the unique suffix.
  while (stack.length + id.length + suffix.length + 2 > maxLength && (stack.length > 1 || id.length > 1)) {
    if (id.length >= stack.length) id = id.slice(0, -1);
    else stack = stack.slice(0, -1);
  }
  return `${stack}-${id}-${suffix}`;
}

/** An API Gateway id: 10 lowercase alphanumerics, stable per stack and logical id. */
export function apiGatewayId(stackName: string, logicalId: string): string {
  return encode(digest(`api/${stackName}/${logicalId}`), LOWER_ALNUM, 10);
}

/** A short resource id as API Gateway gives routes, integrations and deployments (7 chars). */
export function shortId(stackName: string, logicalId: string): string {
  return encode(digest(`id/${stackName}/${logicalId}`), LOWER_ALNUM, 7);
}

/** A stable pseudo-random token for ids such as AWS::StackId's uuid or IAM RoleId. */
export function token(seed: string, length: number): string {
  return digest(seed).toString('hex').slice(0, length);
}
