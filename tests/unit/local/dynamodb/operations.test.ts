import { readdirSync } from 'node:fs';
import path from 'node:path';
import { DYNALITE_OPERATIONS } from '../../../../local/dynamodb';

describe('the DynamoDB operations the local stack passes to dynalite', () => {
  // dynalite has one module per operation it implements; the list must follow it when it is upgraded.
  const implemented = readdirSync(path.join(path.dirname(require.resolve('dynalite')), 'actions'))
    .filter((file) => file.endsWith('.js'))
    .map((file) => file.charAt(0).toUpperCase() + file.slice(1, -'.js'.length));

  it('are exactly the ones dynalite implements, apart from the TTL operations answered locally', () => {
    const expected = implemented.filter((name) => name !== 'DescribeTimeToLive').sort();
    expect([...DYNALITE_OPERATIONS].sort()).toEqual(expected);
  });

  it('leave out the transactions dynalite lacks', () => {
    expect(DYNALITE_OPERATIONS.has('TransactWriteItems')).toBe(false);
    expect(DYNALITE_OPERATIONS.has('TransactGetItems')).toBe(false);
    expect(DYNALITE_OPERATIONS.has('ExecuteStatement')).toBe(false);
  });
});
