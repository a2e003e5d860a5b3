import type { IncomingMessage, RequestListener, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import {
  type AttributeValue,
  CreateTableCommand,
  type CreateTableCommandInput,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';

// AWS's global secondary indexes are eventually consistent: a write reaches them a little after the
// table (usually well under a second, more under load). dynalite updates them in the same write.
// With a lag, the local stack keeps a second, in-memory dynalite whose tables are the lagged copies
// of the real ones: every write's resulting item image is logged with its time and applied to the
// copy `lagMs` later, in order, and Query/Scan on a global secondary index is served from the copy.
// So an index read returns the index as it was `lagMs` ago (dynalite still evaluates the key
// condition, filter, projection and paging), while table reads (and local secondary indexes,
// which are consistent on AWS when asked) read the real table.

/** Operations whose successful answer changed items (what the lagged copy must replay). */
export const WRITE_OPERATIONS = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);
/** Operations that may read a global secondary index. */
export const INDEX_READ_OPERATIONS = new Set(['Query', 'Scan']);

/** A header on the stack's own requests to dynalite, which are not counted as calls. */
export const INTERNAL_HEADER = 'x-local-stack-internal';

export interface LaggedTable {
  tableName: string;
  createTableInput: CreateTableCommandInput;
}

type Item = Record<string, AttributeValue>;

interface Pending {
  dueAt: number;
  tableName: string;
  key: Item;
  /** The item after the write; undefined when it was deleted. */
  image: Item | undefined;
}

export interface LaggingIndexesOptions {
  lagMs: number;
  tables: LaggedTable[];
  /** The real dynalite (its own address), read for the image a write left. */
  baseEndpoint: string;
  region: string;
  onWarning?: (message: string) => void;
  now?: () => number;
}

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/** A client for the stack's own calls to dynalite: they carry INTERNAL_HEADER, so they are not counted. */
export function internalClient(endpoint: string, region: string): DynamoDBClient {
  const client = new DynamoDBClient({ endpoint, region, credentials });
  client.middlewareStack.add(
    (next) => (args) => {
      (args.request as { headers: Record<string, string> }).headers[INTERNAL_HEADER] = '1';
      return next(args);
    },
    { step: 'build', name: 'localStackInternal' },
  );
  return client;
}

/** A request whose body has already been read, replayed for a handler that reads it again. */
export function replayRequest(req: IncomingMessage, body: Buffer): IncomingMessage {
  const copy = new PassThrough();
  // `complete`: the whole body is there (the stack takes a close without it for a cut-off request).
  Object.assign(copy, {
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    method: req.method,
    url: req.url,
    complete: true,
  });
  copy.end(body);
  return copy as unknown as IncomingMessage;
}

export class LaggingIndexes {
  private readonly keyNames = new Map<string, string[]>();
  private readonly globalIndexes = new Map<string, Set<string>>();
  /** The capture of each item's image, chained per item so its images are logged in write order. */
  private readonly captures = new Map<string, Promise<void>>();
  private readonly log: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private applying: Promise<void> | undefined;
  private closed = false;
  private waiters: (() => void)[] = [];
  private readonly now: () => number;

  private constructor(
    private readonly options: LaggingIndexesOptions,
    private readonly server: Server,
    /** Serves reads of the lagged copy. */
    readonly handleIndexRead: RequestListener,
    private readonly base: DynamoDBClient,
    private readonly copy: DynamoDBClient,
  ) {
    this.now = options.now ?? Date.now;
    for (const table of options.tables) {
      this.keyNames.set(
        table.tableName,
        (table.createTableInput.KeySchema ?? []).map((key) => key.AttributeName as string),
      );
      this.globalIndexes.set(
        table.tableName,
        new Set((table.createTableInput.GlobalSecondaryIndexes ?? []).map((gsi) => gsi.IndexName as string)),
      );
    }
  }

  /** Starts the lagged copy of the tables that have global secondary indexes, from their current items. */
  static async start(options: LaggingIndexesOptions): Promise<LaggingIndexes> {
    const tables = options.tables.filter(
      (table) => (table.createTableInput.GlobalSecondaryIndexes ?? []).length,
    );
    const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const handler = server.listeners('request')[0] as RequestListener;
    const base = internalClient(options.baseEndpoint, options.region);
    const copy = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: options.region,
      credentials,
    });
    const indexes = new LaggingIndexes({ ...options, tables }, server, handler, base, copy);
    for (const table of tables) {
      await copy.send(new CreateTableCommand({ ...table.createTableInput, TableName: table.tableName }));
      // A persisted table starts with items: the indexes have long caught up with them.
      let ExclusiveStartKey: Item | undefined;
      do {
        const page = await base.send(new ScanCommand({ TableName: table.tableName, ExclusiveStartKey }));
        for (const Item of page.Items ?? [])
          await copy.send(new PutItemCommand({ TableName: table.tableName, Item }));
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey);
    }
    return indexes;
  }

  /** True when this request reads a global secondary index of a lagged table. */
  readsLaggedIndex(operation: string, input: Record<string, unknown>): boolean {
    if (!INDEX_READ_OPERATIONS.has(operation) || typeof input.IndexName !== 'string') return false;
    return this.globalIndexes.get(String(input.TableName))?.has(input.IndexName) ?? false;
  }

  /** Logs the images a successful write left, to reach the indexes `lagMs` from now. */
  written(operation: string, input: Record<string, unknown>): void {
    if (this.closed) return;
    if (operation === 'BatchWriteItem') {
      const requests = (input.RequestItems ?? {}) as Record<
        string,
        { PutRequest?: { Item?: Item }; DeleteRequest?: { Key?: Item } }[]
      >;
      for (const [tableName, writes] of Object.entries(requests)) {
        for (const write of Array.isArray(writes) ? writes : []) {
          const item = write.PutRequest?.Item ?? write.DeleteRequest?.Key;
          if (item) this.capture(tableName, item);
        }
      }
      return;
    }
    const item = (operation === 'PutItem' ? input.Item : input.Key) as Item | undefined;
    if (typeof input.TableName === 'string' && item) this.capture(input.TableName, item);
  }

  /** Resolves when every logged write has reached the indexes. */
  settled(): Promise<void> {
    if (this.idle()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    // dynalite throws (uncaught) on a request that reaches a closed database: finish them first.
    await Promise.allSettled([...this.captures.values(), this.applying]);
    this.log.length = 0;
    this.base.destroy();
    this.copy.destroy();
    this.server.closeAllConnections?.();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const wake of this.waiters.splice(0)) wake();
  }

  private capture(tableName: string, item: Item): void {
    const keyNames = this.keyNames.get(tableName);
    if (!keyNames?.length || !this.globalIndexes.get(tableName)?.size) return;
    const key = Object.fromEntries(keyNames.map((name) => [name, item[name] as AttributeValue]));
    const id = `${tableName}\u0000${JSON.stringify(keyNames.map((name) => key[name]))}`;
    const previous = this.captures.get(id) ?? Promise.resolve();
    const next = previous
      .then(async () => {
        if (this.closed) return;
        const { Item } = await this.base.send(
          new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true }),
        );
        this.log.push({ dueAt: this.now() + this.options.lagMs, tableName, key, image: Item });
        this.schedule();
      })
      .catch((error: unknown) => {
        if (!this.closed)
          this.options.onWarning?.(
            `GSI lag: could not read the item a write left in ${tableName}: ${String(error)}`,
          );
      });
    this.captures.set(id, next);
    void next.then(() => {
      if (this.captures.get(id) === next) this.captures.delete(id);
      this.wakeIfIdle();
    });
  }

  private schedule(): void {
    if (this.timer || this.applying || this.closed) return;
    const head = this.log[0];
    if (!head) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.applying = this.applyDue().finally(() => {
          this.applying = undefined;
          this.schedule();
          this.wakeIfIdle();
        });
      },
      Math.max(0, head.dueAt - this.now()),
    );
  }

  /** Applies the writes that are due to the lagged copy, oldest first, one at a time. */
  private async applyDue(): Promise<void> {
    while (!this.closed && this.log.length > 0 && (this.log[0] as Pending).dueAt <= this.now()) {
      const { tableName, key, image } = this.log.shift() as Pending;
      try {
        if (image) await this.copy.send(new PutItemCommand({ TableName: tableName, Item: image }));
        else await this.copy.send(new DeleteItemCommand({ TableName: tableName, Key: key }));
      } catch (error) {
        if (!this.closed)
          this.options.onWarning?.(
            `GSI lag: could not update the lagged index of ${tableName}: ${String(error)}`,
          );
      }
    }
  }

  private idle(): boolean {
    return this.closed || (this.captures.size === 0 && this.log.length === 0 && this.applying === undefined);
  }

  private wakeIfIdle(): void {
    if (this.idle()) for (const wake of this.waiters.splice(0)) wake();
  }
}
