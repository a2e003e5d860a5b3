import type { FunctionModel, StackModel } from './template/types';

/**
 * The variable that hands an environment's worker the hosts it sends to the local stack
 * (worker-bootstrap.mjs reads it and removes it before the function's code loads).
 */
export const INTERCEPT_VARIABLE = '_LOCAL_STACK_INTERCEPT';

/**
 * The credentials every function gets. The local @connections API accepts calls signed with them
 * (and nothing else, as IAM would); the other local services accept any.
 */
export const LOCAL_CREDENTIALS = {
  accessKeyId: 'local',
  secretAccessKey: 'local',
  sessionToken: 'local',
} as const;

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The environment the stack adds to every function: the AWS SDK's per-service endpoint
 * variables pointing at the local AWS endpoint, dummy credentials, and every template value that
 * holds a local API's AWS-shaped URL rewritten to the local site (https -> http, wss -> ws). URLs
 * the function builds itself (from the event's domainName or apiId) are caught in the worker: the
 * API hosts go in INTERCEPT_VARIABLE.
 */
export function localEnvironment(
  model: Pick<StackModel, 'region' | 'webSocketApis'>,
  fn: Pick<FunctionModel, 'environment'>,
  endpoints: { aws: string; siteHostPort: string },
): Record<string, string> {
  const env: Record<string, string> = {
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.aws,
    AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.aws,
    AWS_ENDPOINT_URL_SQS: endpoints.aws,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_SESSION_TOKEN: LOCAL_CREDENTIALS.sessionToken,
    AWS_REGION: model.region,
    AWS_DEFAULT_REGION: model.region,
    [INTERCEPT_VARIABLE]: JSON.stringify({
      apiHosts: Object.fromEntries(
        model.webSocketApis.map((api) => [
          `${api.apiId}.execute-api.${model.region}.amazonaws.com`.toLowerCase(),
          endpoints.siteHostPort,
        ]),
      ),
      // The SQS SDK sends each call to the host of its QueueUrl (useQueueUrlAsEndpoint) even with
      // AWS_ENDPOINT_URL_SQS set, so a queue URL from the template (`!Ref Queue`) needs its host
      // routed to the local endpoint too.
      serviceHosts: { [`sqs.${model.region}.amazonaws.com`.toLowerCase()]: new URL(endpoints.aws).host },
    }),
  };
  const hosts = model.webSocketApis.map(
    (api) =>
      new RegExp(
        `(https|wss)://${escapeRegExp(`${api.apiId}.execute-api.${model.region}.amazonaws.com`)}`,
        'g',
      ),
  );
  for (const [name, value] of Object.entries(fn.environment)) {
    let rewritten = value;
    for (const host of hosts) {
      rewritten = rewritten.replace(host, (_match, scheme: string) =>
        scheme === 'wss' ? `ws://${endpoints.siteHostPort}` : `http://${endpoints.siteHostPort}`,
      );
    }
    if (rewritten !== value) env[name] = rewritten;
  }
  return env;
}
