import { mkdirSync } from 'node:fs';
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AttributeValue,
  CreateTableCommand,
  type CreateTableCommandInput,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  ScanCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import {
  type AwsJsonDialect,
  AwsJsonError,
  operationOf,
  parseInput,
  readBody,
  writeError,
  writeJson,
} from '../aws-json';
import type { LocalService } from '../service';
import {
  INDEX_READ_OPERATIONS,
  INTERNAL_HEADER,
  internalClient,
  LaggingIndexes,
  replayRequest,
  WRITE_OPERATIONS,
} from './gsi-lag';
import { DYNALITE_OPERATIONS, TTL_OPERATIONS } from './unsupported';

/** The parts of the stack model's TableModel this module needs. */
export interface DynamoTable {
  tableName: string;
  createTableInput: CreateTableCommandInput;
  ttlAttribute?: string;
}

export interface StartDynamoDbOptions {
  /** Keep the data in LevelDB files under this directory (tables that exist are kept). */
  persistDir?: string;
  /** How often expired TTL items are deleted; 0 turns the sweep off. Default 30 s. */
  ttlSweepIntervalMs?: number;
  region?: string;
  /**
   * How long a write takes to show in global secondary indexes (AWS's are eventually consistent;
   * dynalite's are not). Default 0: at once.
   */
  gsiLagMs?: number;
  onWarning?: (message: string) => void;
}

/** What dynalite was asked, and what the local TTL sweep removed, since the last resetStats(). */
export interface DynamoDbStats {
  requests: number;
  ttlItemsDeleted: number;
}

export interface LocalDynamoDb extends LocalService<DynamoDbStats> {
  /** dynalite's own address (with the local TTL operations), for tools and table setup. */
  endpoint: string;
  /** Serves one DynamoDB JSON request whose body has not been read yet. */
  handleRequest(req: IncomingMessage, res: ServerResponse): void;
  /** The tables' TTL attributes by table name. */
  ttlAttributes(): Map<string, string>;
  /** Deletes every item whose TTL attribute is in the past; returns how many. */
  sweepExpiredItems(nowSeconds?: number): Promise<number>;
  close(): Promise<void>;
}

const zeroStats = (): DynamoDbStats => ({ requests: 0, ttlItemsDeleted: 0 });

const DIALECT: AwsJsonDialect = {
  targetPrefix: 'DynamoDB_20120810.',
  version: '1.0',
  errorType: (code) => `com.amazonaws.dynamodb.v20120810#${code}`,
};

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  writeError(res, DIALECT, new AwsJsonError(code, message, status));
}

/**
 * Starts dynalite on 127.0.0.1 (a random port), creates the model's tables with the real SDK and
 * enables their TTL. dynalite stores TTL settings nowhere and never expires items, so this module
 * answers UpdateTimeToLive/DescribeTimeToLive itself and sweeps expired items periodically (AWS
 * deletes them "within a few days"; reads must filter expired items in both cases).
 */
