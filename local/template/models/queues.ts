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
  for (const q of out) {
    const target = q.redrivePolicy?.deadLetterTargetArn;
    if (target && !out.some((other) => other.arn === target))
      ctx.warn(
        `${q.logicalId}: RedrivePolicy names ${target}, which is not a queue of this template; messages stay in the queue`,
      );
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
