export { AWS_ASYNC_RETRY_DELAYS_MS } from './async-invoker';
export {
  type InvocationFault,
  LambdaService,
  type LambdaServiceOptions,
  UnknownFunctionError,
} from './lambda-service';
export {
  type EventSourceMappingStats,
  SqsEventSource,
  type SqsEventSourceOptions,
  type SqsRecord,
} from './sqs-event-source';
export type {
  DeadLetterPayload,
  FunctionStats,
  InvocationOutcome,
  InvocationReport,
  InvokeResult,
  LambdaError,
  LambdaStats,
} from './types';
