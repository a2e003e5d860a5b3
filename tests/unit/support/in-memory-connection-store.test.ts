import { describeConnectionStore } from '../../support/connection-store-contract';
import { InMemoryConnectionStore } from '../../support/in-memory-connection-store';

// The fake the domain tests use keeps the same promises as the DynamoDB store (same suite as
// tests/integration/stores/dynamodb-connection-store.test.ts). Pages of 5 exercise paging.
describeConnectionStore('the in-memory store', async () => new InMemoryConnectionStore(5));
