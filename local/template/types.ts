import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/** A SAM/CloudFormation template resolved to local, AWS-shaped values (see docs/local-stack-design.md). */
export interface StackModel {
  templatePath: string;
  templateDir: string;
  region: string;
  accountId: string;
  stackName: string;
  parameters: Record<string, string>;
  functions: FunctionModel[];
  webSocketApis: WebSocketApiModel[];
  /** Always includes the account's `default` bus. */
  eventBuses: EventBusModel[];
  rules: RuleModel[];
  tables: TableModel[];
  queues: QueueModel[];
  /** SQS -> Lambda event source mappings (SAM `Type: SQS` events and `AWS::Lambda::EventSourceMapping`). */
  eventSourceMappings: EventSourceMappingModel[];
  outputs: Record<string, string>;
  /** Every resource or property that is not emulated, each naming its logical id. */
  warnings: string[];
}

export interface AsyncInvokeConfig {
  maximumRetryAttempts: number;
  maximumEventAgeSeconds: number;
  /** EventInvokeConfig DestinationConfig.OnFailure: receives an invocation record. */
  onFailureArn?: string;
  /** SAM DeadLetterQueue (SQS): receives the original event with RequestID/ErrorCode/ErrorMessage attributes. */
  deadLetterArn?: string;
}

export interface FunctionModel {
  logicalId: string;
  functionName: string;
  arn: string;
  /** Absolute path of the code directory. */
  codeUri: string;
  /** Source of `InlineCode` / `Code.ZipFile`, written out by the build step. */
  inlineCode?: string;
  handler: string;
  runtime: string;
  architectures: string[];
  timeoutSeconds: number;
  memorySizeMb: number;
  /** 'Active' | 'PassThrough' (X-Ray `Sampled=1` only when Active). */
  tracing: string;
  environment: Record<string, string>;
  buildMethod?: string;
  buildProperties?: Record<string, unknown>;
  asyncConfig: AsyncInvokeConfig;
  reservedConcurrency?: number;
  /** LoggingConfig.LogGroup, else `/aws/lambda/{functionName}`. */
  logGroupName: string;
  /** LoggingConfig.LogFormat: 'Text' | 'JSON'. */
  logFormat: string;
}

export interface WebSocketRouteModel {
  routeKey: string;
  functionLogicalId?: string;
  /** True when the Lambda's returned body is sent back to the caller (RouteResponse + selection expression). */
  routeResponse: boolean;
}

export interface WebSocketApiModel {
  logicalId: string;
  apiId: string;
  name: string;
  routeSelectionExpression: string;
  stageName: string;
  routes: WebSocketRouteModel[];
  /** AWS-shaped `https://{apiId}.execute-api.{region}.amazonaws.com/{stage}` (the @connections endpoint). */
  endpointUrl: string;
}

export interface EventBusModel {
  logicalId?: string;
  name: string;
  arn: string;
}

export interface RetryPolicyModel {
  maximumRetryAttempts: number;
  maximumEventAgeSeconds: number;
}

export interface RuleTargetModel {
  id: string;
  arn: string;
  functionLogicalId?: string;
  queueLogicalId?: string;
  input?: string;
  inputPath?: string;
  retryPolicy: RetryPolicyModel;
  deadLetterArn?: string;
}

export interface RuleModel {
  logicalId: string;
  name: string;
  eventBusName: string;
  state: 'ENABLED' | 'DISABLED';
  eventPattern: Record<string, unknown>;
  targets: RuleTargetModel[];
}

export interface TableModel {
  logicalId: string;
  tableName: string;
  arn: string;
  createTableInput: CreateTableCommandInput;
  ttlAttribute?: string;
}

export interface QueueModel {
  logicalId: string;
  queueName: string;
  arn: string;
  url: string;
  messageRetentionSeconds: number;
  visibilityTimeoutSeconds: number;
  fifo: boolean;
  redrivePolicy?: { deadLetterTargetArn: string; maxReceiveCount: number };
}

/**
 * An SQS queue polled for a function, as Lambda's event source mapping does
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html).
 */
export interface EventSourceMappingModel {
  /** `AWS::Lambda::EventSourceMapping` id, or `{Function}{EventId}` as the SAM transform names it. */
  logicalId: string;
  functionLogicalId: string;
  queueLogicalId: string;
  eventSourceArn: string;
  /** 1..10,000 (1..10 for FIFO); default 10. */
  batchSize: number;
  /** 0..300; default 0. */
  maximumBatchingWindowSeconds: number;
  /** FunctionResponseTypes includes ReportBatchItemFailures. */
  reportBatchItemFailures: boolean;
  enabled: boolean;
  /** ScalingConfig.MaximumConcurrency (2..1000), when set. */
  maximumConcurrency?: number;
  /** FilterCriteria.Filters[].Pattern, parsed; a record is sent when it matches any of them. */
  filters: Record<string, unknown>[];
}

export interface LoadStackOptions {
  parameterOverrides?: Record<string, string>;
  region?: string;
  accountId?: string;
  stackName?: string;
}
