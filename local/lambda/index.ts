export {
  type DeadLetterPayload,
  type InvocationOutcome,
  type InvocationReport,
  type InvokeResult,
  type LambdaError,
  LambdaService,
  type LambdaServiceOptions,
  type LambdaStats,
  traceHeader,
  UnknownFunctionError,
} from './lambda-service';
