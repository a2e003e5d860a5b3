import type { ConnectionRecord, ConnectionStore, NameClaim } from '../../src/chat/ports';
import { applyStep, type BucketStep } from '../../src/chat/rate-limit';
import {
  type AudienceRange,
  type ConnectionKey,
  compareKeys,
  inRange,
  shardQueries,
} from '../../src/chat/sharding';

/**
 * The ConnectionStore port in memory, for domain tests. It keeps the promises of ports.ts the way
 * the DynamoDB store does with its condition expressions (tests/integration/stores checks that
 * store against dynalite): claims are conditional, releases only delete one's own claim, members
 * are unexpired claims and shards are read a page at a time. Every read returns a copy.
 *
 * Races are reproduced by interleaving calls (each method awaits once before it touches the maps,
 * as a network call would) or by wrapping a method on the instance.
 *
 * With `laggingMembersIndex`, the members reads behave like a DynamoDB global secondary index on
 * AWS (eventually consistent; dynalite's are not): they return the claims as they were at the last
 * `syncMembersIndex()`, however the names changed since. `laggingShardIndex` does the same for the
 * shard index (audiencePages, inShardIndex) with `syncShardIndex()`.
 *
 * `calls` counts the store calls per method, so a test can see what a use case costs.
 */
export class InMemoryConnectionStore implements ConnectionStore {
  readonly connections = new Map<string, ConnectionRecord>();
  readonly names = new Map<string, NameClaim>();
  readonly calls: Record<string, number> = {};
  #membersIndex: NameClaim[] | undefined;
  #shardIndex: ConnectionRecord[] | undefined;

  /** `pageSize`: connections per page of audiencePages (small values exercise paging). */
  constructor(
    private readonly pageSize = 100,
    options: { laggingMembersIndex?: boolean; laggingShardIndex?: boolean } = {},
  ) {
    if (options.laggingMembersIndex) this.#membersIndex = [];
    if (options.laggingShardIndex) this.#shardIndex = [];
  }

  /** A lagging shard index catches up with the connections. */
  syncShardIndex(): void {
    if (this.#shardIndex) this.#shardIndex = [...this.connections.values()].map((record) => ({ ...record }));
  }

  async #call(method: string): Promise<void> {
    this.calls[method] = (this.calls[method] ?? 0) + 1;
    await tick();
  }

