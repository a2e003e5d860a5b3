export {
  type DynamoDbStats,
  type DynamoTable,
  type LocalDynamoDb,
  type StartDynamoDbOptions,
  startDynamoDb,
} from './dynamodb';
export { DYNALITE_OPERATIONS } from './unsupported';
