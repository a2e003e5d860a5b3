import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { shardOf } from '../../../src/chat/sharding';
import { output, type StackClients, stackClients } from '../helpers/aws';
import { isError, isPublic, isSystem, settle } from '../helpers/chat-client';
import { useChatStack } from '../helpers/chat-stack';

jest.setTimeout(120_000);

// Not about Lambda's retry timing: a broadcaster this loaded box failed is retried within seconds
// (the stack's default is AWS's 1 and 2 minutes, which would only make the test wait).
const chat = useChatStack({ asyncRetryDelaysMs: [1000, 2000] });
let aws: StackClients;
let chatTable: string;
let shardCount: number;

beforeAll(() => {
  aws = stackClients(chat.stack);
  chatTable = output(chat.stack, 'ChatTableName');
  shardCount = Number(
    chat.stack.model.functions.find((fn) => fn.logicalId === 'ChatApiFunction')?.environment.SHARD_COUNT,
  );
});

afterAll(() => aws?.destroy());

const member = (name: string) => chat.member(name);

/** A record the gateway answers 410 for, as it does while that connection is still in $connect. */
async function recordWithoutSocket(connectionId: string, name: string, connectedAt: number) {
  const expiresAt = Math.floor(Date.now() / 1000) + 2 * 60 * 60;
  const shard = shardOf(connectionId, shardCount);
  await aws.document.send(
    new PutCommand({
      TableName: chatTable,
      Item: { pk: `CONN#${connectionId}`, connectionId, shard, connectedAt, expiresAt, name, nameKey: name },
    }),
  );
  await aws.document.send(
    new PutCommand({
      TableName: chatTable,
      Item: {
        pk: `NAME#${name}`,
        nameKey: name,
        name,
        connectionId,
        claimedAt: connectedAt,
        expiresAt,
        memberList: 'members',
      },
    }),
  );
}

const item = async (pk: string) =>
  (await aws.document.send(new GetCommand({ TableName: chatTable, Key: { pk }, ConsistentRead: true }))).Item;

describe('a broadcast that meets 410', () => {
  it('keeps a connection recorded within 30 s (it may be inside $connect) and prunes an older one', async () => {
    const speaker = await member('speaker');
    await recordWithoutSocket('YoungConnId0=', 'newcomer', Date.now() - 1_000);
    await recordWithoutSocket('OldConnId000=', 'oldtimer', Date.now() - 60_000);
    const from = speaker.mark();

    speaker.send({ action: 'sendPublic', message: 'anyone joining?' });
    await speaker.waitFor(isPublic('anyone joining?'), { from });
    await speaker.waitFor(isSystem('left', 'oldtimer'), { from });
    await settle(chat.stack, [speaker]);

    expect(await item('CONN#YoungConnId0=')).toBeDefined();
    expect(await item('NAME#newcomer')).toMatchObject({ connectionId: 'YoungConnId0=' });
    expect(speaker.matching(isSystem('left', 'newcomer'), from)).toEqual([]);
    expect(await item('CONN#OldConnId000=')).toBeUndefined();
    expect(await item('NAME#oldtimer')).toBeUndefined();
  });
});

describe('a connection whose record is gone while its socket is open', () => {
  it('gets NAME_REQUIRED for a message, then a fresh record from setName, and receives broadcasts again', async () => {
    const speaker = await member('herald');
    const lost = await member('lost-soul');
    const claim = await item('NAME#lost-soul');
    const connectionId = String(claim?.connectionId);
    // What a wrong prune did: the record and the name removed, the socket still open.
    await aws.document.send(new DeleteCommand({ TableName: chatTable, Key: { pk: `CONN#${connectionId}` } }));
    await aws.document.send(new DeleteCommand({ TableName: chatTable, Key: { pk: 'NAME#lost-soul' } }));

    expect(await lost.expectError({ action: 'sendPublic', message: 'hello?' })).toMatchObject({
      code: 'NAME_REQUIRED',
    });
    expect(await lost.setName('lost-soul')).toEqual({ type: 'name', name: 'lost-soul' });
    expect(await item(`CONN#${connectionId}`)).toMatchObject({ name: 'lost-soul' });

    const from = lost.mark();
    speaker.send({ action: 'sendPublic', message: 'welcome back' });
    await lost.waitFor(isPublic('welcome back'), { from });
    expect(lost.matching((f) => f.message === 'Internal server error')).toEqual([]);
    expect(lost.matching(isError('NAME_REQUIRED'))).toHaveLength(1);
  });
});
