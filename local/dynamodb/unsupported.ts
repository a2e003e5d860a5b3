/**
 * The DynamoDB operations dynalite 4 implements. Anything else (TransactWriteItems,
 * TransactGetItems, PartiQL's ExecuteStatement, backups, streams...) gets an
 * UnknownOperationException that names the operation, so the cause is obvious;
 * docs/local-stack.md lists the gaps. UpdateTimeToLive and DescribeTimeToLive are answered by
 * the local stack itself (dynalite has no TTL).
 */
export const DYNALITE_OPERATIONS = new Set([
  'BatchGetItem',
  'BatchWriteItem',
  'CreateTable',
  'DeleteItem',
  'DeleteTable',
  'DescribeTable',
  'GetItem',
  'ListTables',
  'PutItem',
  'Query',
  'Scan',
  'TagResource',
  'UntagResource',
  'ListTagsOfResource',
  'UpdateItem',
  'UpdateTable',
]);

export const TTL_OPERATIONS = new Set(['UpdateTimeToLive', 'DescribeTimeToLive']);
