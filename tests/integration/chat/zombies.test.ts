import { type LocalStack, startLocalStack } from '../../../local/stack';
import { ChatClient, type Frame, isPublic, settle } from '../helpers/chat-client';

// A hundred handshakes and joins during a steady conversation, on a busy 2-core box.
jest.setTimeout(900_000);

// A post to a connection still inside its $connect answers 410 (the local stack emulates it, see
// aws-facts.md): a client that connects while a broadcast is being delivered meets exactly that.
// Before the connect-window rule, 3 of 40 such clients (9 of 100 under churn) ended as zombies.
const JOINERS = Number(process.env.ZOMBIE_JOINERS ?? 100);
const WAVE = 5;
const TALK_INTERVAL_MS = 200; // 5 public messages a second, from two members
const ANSWER_TIMEOUT_MS = 120_000;

let stack: LocalStack;
const open: ChatClient[] = [];

beforeAll(async () => {
  stack = await startLocalStack({
    templatePath: 'template.yaml',
    port: 0,
    ttlSweepIntervalMs: 0,
    // Not about Lambda's retry timing: a broadcaster this loaded box failed is retried within seconds
    // (the stack's default is AWS's 1 and 2 minutes, which would only make the test wait).
    asyncRetryDelaysMs: [1000, 2000],
    // About joins during a busy conversation, not the rate limits; two shards keep the load modest.
    parameterOverrides: { PublicMessageBurst: '1000', PublicMessagesPerSecond: '1000', ShardCount: '2' },
  });
});

afterAll(async () => {
  await stack?.stop();
  for (const client of open) client.ws.terminate();
});

/** Connects, retrying a handshake the overloaded box timed out (504): that client knows it is not in. */
async function connect(label: string): Promise<ChatClient> {
  for (let attempt = 1; ; attempt++) {
    try {
      const client = await ChatClient.connect(stack.webSocketUrl(), label);
      open.push(client);
      return client;
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}

const isAnswer = (f: Frame) => f.type === 'name' || f.type === 'error' || f.message !== undefined;
const timedOut = (f: Frame) => f.message === 'Endpoint request timed out';

/** setName's answer: the ack, an error frame, or a gateway frame ("Internal server error"). */
async function join(client: ChatClient, name: string): Promise<Frame> {
  for (let attempt = 1; ; attempt++) {
    const from = client.mark();
    client.send({ action: 'setName', name });
    const answer = await client.waitFor(isAnswer, {
      from,
      what: `setName ${name}`,
      timeoutMs: ANSWER_TIMEOUT_MS,
    });
    // An integration timeout is the load on this machine, not a zombie: ask again.
    if (!timedOut(answer) || attempt >= 3) return answer;
  }
}

describe('clients joining during a steady public conversation', () => {
  it('all end up named and receiving broadcasts, and nobody is told they left while they are there', async () => {
    const talkers = [await connect('talker-0'), await connect('talker-1')];
    for (const [i, talker] of talkers.entries()) {
      expect(await join(talker, `talker-${i}`)).toEqual({ type: 'name', name: `talker-${i}` });
    }
    let talking = true;
    let sent = 0;
    const conversation = (async () => {
      while (talking) {
        talkers[sent % 2]?.send({ action: 'sendPublic', message: `chatter ${sent}` });
        sent += 1;
        await new Promise((resolve) => setTimeout(resolve, TALK_INTERVAL_MS));
      }
    })();

    // Joiners arrive in waves; one in four leaves right after joining (churn: $disconnect, 410s).
    const stayers: { client: ChatClient; name: string }[] = [];
    const failedJoins: string[] = [];
    const refusedHandshakes: string[] = [];
    try {
      for (let start = 0; start < JOINERS; start += WAVE) {
        await Promise.all(
          Array.from({ length: Math.min(WAVE, JOINERS - start) }, async (_, i) => {
            const name = `joiner-${start + i}`;
            // A handshake the overloaded box timed out three times is no zombie: that client knows.
            const client = await connect(name).catch(() => undefined);
            if (!client) {
              refusedHandshakes.push(name);
              return;
            }
            const answer = await join(client, name);
            if (answer.type !== 'name') failedJoins.push(`${name}: ${JSON.stringify(answer)}`);
            if ((start + i) % 4 === 3) await client.close();
            else stayers.push({ client, name });
          }),
        );
      }
    } finally {
      talking = false;
      await conversation;
    }

    // Every joiner still there must receive a broadcast sent after everyone joined. The stack is
    // drained first, so a backlog on a busy box is not mistaken for a zombie (which never gets it).
    const marks = stayers.map(({ client }) => client.mark());
    talkers[0]?.send({ action: 'sendPublic', message: 'roll call' });
    const everyone = [...talkers, ...stayers.map(({ client }) => client)];
    await settle(stack, everyone);
    const zombies = stayers
      .filter(({ client }, i) => client.matching(isPublic('roll call'), marks[i]).length !== 1)
      .map(({ name }) => name);

    const stillHere = new Set([...stayers.map(({ name }) => name), 'talker-0', 'talker-1']);
    const falseLeaves = new Set(
      everyone.flatMap((client) =>
        client
          .matching((f) => f.type === 'system' && f.event === 'left' && stillHere.has(String(f.name)))
          .map((f) => String(f.name)),
      ),
    );
    // The numbers the issue asks for (target: 0 of 100).
    console.log(
      `zombies: ${zombies.length + failedJoins.length} of ${JOINERS} joiners ` +
        `(${failedJoins.length} failed joins, ${zombies.length} without the roll call, ` +
        `${refusedHandshakes.length} handshakes refused by the overloaded box); ` +
        `${falseLeaves.size} told as left while there; ${sent} public messages during the joins`,
    );
    expect(failedJoins).toEqual([]);
    expect(zombies).toEqual([]);
    expect([...falseLeaves]).toEqual([]);
  });
});
