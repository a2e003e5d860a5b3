import type { ConnectionRecord, ConnectionStore, NameClaim } from '../../src/chat/ports';

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
 * `syncMembersIndex()`, however the names changed since.
 */
export class InMemoryConnectionStore implements ConnectionStore {
  readonly connections = new Map<string, ConnectionRecord>();
  readonly names = new Map<string, NameClaim>();
  #membersIndex: NameClaim[] | undefined;

  /** `pageSize`: connection ids per page of connectionPages (small values exercise paging). */
  constructor(
    private readonly pageSize = 100,
    options: { laggingMembersIndex?: boolean } = {},
  ) {
    if (options.laggingMembersIndex) this.#membersIndex = [];
  }

  /** A lagging index catches up with the names (replication finished). */
  syncMembersIndex(): void {
    if (this.#membersIndex) this.#membersIndex = [...this.names.values()].map((claim) => ({ ...claim }));
  }

  /** How many members reads were made, and how many claims they returned (what a Query reads). */
  readonly membersReads = { queries: 0, items: 0 };

  async putConnection(record: ConnectionRecord): Promise<void> {
    await tick();
    this.connections.set(record.connectionId, { ...record });
  }

  async getConnection(connectionId: string): Promise<ConnectionRecord | undefined> {
    await tick();
    return copy(this.connections.get(connectionId));
  }

  async claimName(claim: NameClaim, nowSeconds: number): Promise<boolean> {
    await tick();
    const held = this.names.get(claim.nameKey);
    if (held && held.connectionId !== claim.connectionId && held.expiresAt >= nowSeconds) return false;
    this.names.set(claim.nameKey, { ...claim });
    return true;
  }

  async takeOverName(claim: NameClaim, previous: NameClaim): Promise<boolean> {
    await tick();
    const held = this.names.get(claim.nameKey);
    if (held?.connectionId !== previous.connectionId || held.claimedAt !== previous.claimedAt) return false;
    this.names.set(claim.nameKey, { ...claim });
    return true;
  }

  async getName(nameKey: string): Promise<NameClaim | undefined> {
    await tick();
    return copy(this.names.get(nameKey));
  }

  async setConnectionName(connectionId: string, name: string, nameKey: string) {
    await tick();
    const record = this.connections.get(connectionId);
    if (!record) return undefined;
    const previous = { name: record.name, nameKey: record.nameKey };
    this.connections.set(connectionId, { ...record, name, nameKey });
    return { previous };
  }

  async releaseName(nameKey: string, connectionId: string): Promise<boolean> {
    await tick();
    if (this.names.get(nameKey)?.connectionId !== connectionId) return false;
    this.names.delete(nameKey);
    return true;
  }

  async deleteConnection(connectionId: string): Promise<ConnectionRecord | undefined> {
    await tick();
    const record = this.connections.get(connectionId);
    this.connections.delete(connectionId);
    return record;
  }

  async listMembers(nowSeconds: number): Promise<string[]> {
    await tick();
    const claims = this.#indexed();
    this.membersReads.queries += 1;
    this.membersReads.items += claims.length;
    return claims.filter((claim) => claim.expiresAt > nowSeconds).map((claim) => claim.name);
  }

  async listMembersUpTo(nowSeconds: number, max: number): Promise<{ names: string[]; more: boolean }> {
    await tick();
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

  async *connectionPages(shard: number): AsyncGenerator<string[]> {
    await tick();
    const ids = [...this.connections.values()]
      .filter((record) => record.shard === shard)
      .map((record) => record.connectionId);
    for (let start = 0; start < ids.length; start += this.pageSize) {
      yield ids.slice(start, start + this.pageSize);
      await tick();
    }
  }
}

const tick = (): Promise<void> => Promise.resolve();
const copy = <T extends object>(value: T | undefined): T | undefined => (value ? { ...value } : undefined);
