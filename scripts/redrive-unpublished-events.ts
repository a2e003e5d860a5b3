// Puts the chat events parked in the UnpublishedEventsQueue back on their bus (docs/deploy.md, Alarms).
//   npm run redrive-events -- <queue-url>
// The AWS SDK's usual configuration applies: AWS_PROFILE / AWS_REGION, and AWS_ENDPOINT_URL for the
// local stack (its AWS endpoint, printed by `npm start`).
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { redriveUnpublishedEvents } from './lib/redrive-unpublished-events';

const queueUrl = process.argv[2];
if (!queueUrl) {
  console.error(
    'usage: npm run redrive-events -- <queue-url>   (the stack output UnpublishedEventsQueueUrl)',
  );
  process.exit(2);
}
async function main(url: string): Promise<void> {
  const sqs = new SQSClient({});
  const eventBridge = new EventBridgeClient({});
  try {
    const { redriven, failed } = await redriveUnpublishedEvents({ sqs, eventBridge, queueUrl: url });
    console.log(`re-drove ${redriven} chat event(s)`);
    for (const { messageId, reason } of failed)
      console.error(`not re-driven: ${messageId ?? '?'}: ${reason}`);
    process.exitCode = failed.length > 0 ? 1 : 0;
  } finally {
    sqs.destroy();
    eventBridge.destroy();
  }
}

main(queueUrl).catch((error: unknown) => {
  console.error(`redrive failed: ${(error as Error).message}`);
  process.exitCode = 1;
});
