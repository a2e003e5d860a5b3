export type { MessageAttributeValue } from './md5';
export { md5OfMessageAttributes } from './md5';
export {
  type PolledQueue,
  type QueueDepth,
  SqsError,
  SqsService,
  type SqsServiceOptions,
  type SqsStats,
  type StoredMessage,
} from './sqs-service';
