import { describeConnectionStore } from '../../support/connection-store-contract';
import { InMemoryConnectionStore } from '../../support/in-memory-connection-store';

// The fake the domain tests use keeps the same promises as the DynamoDB store (same suite as
// tests/integration/stores/dynamodb-connection-store.test.ts). Pages of 5 exercise paging.
describeConnectionStore('the in-memory store', async () => new InMemoryConnectionStore(5));

describe('the in-memory store with a lagging Members index (a GSI on AWS)', () => {
  const NOW_SECONDS = 1_800_000_000;
  const claim = (name: string, connectionId: string) => ({
    nameKey: name,
    name,
    connectionId,
    claimedAt: NOW_SECONDS * 1000,
    expiresAt: NOW_SECONDS + 60,
  });

  it('lists members as of the last sync, while the names themselves are read consistently', async () => {
    const store = new InMemoryConnectionStore(5, { laggingMembersIndex: true });
    await store.claimName(claim('alice', 'a='), NOW_SECONDS);
    store.syncMembersIndex();
    await store.claimName(claim('bob', 'b='), NOW_SECONDS);
    await store.releaseName('alice', 'a=');

    await expect(store.listMembers(NOW_SECONDS)).resolves.toEqual(['alice']);
    await expect(store.listMembersUpTo(NOW_SECONDS, 1)).resolves.toEqual({ names: ['alice'], more: false });
    await expect(store.getName('bob')).resolves.toMatchObject({ connectionId: 'b=' });

    store.syncMembersIndex();
    await expect(store.listMembers(NOW_SECONDS)).resolves.toEqual(['bob']);
  });
});