  /** A lagging index catches up with the names (replication finished). */
  syncMembersIndex(): void {
    if (this.#membersIndex) this.#membersIndex = [...this.names.values()].map((claim) => ({ ...claim }));
  }

  /** How many members reads were made, and how many claims they returned (what a Query reads). */
  readonly membersReads = { queries: 0, items: 0 };

  async putConnection(record: ConnectionRecord): Promise<void> {
    await this.#call('putConnection');
    this.connections.set(record.connectionId, { ...record });
  }

  async putConnectionIfAbsent(record: ConnectionRecord): Promise<boolean> {
    await this.#call('putConnectionIfAbsent');
    if (this.connections.has(record.connectionId)) return false;
    this.connections.set(record.connectionId, { ...record });
    return true;
  }

  async getConnection(connectionId: string): Promise<ConnectionRecord | undefined> {
    await this.#call('getConnection');
    return copy(this.connections.get(connectionId));
  }

  async claimName(claim: NameClaim, nowSeconds: number): Promise<boolean> {
    await this.#call('claimName');
    const held = this.names.get(claim.nameKey);
    if (held && held.connectionId !== claim.connectionId && held.expiresAt >= nowSeconds) return false;
    this.names.set(claim.nameKey, { ...claim });
    return true;
  }

  async takeOverName(claim: NameClaim, previous: NameClaim): Promise<boolean> {
    await this.#call('takeOverName');
    const held = this.names.get(claim.nameKey);
    if (held?.connectionId !== previous.connectionId || held.claimedAt !== previous.claimedAt) return false;
    this.names.set(claim.nameKey, { ...claim });
    return true;
  }

  async getName(nameKey: string): Promise<NameClaim | undefined> {
    await this.#call('getName');
    return copy(this.names.get(nameKey));
  }

  async getNames(nameKeys: readonly string[]): Promise<Map<string, NameClaim>> {
    await this.#call('getNames');
    const claims = new Map<string, NameClaim>();
    for (const key of nameKeys) {
      const claim = this.names.get(key);
      if (claim) claims.set(key, { ...claim });
    }
    return claims;
  }

  async setConnectionName(connectionId: string, name: string, nameKey: string, step?: BucketStep) {
    await this.#call('setConnectionName');
    const record = this.connections.get(connectionId);
    if (!record) return undefined;
    // The name change takes its rate-limit token in the same write, or does not happen.
    const tat = step ? applyStep(record.tat?.[step.bucket], step) : undefined;
    if (step && tat === undefined) return undefined;
    const previous = { name: record.name, nameKey: record.nameKey };
    const stepped = step && tat !== undefined ? { tat: { ...record.tat, [step.bucket]: tat } } : {};
    this.connections.set(connectionId, { ...record, name, nameKey, ...stepped });
    return { previous };
  }

  async stepBucket(connectionId: string, step: BucketStep): Promise<boolean> {
    await this.#call('stepBucket');
    const record = this.connections.get(connectionId);
    if (!record) return false;
    const tat = applyStep(record.tat?.[step.bucket], step);
    if (tat === undefined) return false;
    this.connections.set(connectionId, { ...record, tat: { ...record.tat, [step.bucket]: tat } });
    return true;
  }

  async releaseName(nameKey: string, connectionId: string): Promise<boolean> {
    await this.#call('releaseName');
    if (this.names.get(nameKey)?.connectionId !== connectionId) return false;
    this.names.delete(nameKey);
    return true;
  }

  /** With `connectedBefore`, deletes only a record written before then (the conditional delete). */
  async deleteConnection(
    connectionId: string,
    connectedBefore?: number,
  ): Promise<ConnectionRecord | undefined> {
    await this.#call('deleteConnection');
    const record = this.connections.get(connectionId);
    if (!record) return undefined;
    if (connectedBefore !== undefined && !(record.connectedAt < connectedBefore)) return undefined;
    this.connections.delete(connectionId);
    return record;
  }

  async listMembers(nowSeconds: number): Promise<string[]> {
    await this.#call('listMembers');
    const claims = this.#indexed();
    this.membersReads.queries += 1;
    this.membersReads.items += claims.length;
    return claims.filter((claim) => claim.expiresAt > nowSeconds).map((claim) => claim.name);
  }

  async listMembersUpTo(nowSeconds: number, max: number): Promise<{ names: string[]; more: boolean }> {
    await this.#call('listMembersUpTo');
    const names: string[] = [];
    this.membersReads.queries += 1;
    // Reads claims only until it has seen one more live member than `max`, as the Query does.
    for (const claim of this.#indexed()) {
      this.membersReads.items += 1;
      if (claim.expiresAt <= nowSeconds) continue;
      if (names.length === max) return { names, more: true };
      names.push(claim.name);
    }
    return { names, more: false };
  }

  #indexed(): NameClaim[] {
    return this.#membersIndex ?? [...this.names.values()];
  }

  /**
   * Like the Query: one call per page of each shard the range spans, an empty shard included; reads
   * the lagging shard index when there is one.
   */
  async *audiencePages(range: AudienceRange, shardCount: number): AsyncGenerator<ConnectionKey[]> {
    for (const { shard } of shardQueries(range, shardCount)) {
      const keys = (this.#shardIndex ?? [...this.connections.values()])
        .map((record) => ({ shard: record.shard, connectionId: record.connectionId }))
        .filter((key) => key.shard === shard && inRange(key, range))
        .sort(compareKeys);
      let start = 0;
      do {
        await this.#call('audiencePages');
        const page = keys.slice(start, start + this.pageSize);
        if (page.length > 0) yield page;
        start += this.pageSize;
        await tick();
      } while (start < keys.length);
    }
  }

  async inShardIndex(connectionId: string, shard: number): Promise<boolean> {
    await this.#call('inShardIndex');
    return (this.#shardIndex ?? [...this.connections.values()]).some(
      (record) => record.connectionId === connectionId && record.shard === shard,
    );
  }

  async isListed(nameKey: string): Promise<boolean> {
    await this.#call('isListed');
    return this.#indexed().some((claim) => claim.nameKey === nameKey);
  }
}

const tick = (): Promise<void> => Promise.resolve();
const copy = <T extends object>(value: T | undefined): T | undefined => (value ? { ...value } : undefined);
