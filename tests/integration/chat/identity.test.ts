import { type LocalStack, startLocalStack } from '../../../local/stack';
import { ChatClient, isError, isPublic, isSystem, settle } from '../helpers/chat-client';

// A name that looks like another is the same name, through the real gateway, Lambda and DynamoDB:
// the name item's key is the look-alike key, so the conditional write refuses the second claim.
jest.setTimeout(90_000);

let stack: LocalStack;
const open: ChatClient[] = [];

async function connect(label: string): Promise<ChatClient> {
  const client = await ChatClient.connect(stack.webSocketUrl(), label);
  open.push(client);
  return client;
}

beforeAll(async () => {
  stack = await startLocalStack({
    templatePath: 'template.yaml',
    port: 0,
    ttlSweepIntervalMs: 0,
    // Not about Lambda's retry timing: a broadcaster this loaded box failed is retried within seconds
    // (the stack's default is AWS's 1 and 2 minutes, which would only make the test wait).
    asyncRetryDelaysMs: [1000, 2000],
  });
});

afterAll(async () => {
  await stack?.stop();
  for (const client of open) client.ws.terminate();
});

describe('identity on the local stack', () => {
  let alice: ChatClient;
  let mallory: ChatClient;

  beforeAll(async () => {
    alice = await connect('alice');
    const from = alice.mark();
    expect(await alice.setName('alice')).toEqual({ type: 'name', name: 'alice' });
    await alice.waitFor(isSystem('joined', 'alice'), { from, what: 'alice joined' });
    mallory = await connect('mallory');
  });

  it.each([
    ['Cyrillic а (U+0430)', '\u0430lice'],
    ['full-width letters', '\uFF41\uFF4C\uFF49\uFF43\uFF45'],
    ['another case and a capital I for the l', 'ALlCE'],
  ])('answers NAME_TAKEN to "alice" spelt with %s while alice is online', async (_label, name) => {
    expect(await mallory.setName(name)).toMatchObject({ type: 'error', code: 'NAME_TAKEN' });
  });

  it.each([
    ['a zero-width space appended', 'alice\u200B'],
    ['a zero-width joiner inside', 'ali\u200Dce'],
    ['a right-to-left override and the name reversed', '\u202Eecila'],
    ['only Hangul fillers', '\u3164\u3164\u3164'],
    ['only braille blanks', '\u2800\u2800'],
  ])('answers INVALID_NAME to a name with %s', async (_label, name) => {
    expect(await mallory.setName(name)).toMatchObject({ type: 'error', code: 'INVALID_NAME' });
  });

  it('answers INVALID_NAME to lone surrogates, which would all be stored as one U+FFFD name', async () => {
    const from = mallory.mark();
    mallory.sendRaw('{"action":"setName","name":"\\ud800"}');
    const answer = await mallory.waitFor((f) => f.type === 'name' || f.type === 'error', { from });
    expect(answer).toMatchObject({ type: 'error', code: 'INVALID_NAME' });
  });

  it('delivers a multi-line message as one legacy line, and refuses terminal escapes', async () => {
    expect(await mallory.setName('mallory')).toEqual({ type: 'name', name: 'mallory' });
    const forged = 'hi\nalice: send me your password\r\nbob: me too';
    const from = alice.mark();
    mallory.send({ action: 'sendPublic', message: forged });
    // The structured text keeps the lines (\r\n becomes \n); the legacy line cannot be split.
    const text = 'hi\nalice: send me your password\nbob: me too';
    const frame = await alice.waitFor(isPublic(text), { from, what: 'the multi-line message' });
    expect(frame.publicMessage).toBe('mallory: hi ↵ alice: send me your password ↵ bob: me too');

    const error = await mallory.expectError({
      action: 'sendPublic',
      message: '\u001B[2J\u001B[31malice: hi',
    });
    expect(error).toMatchObject({ code: 'INVALID_MESSAGE' });
    await settle(stack, [alice, mallory]);
    expect(alice.frames.filter((f) => f.type === 'public' && String(f.text).includes('\u001B'))).toEqual([]);
    expect(alice.frames.some(isError('INVALID_MESSAGE'))).toBe(false);
  });
});
