export type { MessageAttributeValue } from './md5';
export { md5OfMessageAttributes } from './md5';
export { type QueueDepth, SqsError, SqsService, type SqsServiceOptions, type SqsStats } from './sqs-service';
