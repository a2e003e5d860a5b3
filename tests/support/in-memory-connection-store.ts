import type { ConnectionRecord, ConnectionStore, NameClaim } from '../../src/chat/ports';
import { applyStep, type BucketStep } from '../../src/chat/rate-limit';

/**
 * A ConnectionStore in plain maps with the DynamoDB store's semantics: every method is one atomic
 * step (nothing awaits between its read and its write), conditions as documented on the port.
 * `calls` counts the store calls per method, so a test can see what a use case costs.
 */
export class InMemoryConnectionStore implements ConnectionStore {
  readonly connections = new Map<string, ConnectionRecord>();
  readonly names = new Map<string, NameClaim>();
  readonly calls: Record<string, number> = {};

  #count(method: string): void {
    this.calls[method] = (this.calls[method] ?? 0) + 1;
  }

  async putConnection(record: ConnectionRecord): Promise<void> {
    this.#count('putConnection');
    this.connections.set(record.connectionId, structuredClone(record));
  }

  async putConnectionIfAbsent(record: ConnectionRecord): Promise<boolean> {
    this.#count('putConnectionIfAbsent');
    if (this.connections.has(record.connectionId)) return false;
    this.connections.set(record.connectionId, structuredClone(record));
    return true;
  }

  async getConnection(connectionId: string): Promise<ConnectionRecord | undefined> {
    this.#count('getConnection');
    const record = this.connections.get(connectionId);
    return record && structuredClone(record);
  }

  async claimName(claim: NameClaim, nowSeconds: number): Promise<boolean> {
    this.#count('claimName');
    const held = this.names.get(claim.nameKey);
    if (held && held.connectionId !== claim.connectionId && held.expiresAt >= nowSeconds) return false;
    this.names.set(claim.nameKey, { ...claim });
    return true;
  }

  async takeOverName(claim: NameClaim, previous: NameClaim): Promise<boolean> {
    this.#count('takeOverName');
    const held = this.names.get(claim.nameKey);
    if (held?.connectionId !== previous.connectionId || held.claimedAt !== previous.claimedAt) return false;
    this.names.set(claim.nameKey, { ...claim });
    return true;
  }

  async getName(nameKey: string): Promise<NameClaim | undefined> {
    this.#count('getName');
    const claim = this.names.get(nameKey);
    return claim && { ...claim };
  }

  async setConnectionName(connectionId: string, name: string, nameKey: string, step?: BucketStep) {
    this.#count('setConnectionName');
    const record = this.connections.get(connectionId);
    if (!record) return undefined;
    const tat = step ? applyStep(record.tat?.[step.bucket], step) : undefined;
    if (step && tat === undefined) return undefined;
    const previous = { name: record.name, nameKey: record.nameKey };
    record.name = name;
    record.nameKey = nameKey;
    if (step && tat !== undefined) record.tat = { ...record.tat, [step.bucket]: tat };
    return { previous };
  }

  async stepBucket(connectionId: string, step: BucketStep): Promise<boolean> {
    this.#count('stepBucket');
    const record = this.connections.get(connectionId);
    if (!record) return false;
    const tat = applyStep(record.tat?.[step.bucket], step);
    if (tat === undefined) return false;
    record.tat = { ...record.tat, [step.bucket]: tat };
    return true;
  }

  async releaseName(nameKey: string, connectionId: string): Promise<boolean> {
    this.#count('releaseName');
    if (this.names.get(nameKey)?.connectionId !== connectionId) return false;
    this.names.delete(nameKey);
    return true;
  }

  async deleteConnection(
    connectionId: string,
    connectedBefore?: number,
  ): Promise<ConnectionRecord | undefined> {
    this.#count('deleteConnection');
    const record = this.connections.get(connectionId);
    if (!record) return undefined;
    if (connectedBefore !== undefined && !(record.connectedAt < connectedBefore)) return undefined;
    this.connections.delete(connectionId);
    return record;
  }

  async listMembers(nowSeconds: number): Promise<string[]> {
    this.#count('listMembers');
    return [...this.names.values()]
      .filter((claim) => claim.expiresAt > nowSeconds)
      .map((claim) => claim.name);
  }

  async *connectionPages(shard: number): AsyncGenerator<string[]> {
    this.#count('connectionPages');
    const ids = [...this.connections.values()]
      .filter((record) => record.shard === shard)
      .map((record) => record.connectionId)
      .sort();
    if (ids.length > 0) yield ids;
  }
}