export async function startDynamoDb(
  model: { tables: DynamoTable[]; region?: string },
  options: StartDynamoDbOptions = {},
): Promise<LocalDynamoDb> {
  if (options.persistDir) mkdirSync(options.persistDir, { recursive: true });
  const server: Server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.persistDir ? { path: options.persistDir } : {}),
  });
  const dynaliteHandler = server.listeners('request')[0] as RequestListener;
  const ttl = new Map<string, string>();
  const warned = new Set<string>();
  let client: DynamoDBClient | undefined;

  async function tableExists(tableName: unknown): Promise<boolean> {
    if (typeof tableName !== 'string' || !client) return false;
    try {
      await client.send(new DescribeTableCommand({ TableName: tableName }));
      return true;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return false;
      throw error;
    }
  }

  async function handleTtl(operation: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const input = parseInput(await readBody(req));
    if (!(await tableExists(input.TableName))) {
      sendError(res, 400, 'ResourceNotFoundException', 'Requested resource not found');
      return;
    }
    const tableName = input.TableName as string;
    if (operation === 'DescribeTimeToLive') {
      const attribute = ttl.get(tableName);
      writeJson(
        res,
        200,
        {
          TimeToLiveDescription: attribute
            ? { TimeToLiveStatus: 'ENABLED', AttributeName: attribute }
            : { TimeToLiveStatus: 'DISABLED' },
        },
        DIALECT.version,
      );
      return;
    }
    const spec = input.TimeToLiveSpecification as { AttributeName?: unknown; Enabled?: unknown } | undefined;
    if (!spec || typeof spec.AttributeName !== 'string' || typeof spec.Enabled !== 'boolean') {
      sendError(
        res,
        400,
        'ValidationException',
        'TimeToLiveSpecification with AttributeName and Enabled is required',
      );
      return;
    }
    const current = ttl.get(tableName);
    if (spec.Enabled && current !== undefined) {
      sendError(res, 400, 'ValidationException', 'TimeToLive is already enabled');
      return;
    }
    if (spec.Enabled) ttl.set(tableName, spec.AttributeName);
    else ttl.delete(tableName);
    writeJson(
      res,
      200,
      {
        TimeToLiveSpecification: { AttributeName: spec.AttributeName, Enabled: spec.Enabled },
      },
      DIALECT.version,
    );
  }

  // Requests handed to dynalite and not answered yet. dynalite throws (an uncaught exception that
  // kills the host process) when an operation reaches its database after close, so close() lets
  // these finish first and refuses new ones.
  let closing = false;
  let inFlight = 0;
  let idleWaiters: (() => void)[] = [];
  let counters = zeroStats();
  const idle = (): Promise<void> =>
    inFlight === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve));
  const settled = (): void => {
    inFlight -= 1;
    if (inFlight === 0) for (const wake of idleWaiters.splice(0)) wake();
  };
  let lagging: LaggingIndexes | undefined;
  const toDynalite = (
    req: IncomingMessage,
    res: ServerResponse,
    handler: RequestListener = dynaliteHandler,
    answered?: (statusCode: number) => void,
  ): void => {
    inFlight += 1;
    if (req.headers[INTERNAL_HEADER] === undefined) counters.requests += 1;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      answered?.(res.statusCode);
      settled();
    };
    // dynalite ends every request it runs with res.end, even when the client has gone.
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    res.end = ((...args: unknown[]) => {
      finish();
      return end(...args);
    }) as ServerResponse['end'];
    // A request cut off before its whole body arrived never reaches dynalite's database.
    req.once('close', () => {
      if (!req.complete) finish();
    });
    handler(req, res);
  };

  // Index reads are looked at before dynalite sees them: dynalite lets a Scan of a global secondary
  // index through with ConsistentRead, which AWS rejects. With a GSI lag, writes are also logged for
  // the lagged indexes, and index reads go to them.
  const throughIndexes = (operation: string, req: IncomingMessage, res: ServerResponse): void => {
    inFlight += 1; // the body is read before dynalite sees the request: close() must wait for it too
    readBody(req)
      .then(async (body) => {
        let input: Record<string, unknown> = {};
        try {
          input = parseInput(body);
        } catch {
          // dynalite answers malformed JSON with AWS's own error.
        }
        if (
          INDEX_READ_OPERATIONS.has(operation) &&
          input.ConsistentRead === true &&
          (await readsGlobalIndex(input))
        ) {
          sendError(
            res,
            400,
            'ValidationException',
            'Consistent reads are not supported on global secondary indexes',
          );
          return;
        }
        const replayed = replayRequest(req, body);
        if (lagging?.readsLaggedIndex(operation, input)) toDynalite(replayed, res, lagging.handleIndexRead);
        else if (lagging && WRITE_OPERATIONS.has(operation)) {
          const indexes = lagging;
          toDynalite(replayed, res, dynaliteHandler, (status) => {
            if (status === 200) indexes.written(operation, input);
          });
        } else toDynalite(replayed, res);
      })
      .catch((error: unknown) => {
        if (!res.headersSent) sendError(res, 500, 'InternalServerError', String(error));
        else res.destroy();
      })
      .finally(settled);
  };

  let internal: DynamoDBClient | undefined;
  async function readsGlobalIndex(input: Record<string, unknown>): Promise<boolean> {
    if (typeof input.IndexName !== 'string' || typeof input.TableName !== 'string' || !internal) return false;
    try {
      const { Table } = await internal.send(new DescribeTableCommand({ TableName: input.TableName }));
      return (Table?.GlobalSecondaryIndexes ?? []).some((index) => index.IndexName === input.IndexName);
    } catch {
      return false; // dynalite answers a missing table with AWS's own error
    }
  }

  const handleRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (closing) {
      req.resume();
      sendError(res, 500, 'InternalServerError', 'The local stack is stopping');
      return;
    }
    const operation = operationOf(req, DIALECT);
    if (TTL_OPERATIONS.has(operation)) {
      handleTtl(operation, req, res).catch((error: unknown) => {
        if (error instanceof AwsJsonError) writeError(res, DIALECT, error);
        else sendError(res, 500, 'InternalServerError', String(error));
      });
      return;
    }
    if (operation !== '' && !DYNALITE_OPERATIONS.has(operation)) {
      req.resume();
      if (!warned.has(operation)) {
        warned.add(operation);
        options.onWarning?.(`DynamoDB ${operation} is not implemented by dynalite, the local DynamoDB`);
      }
      sendError(
        res,
        400,
        'UnknownOperationException',
        `${operation} is not supported by the local stack's DynamoDB (dynalite); see docs/local-stack.md`,
      );
      return;
    }
    if (INDEX_READ_OPERATIONS.has(operation) || (lagging && WRITE_OPERATIONS.has(operation))) {
      throughIndexes(operation, req, res);
      return;
    }
    toDynalite(req, res);
  };

  server.removeAllListeners('request');
  server.on('request', handleRequest);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  client = new DynamoDBClient({
    endpoint,
    region: options.region ?? model.region ?? 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  internal = internalClient(endpoint, options.region ?? model.region ?? 'us-east-1');

  for (const table of model.tables) {
    try {
      await client.send(new CreateTableCommand({ ...table.createTableInput, TableName: table.tableName }));
    } catch (error) {
      // With --persist the table is already there: keep it and its items.
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    if (table.ttlAttribute && !ttl.has(table.tableName)) {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName: table.tableName,
          TimeToLiveSpecification: { AttributeName: table.ttlAttribute, Enabled: true },
        }),
      );
    }
  }

  if (options.gsiLagMs !== undefined && options.gsiLagMs > 0) {
    lagging = await LaggingIndexes.start({
      lagMs: options.gsiLagMs,
      tables: model.tables,
      baseEndpoint: endpoint,
      region: options.region ?? model.region ?? 'us-east-1',
      onWarning: options.onWarning,
    });
  }

  async function sweepExpiredItems(nowSeconds = Math.floor(Date.now() / 1000)): Promise<number> {
    if (!client) return 0;
    let deleted = 0;
    for (const [tableName, attribute] of ttl) {
      let keyNames: string[];
      try {
        const described = await client.send(new DescribeTableCommand({ TableName: tableName }));
        keyNames = (described.Table?.KeySchema ?? []).map((key) => key.AttributeName as string);
      } catch (error) {
        if (error instanceof ResourceNotFoundException) continue;
        throw error;
      }
      let startKey: Record<string, AttributeValue> | undefined;
      do {
        const page = await client.send(
          new ScanCommand({
            TableName: tableName,
            ExclusiveStartKey: startKey,
            // Only Number attributes expire, as in AWS; items without the attribute never do.
            FilterExpression: '#ttl < :now',
            ExpressionAttributeNames: { '#ttl': attribute },
            ExpressionAttributeValues: { ':now': { N: String(nowSeconds) } },
          }),
        );
        for (const item of page.Items ?? []) {
          const key = Object.fromEntries(keyNames.map((name) => [name, item[name] as AttributeValue]));
          try {
            // The condition keeps an item whose TTL was extended since the scan.
            await client.send(
              new DeleteItemCommand({
                TableName: tableName,
                Key: key,
                ConditionExpression: '#ttl < :now',
                ExpressionAttributeNames: { '#ttl': attribute },
                ExpressionAttributeValues: { ':now': { N: String(nowSeconds) } },
              }),
            );
            deleted++;
          } catch (error) {
            if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
          }
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }
    counters.ttlItemsDeleted += deleted;
    return deleted;
  }

  const interval = options.ttlSweepIntervalMs ?? 30_000;
  let sweeping: Promise<unknown> | undefined;
  const timer =
    interval > 0
      ? setInterval(() => {
          if (sweeping) return;
          sweeping = sweepExpiredItems()
            .catch((error: unknown) => options.onWarning?.(`TTL sweep failed: ${String(error)}`))
            .finally(() => {
              sweeping = undefined;
            });
        }, interval)
      : undefined;
  timer?.unref();

  return {
    endpoint,
    handleRequest,
    ttlAttributes: () => new Map(ttl),
    sweepExpiredItems,
    stats: () => ({ ...counters }),
    resetStats: () => {
      counters = zeroStats();
    },
    // Pending index updates are work accepted too: drain waits until the indexes have caught up.
    drain: async () => {
      await lagging?.settled();
      await idle();
    },
    async close() {
      if (timer) clearInterval(timer);
      await sweeping;
      await lagging?.close();
      closing = true;
      if (inFlight > 0) {
        // Bounded: a request dynalite never answers must not hold the stop forever.
        await new Promise<void>((resolve) => {
          const limit = setTimeout(resolve, 10_000);
          limit.unref();
          idleWaiters.push(() => {
            clearTimeout(limit);
            resolve();
          });
        });
      }
      idleWaiters = [];
      internal?.destroy();
      client?.destroy();
      client = undefined;
      server.closeAllConnections?.();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}
