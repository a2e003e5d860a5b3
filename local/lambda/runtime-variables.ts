import { randomBytes } from 'node:crypto';
import type { BuiltFunction } from '../build/build-functions';
import type { FunctionModel } from '../template/types';

/**
 * The variables Lambda's Node.js runtime sets in an execution environment, then the template's,
 * then the stack's (endpoints, credentials), which win.
 */
export function runtimeVariables(
  fn: FunctionModel,
  bundle: BuiltFunction,
  where: { region: string; xrayAddress: string; logStream: string },
  stackVariables: Record<string, string>,
): Record<string, string> {
  const { region, xrayAddress, logStream } = where;
  const [xrayHost = '127.0.0.1', xrayPort = '2000'] = xrayAddress.split(':');
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    LAMBDA_TASK_ROOT: bundle.taskRoot,
    LAMBDA_RUNTIME_DIR: '/var/runtime',
    _HANDLER: fn.handler,
    AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySizeMb),
    AWS_LAMBDA_LOG_GROUP_NAME: fn.logGroupName,
    AWS_LAMBDA_LOG_STREAM_NAME: logStream,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    ...(fn.logFormat === 'JSON' ? { AWS_LAMBDA_LOG_FORMAT: 'JSON' } : {}),
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: 'ASIALOCALSTACKEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'local-secret-access-key',
    AWS_SESSION_TOKEN: 'local-session-token',
    AWS_XRAY_DAEMON_ADDRESS: xrayAddress,
    _AWS_XRAY_DAEMON_ADDRESS: xrayHost,
    _AWS_XRAY_DAEMON_PORT: xrayPort,
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
    ...fn.environment,
    ...stackVariables,
  };
}

/** `2026/01/31/[$LATEST]{32 hex}`, the shape of a Lambda log stream name. */
export function newLogStream(): string {
  return `${new Date().toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]${randomBytes(16).toString('hex')}`;
}
