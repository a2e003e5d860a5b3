import type { ConnectionRecord, ConnectionStore, NameClaim } from '../../src/chat/ports';

/**
 * The ConnectionStore port in memory, for domain tests. It keeps the promises of ports.ts the way
 * the DynamoDB store does with its condition expressions (tests/integration/stores checks that
 * store against dynalite): claims are conditional, releases only delete one's own claim, members
 * are unexpired claims and shards are read a page at a time. Every read returns a copy.
 *
 * Races are reproduced by interleaving calls (each method awaits once before it touches the maps,
 * as a network call would) or by wrapping a method on the instance.
 */
export class InMemoryConnectionStore implements ConnectionStore {
  readonly connections = new Map<string, ConnectionRecord>();
  readonly names = new Map<string, NameClaim>();

  /** `pageSize`: connection ids per page of connectionPages (small values exercise paging). */
  constructor(private readonly pageSize = 100) {}

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
    return [...this.names.values()]
      .filter((claim) => claim.expiresAt > nowSeconds)
      .map((claim) => claim.name);
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
