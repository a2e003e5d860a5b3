import { isError, isPublic, settle } from '../helpers/chat-client';
import { useChatStack } from '../helpers/chat-stack';

// 500 chat-api invocations and their answers on a busy 2-core box.
jest.setTimeout(600_000);

const FLOOD = 500;

const chat = useChatStack({
  // Not about Lambda's retry timing: a broadcaster this loaded box failed is retried within seconds
  // (the stack's default is AWS's 1 and 2 minutes, which would only make the test wait).
  asyncRetryDelaysMs: [1000, 2000],
  // The rate limits at their template defaults; one shard keeps each accepted message one invocation.
  parameterOverrides: { ShardCount: '1' },
});
let burst: number;
let perSecond: number;

beforeAll(() => {
  const env = chat.stack.model.functions.find((fn) => fn.logicalId === 'ChatApiFunction')?.environment ?? {};
  burst = Number(env.PUBLIC_MESSAGE_BURST);
  perSecond = Number(env.PUBLIC_MESSAGES_PER_SECOND);
});

const member = (name: string) => chat.member(name);

const isFlood = (f: Record<string, unknown>) =>
  f.type === 'public' && f.from === 'flooder' && String(f.text).startsWith('flood ');

describe('one client flooding sendPublic', () => {
  it('gets RATE_LIMITED for the excess, the others see at most burst + rate × t of it, and still hear each other', async () => {
    const flooder = await member('flooder');
    const speaker = await member('speaker');
    const listener = await member('listener');
    await settle(chat.stack, chat.open);
    const from = { flooder: flooder.mark(), listener: listener.mark() };

    const started = Date.now();
    for (let i = 0; i < FLOOD; i++) flooder.send({ action: 'sendPublic', message: `flood ${i}` });
    const sentAt = Date.now();
    speaker.send({ action: 'sendPublic', message: 'can anyone hear me?' });

    // The other member's message still arrives; its latency is measured, not asserted.
    await listener.waitFor(isPublic('can anyone hear me?'), { from: from.listener, timeoutMs: 280_000 });
    const latencyMs = Date.now() - sentAt;
    console.log(`flood: another member's message took ${latencyMs} ms during a ${FLOOD}-message flood`);

    // Every flood frame is answered: RATE_LIMITED, or (accepted) its own broadcast, or a gateway
    // frame when the overloaded box let an invocation pass API Gateway's 29 s integration timeout.
    const isGateway = (f: Record<string, unknown>) => f.type === undefined && typeof f.message === 'string';
    const answers = () =>
      flooder.matching((f) => isError('RATE_LIMITED')(f) || isFlood(f) || isGateway(f), from.flooder).length;
    const deadline = Date.now() + 280_000;
    while (answers() < FLOOD && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 250));
    await settle(chat.stack, chat.open);
    // Every flood invocation has run by now: tokens refilled at most for this long.
    const elapsedSeconds = (Date.now() - started) / 1000;

    const limited = flooder.matching(isError('RATE_LIMITED'), from.flooder);
    const heard = listener.matching(isFlood, from.listener);
    const gateway = flooder.matching(isGateway, from.flooder);
    console.log(
      `flood: ${FLOOD} sendPublic sent in ${sentAt - started} ms; ${limited.length} RATE_LIMITED, ` +
        `${heard.length} reached the others in ${elapsedSeconds.toFixed(1)} s ` +
        `(bound ${burst} + ${perSecond}/s × t), ${gateway.length} gateway frames ` +
        `(${[...new Set(gateway.map((f) => f.message))].join(', ')})`,
    );
    expect(limited.length).toBeGreaterThan(0);
    for (const frame of limited) {
      expect(frame).toMatchObject({ action: 'sendPublic', retryAfterMs: expect.any(Number) });
      expect(frame.retryAfterMs).toBeGreaterThan(0);
    }
    expect(heard.length).toBeGreaterThanOrEqual(burst);
    expect(heard.length).toBeLessThanOrEqual(burst + Math.ceil(perSecond * elapsedSeconds));
    expect(answers()).toBeGreaterThanOrEqual(FLOOD);
    expect(listener.matching(isPublic('can anyone hear me?'), from.listener)).toHaveLength(1);
  });
});
