import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

// The AWS JSON protocol (1.0 and 1.1) as the v3 SDK speaks it: POST /, the operation in
// `X-Amz-Target: <prefix>.<Operation>`, a JSON object in and out, and errors as
// `{ "__type": ..., "message": ... }` with a 4xx/5xx status. Every local service that speaks it
// (DynamoDB, EventBridge, SQS, the endpoint in front of them) writes and reads it through here.

export type JsonObject = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** How one service spells the protocol. */
export interface AwsJsonDialect {
  /** `X-Amz-Target` prefix including the dot, e.g. `AmazonSQS.`. */
  targetPrefix: string;
  /** `1.0` (DynamoDB, SQS) or `1.1` (EventBridge). */
  version: '1.0' | '1.1';
  /** The `__type` of an error code, e.g. `com.amazonaws.sqs#QueueDoesNotExist` (default: the code). */
  errorType?: (code: string) => string;
  /** Extra error headers; SQS's `x-amzn-query-error` is how the SDK picks its exception class. */
  errorHeaders?: (error: AwsJsonError) => Record<string, string>;
}

/** An error a service answers with; any other thrown error becomes a 500 InternalFailure. */
export class AwsJsonError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode = 400,
    /** SQS's awsQueryError code, when it differs from `code`. */
    readonly queryCode: string = code,
  ) {
    super(message);
    this.name = code;
  }
}

export const contentType = (version: AwsJsonDialect['version']): string =>
  `application/x-amz-json-${version}`;

export function writeJson(
  res: ServerResponse,
  status: number,
  payload: unknown,
  version: AwsJsonDialect['version'],
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, {
    'content-type': contentType(version),
    'content-length': String(Buffer.byteLength(body)),
    'x-amzn-requestid': randomUUID(),
    ...headers,
  });
  res.end(body);
}

export function writeError(res: ServerResponse, dialect: AwsJsonDialect, error: AwsJsonError): void {
  const type = dialect.errorType?.(error.code) ?? error.code;
  writeJson(res, error.statusCode, { __type: type, message: error.message }, dialect.version, {
    'x-amzn-errortype': error.code,
    ...dialect.errorHeaders?.(error),
  });
}

/** The operation name of a request, or '' when its target is not for this dialect. */
export function operationOf(req: IncomingMessage, dialect: Pick<AwsJsonDialect, 'targetPrefix'>): string {
  const target = req.headers['x-amz-target'];
  return typeof target === 'string' && target.startsWith(dialect.targetPrefix)
    ? target.slice(dialect.targetPrefix.length)
    : '';
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
}

/** The request body as a JSON object (an empty body is `{}`). */
export function parseInput(body: Buffer): JsonObject {
  let input: unknown;
  try {
    input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch {
    throw new AwsJsonError('SerializationException', 'The request body is not valid JSON.');
  }
  if (!isRecord(input))
    throw new AwsJsonError('SerializationException', 'The request body must be a JSON object.');
  return input;
}

/** What an operation gets besides its input. */
export interface AwsJsonCall {
  /** The response not yet written; a long poll watches it to notice a client that went away. */
  response: ServerResponse;
}

export type AwsJsonOperation = (input: JsonObject, call: AwsJsonCall) => unknown;

export interface AwsJsonServiceDefinition {
  dialect: AwsJsonDialect;
  /** The operations the service implements, by name. */
  operations: Record<string, AwsJsonOperation>;
  /** Names the service in the error an unimplemented operation gets ("The local SQS"). */
  serviceName: string;
  /** The error code for an operation it does not implement (default UnknownOperationException). */
  unsupportedCode?: string;
  unsupportedQueryCode?: string;
  /** Called for every request with its operation ('' when the target is missing). */
  onRequest?: (operation: string) => void;
}

/** A service that answers AWS JSON requests whose body has been read. */
export interface AwsJsonHandler {
  handleRequest(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void>;
}

/** Builds the request handler of a service from the operations it declares. */
export function awsJsonService(definition: AwsJsonServiceDefinition): AwsJsonHandler {
  const { dialect, operations } = definition;
  const unsupported = (operation: string): AwsJsonError =>
    new AwsJsonError(
      definition.unsupportedCode ?? 'UnknownOperationException',
      `${definition.serviceName} does not implement ${operation || 'this operation'}; see docs/local-stack.md.`,
      400,
      definition.unsupportedQueryCode,
    );
  return {
    async handleRequest(req, res, body) {
      const operation = operationOf(req, dialect);
      definition.onRequest?.(operation);
      try {
        if (req.method !== 'POST') throw unsupported(`${req.method} requests`);
        const input = parseInput(body);
        const run = Object.hasOwn(operations, operation) ? operations[operation] : undefined;
        if (!run) throw unsupported(operation);
        writeJson(res, 200, await run(input, { response: res }), dialect.version);
      } catch (error) {
        const e =
          error instanceof AwsJsonError
            ? error
            : new AwsJsonError('InternalFailure', (error as Error).message ?? 'Internal failure', 500);
        writeError(res, dialect, e);
      }
    },
  };
}
