import { templateFiles } from '../../../support/template-files';

const { load, loadError } = templateFiles('esm-template-');

/**
 * A template with a queue Q (VisibilityTimeout 30 unless `queue` says otherwise) and a function
 * F (Timeout 3) whose SQS event has `event` as its properties (YAML lines, indented by the caller).
 */
function template(event: string, extra = '', queue = ''): string {
  return `Transform: AWS::Serverless-2016-10-31
Resources:
  Q:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 30
${queue}
  F:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs24.x
      Handler: index.handler
      CodeUri: .
      Timeout: 3
      Events:
        FromQueue:
          Type: SQS
          Properties:
            Queue: !GetAtt Q.Arn
${event}
${extra}`;
}

describe('SQS event source mappings in a template', () => {
  it('reads a SAM SQS event with its defaults', async () => {
    const model = await load(template(''));
    const queue = model.queues[0];
    expect(model.eventSourceMappings).toEqual([
      {
        logicalId: 'FFromQueue',
        functionLogicalId: 'F',
        queueLogicalId: 'Q',
        eventSourceArn: queue?.arn,
        batchSize: 10,
        maximumBatchingWindowSeconds: 0,
        reportBatchItemFailures: false,
        enabled: true,
        maximumConcurrency: undefined,
        filters: [],
      },
    ]);
    expect(model.warnings.join('\n')).not.toMatch(/FromQueue|EventSourceMapping/);
  });

  it('reads every supported property, and the plain AWS::Lambda::EventSourceMapping resource', async () => {
    const model = await load(
      template(
        `            BatchSize: 100
            MaximumBatchingWindowInSeconds: 20
            FunctionResponseTypes: [ReportBatchItemFailures]
            Enabled: false
            ScalingConfig: { MaximumConcurrency: 2 }
            FilterCriteria:
              Filters:
                - Pattern: '{"body": {"kind": ["a"]}}'`,
        `  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Q.Arn
      FunctionName: !Ref F
      BatchSize: 5`,
      ),
    );
    expect(model.eventSourceMappings).toMatchObject([
      {
        logicalId: 'FFromQueue',
        batchSize: 100,
        maximumBatchingWindowSeconds: 20,
        reportBatchItemFailures: true,
        enabled: false,
        maximumConcurrency: 2,
        filters: [{ body: { kind: ['a'] } }],
      },
      { logicalId: 'Mapping', functionLogicalId: 'F', queueLogicalId: 'Q', batchSize: 5, enabled: true },
    ]);
  });

  it.each([
    ['BatchSize: 0', /FFromQueue: BatchSize 0 is out of range: 1 to 10000 for a standard queue/],
    [
      'BatchSize: 10001\n            MaximumBatchingWindowInSeconds: 1',
      /BatchSize 10001 is out of range: 1 to 10000/,
    ],
    ['BatchSize: 11', /BatchSize 11 is above 10, which needs MaximumBatchingWindowInSeconds of at least 1/],
    ['MaximumBatchingWindowInSeconds: 301', /MaximumBatchingWindowInSeconds 301 is out of range: 0 to 300/],
    ['BatchSize: ten', /BatchSize must be an integer, not "ten"/],
    [
      'FunctionResponseTypes: [ReportItemFailures]',
      /FunctionResponseTypes may only hold ReportBatchItemFailures/,
    ],
    [
      'ScalingConfig: { MaximumConcurrency: 1 }',
      /ScalingConfig.MaximumConcurrency 1 is out of range: 2 to 1000/,
    ],
    [
      "FilterCriteria: { Filters: [{ Pattern: '{not json' }] }",
      /FilterCriteria.Filters\[0\].Pattern is not valid JSON/,
    ],
  ])('refuses %s with the template line', async (props, message) => {
    const err = await loadError(template(`            ${props}`));
    expect(err.message).toMatch(message);
    // The line of the event's first property (Queue).
    expect(err.line).toBe(19);
  });

  it('refuses a function whose Timeout is longer than the queue visibility timeout, as Lambda does', async () => {
    const source = template('').replace('VisibilityTimeout: 30', 'VisibilityTimeout: 2');
    const err = await loadError(source);
    expect(err.message).toMatch(
      /FFromQueue: Invalid request provided: Queue visibility timeout: 2 seconds is less than Function timeout: 3 seconds/,
    );
  });

  it('refuses a queue that is not in the stack', async () => {
    const source = template('').replace(
      'Queue: !GetAtt Q.Arn',
      'Queue: arn:aws:sqs:us-east-1:123456789012:elsewhere',
    );
    const err = await loadError(source);
    expect(err.message).toMatch(
      /FFromQueue: queue arn:aws:sqs:us-east-1:123456789012:elsewhere is not an AWS::SQS::Queue of this template/,
    );
  });

  it('allows at most 10 records and no batching window for a FIFO queue', async () => {
    const fifo = (props: string) =>
      template(`            ${props}`).replace(
        'VisibilityTimeout: 30',
        'VisibilityTimeout: 30\n      FifoQueue: true',
      );
    await expect(load(fifo('BatchSize: 10'))).resolves.toBeDefined();
    expect(
      (await loadError(fifo('BatchSize: 11\n            MaximumBatchingWindowInSeconds: 1'))).message,
    ).toMatch(/BatchSize 11 is out of range: 1 to 10 for a FIFO queue/);
    expect((await loadError(fifo('MaximumBatchingWindowInSeconds: 1'))).message).toMatch(
      /MaximumBatchingWindowInSeconds is not supported for FIFO queues/,
    );
  });

  it('refuses a plain mapping whose FunctionName is not a function of the template', async () => {
    const err = await loadError(
      template(
        '',
        `  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Q.Arn
      FunctionName: nobody`,
      ),
    );
    expect(err.message).toMatch(/Mapping: FunctionName nobody is not a function of this template/);
  });

  it('no longer warns that a RedrivePolicy is not emulated, but warns when its target is not in the stack', async () => {
    const model = await load(
      template(
        '',
        '',
        `      RedrivePolicy:
        deadLetterTargetArn: arn:aws:sqs:us-east-1:123456789012:missing
        maxReceiveCount: 3`,
      ),
    );
    expect(model.warnings).toContain(
      'Q: RedrivePolicy names arn:aws:sqs:us-east-1:123456789012:missing, which is not a queue of this template; messages stay in the queue',
    );
  });
});
