import type { StackContext } from '../context';
import { queueUrl } from '../resource-kinds';
import type { QueueModel } from '../types';
import { num, obj } from '../values';

/** SQS queues with their redrive policy (the template may give it as an object or a JSON string). */
export function queueModels(ctx: StackContext): QueueModel[] {
  const out: QueueModel[] = [];
  for (const [id, res] of ctx.ofType('AWS::SQS::Queue')) {
    const p = ctx.props(id);
    const name = ctx.nameOf(id);
    const redrive = obj(
      typeof p.RedrivePolicy === 'string'
        ? parseRedrive(ctx, id, p.RedrivePolicy, res.Properties)
        : p.RedrivePolicy,
    );
    // The local SQS keeps what a dead-letter queue needs (docs/local-stack.md).
    if (p.RedrivePolicy !== undefined)
      ctx.warn(`${id}: RedrivePolicy is not emulated: messages are not moved to the dead-letter queue`);
    if (String(p.FifoQueue) === 'true') ctx.warn(`${id}: FIFO ordering and deduplication are not emulated`);
    out.push({
      logicalId: id,
      queueName: name,
      arn: ctx.arnOf(id),
      url: queueUrl(ctx, name),
      messageRetentionSeconds: num(p.MessageRetentionPeriod, 345600),
      visibilityTimeoutSeconds: num(p.VisibilityTimeout, 30),
      fifo: String(p.FifoQueue) === 'true',
      redrivePolicy: redrive.deadLetterTargetArn
        ? {
            deadLetterTargetArn: String(redrive.deadLetterTargetArn),
            maxReceiveCount: num(redrive.maxReceiveCount, 10),
          }
        : undefined,
    });
  }
  return out;
}

function parseRedrive(ctx: StackContext, id: string, text: string, at: unknown): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw ctx.fail(`queue ${id}: RedrivePolicy is not valid JSON`, at);
  }
}
