/**
 * How much one flooding client slows everyone else (issue 9): another member's message latency
 * while one connection sends 500 sendPublic as fast as it can, against the quiet baseline.
 * A measurement, not a test: `npx tsx bench/flood.ts [--no-limit] [--flood 500]`.
 * `--no-limit` raises the public-message bucket so far that nothing is limited (the old behaviour).
 */
import { startLocalStack } from '../local/stack';
import { ChatClient, isPublic, settle } from '../tests/integration/helpers/chat-client';

const args = process.argv.slice(2);
const noLimit = args.includes('--no-limit');
const floodIndex = args.indexOf('--flood');
const FLOOD = floodIndex >= 0 ? Number(args[floodIndex + 1]) : 500;
const quiet = { log: { warn: () => {}, functionLog: () => {}, invocation: () => {}, gateway: () => {} } };

async function latency(speaker: ChatClient, listener: ChatClient, text: string) {
  const from = listener.mark();
  const sentAt = performance.now();
  speaker.send({ action: 'sendPublic', message: text });
  await listener.waitFor(isPublic(text), { from, timeoutMs: 300_000 });
  return performance.now() - sentAt;
}

async function main(): Promise<void> {
  const stack = await startLocalStack({
    templatePath: 'template.yaml',
    port: 0,
    ttlSweepIntervalMs: 0,
    ...(noLimit
      ? { parameterOverrides: { PublicMessageBurst: '10000', PublicMessagesPerSecond: '10000' } }
      : {}),
    ...quiet,
  });
  const clients: ChatClient[] = [];
  try {
    for (const name of ['flooder', 'speaker', 'listener']) {
      const client = await ChatClient.connect(stack.webSocketUrl(), name);
      clients.push(client);
      await client.setName(name);
    }
    const [flooder, speaker, listener] = clients as [ChatClient, ChatClient, ChatClient];
    await settle(stack, clients);
    // Warm both functions, then the quiet baseline: the median of 5.
    await latency(speaker, listener, 'warm-up');
    const quietRuns: number[] = [];
    for (let i = 0; i < 5; i++) {
      quietRuns.push(await latency(speaker, listener, `quiet ${i}`));
      await new Promise((resolve) => setTimeout(resolve, 600)); // stay inside the speaker's rate
    }
    quietRuns.sort((a, b) => a - b);

    for (let i = 0; i < FLOOD; i++) flooder.send({ action: 'sendPublic', message: `flood ${i}` });
    const during = await latency(speaker, listener, 'during the flood');
    await settle(stack, clients);
    const accepted = listener.matching((f) => f.type === 'public' && f.from === 'flooder').length;
    const chatApi = stack.stats().functions.ChatApiFunction;
    console.log(
      JSON.stringify({
        limits: noLimit ? 'off' : 'template defaults',
        flood: FLOOD,
        floodAccepted: accepted,
        quietLatencyMedianMs: Math.round(quietRuns[2] ?? 0),
        latencyDuringFloodMs: Math.round(during),
        chatApiInvocations: chatApi?.invocations,
        chatApiMeanDurationMs: chatApi
          ? Math.round(chatApi.durationMs / Math.max(1, chatApi.invocations))
          : undefined,
      }),
    );
  } finally {
    await stack.stop();
    for (const client of clients) client.ws.terminate();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
