import type { ChatEventDetail } from '../../../../src/chat/chat-events';
import { FanOut } from '../../../../src/chat/fan-out';
import { publicFrame } from '../../../../src/chat/frames';
import type { ConnectionSender, ConnectionStore, SendResult } from '../../../../src/chat/ports';

// A sender that records every post and answers from a script per connection ('sent' when unscripted).
const fakeSender = (script: Record<string, SendResult[]> = {}) => {
  const posts: string[] = [];
  const sender: ConnectionSender = {
    async send(connectionId) {
      posts.push(connectionId);
      return script[connectionId]?.shift() ?? 'sent';
    },
  };
  return { sender, posts };
};

const store = (pages: string[][]): ConnectionStore =>
  ({
    async *audiencePages() {
      for (const page of pages) yield page.map((connectionId) => ({ shard: 0, connectionId }));
    },
    listMembers: async () => ['alice', 'bob'],
  }) as unknown as ConnectionStore;

const detail = (includeMembers = false): ChatEventDetail => ({
  correlationId: 'c-1',
  audience: { kind: 'shard', shard: 0 },
  frames: [publicFrame('alice', 'hi', { id: 'm1', ts: 1 })],
  includeMembers,
});

const sleeps: number[] = [];
const fanOut = (sender: ConnectionSender, pages: string[][], rounds = 3) =>
  new FanOut({
    store: store(pages),
    sender,
    concurrency: 2,
    shardCount: 1,
    onGone: async () => {},
    throttleRetry: {
      rounds,
      baseDelayMs: 100,
      maxDelayMs: 1000,
      random: () => 1,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    },
  });

beforeEach(() => {
  sleeps.length = 0;
});

describe('the fan-out', () => {
  it('serves every other recipient before it retries a throttled one', async () => {
    // Prepare: A's buffer is full for its first two attempts
    const { sender, posts } = fakeSender({ A: ['throttled', 'throttled'] });

    // Act
    const result = await fanOut(sender, [['A', 'B', 'C'], ['D']]).deliver(detail());

    // Assert: B, C and D were posted before A's second attempt, and A got the frame in the end
    expect(posts.indexOf('D')).toBeLessThan(posts.lastIndexOf('A'));
    expect(posts.filter((p) => p === 'A')).toHaveLength(3);
    expect(result).toMatchObject({ recipients: 4, framesSent: 4, gone: 0, throttled: 0 });
    expect(sleeps).toEqual([100, 200]);
  });

  it('gives up on a reader that stays throttled without failing the others', async () => {
    const { sender, posts } = fakeSender({ A: Array<SendResult>(10).fill('throttled') });

    const result = await fanOut(sender, [['A', 'B', 'C']], 3).deliver(detail());

    expect(result).toMatchObject({
      recipients: 3,
      framesSent: 2,
      throttled: 1,
      throttledConnectionIds: ['A'],
    });
    expect(posts.filter((p) => p === 'A')).toHaveLength(4); // the first attempt and 3 deferred passes
  });

  it('resumes a throttled recipient at the frame that was refused, keeping the order', async () => {
    const sent: string[] = [];
    let refused = false;
    const sender: ConnectionSender = {
      async send(connectionId, data) {
        // A takes the message, then refuses the members list once
        if (connectionId === 'A' && data.includes('members') && !refused) {
          refused = true;
          return 'throttled';
        }
        sent.push(`${connectionId}:${JSON.parse(data).type}`);
        return 'sent';
      },
    };

    const result = await fanOut(sender, [['A', 'B']]).deliver(detail(true));

    expect(sent.filter((s) => s.startsWith('A:'))).toEqual(['A:public', 'A:members']);
    expect(result).toMatchObject({ framesSent: 4, throttled: 0 });
  });
});
