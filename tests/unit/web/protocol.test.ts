import { NameTakenError } from '../../../src/chat/errors';
import {
  errorFrame,
  joinedFrame,
  leftFrame,
  membersFrame,
  membersPages,
  nameFrame,
  presenceFrame,
  privateFrame,
  publicFrame,
  renamedFrame,
  SERVER_FRAME_TYPES,
  type ServerFrame,
} from '../../../src/chat/frames';
import { CHAT_ACTIONS, PING_ACTION, validateName as serverValidateName } from '../../../src/chat/rules';
import {
  encodeClientFrame,
  keepaliveFrame,
  parseServerFrame,
  READ_FRAME_TYPES,
  sameName,
  sendPrivateFrame,
  sendPublicFrame,
  setNameFrame,
  validateMessage,
  validateName,
} from '../../../web/src/protocol';

describe('parseServerFrame', () => {
  it('reads each server frame of the protocol, ignoring the legacy keys', () => {
    expect(parseServerFrame('{"type":"members","members":["alice","bob"]}')).toEqual({
      type: 'members',
      members: ['alice', 'bob'],
    });
    expect(parseServerFrame('{"type":"name","name":"alice"}')).toEqual({ type: 'name', name: 'alice' });
    expect(
      parseServerFrame(
        '{"type":"public","publicMessage":"alice: hi","id":"01J1","ts":1732570000000,"from":"alice","text":"hi"}',
      ),
    ).toEqual({ type: 'public', id: '01J1', ts: 1732570000000, from: 'alice', text: 'hi' });
    expect(
      parseServerFrame('{"type":"private","id":"01J2","ts":1,"from":"alice","to":"bob","text":"psst"}'),
    ).toEqual({ type: 'private', id: '01J2', ts: 1, from: 'alice', to: 'bob', text: 'psst' });
    expect(
      parseServerFrame(
        '{"type":"system","systemMessage":"alice has joined the chat","id":"01J3","ts":2,"text":"alice has joined the chat","event":"joined","name":"alice"}',
      ),
    ).toEqual({ type: 'system', id: '01J3', ts: 2, text: 'alice has joined the chat', event: 'joined' });
  });

  it('reads an error frame with its code, message and action', () => {
    expect(
      parseServerFrame(
        '{"type":"error","errorMessage":"The name \\"bob\\" is already taken","code":"NAME_TAKEN","action":"setName"}',
      ),
    ).toEqual({
      type: 'error',
      code: 'NAME_TAKEN',
      message: 'The name "bob" is already taken',
      action: 'setName',
    });
  });

  it("turns API Gateway's own error frame into a gateway error", () => {
    expect(
      parseServerFrame('{"message":"Internal server error","connectionId":"abc=","requestId":"def="}'),
    ).toEqual({ type: 'gateway-error', message: 'Internal server error' });
  });

  it.each([
    ['not JSON', 'hello'],
    ['a JSON array', '[1,2]'],
    ['JSON null', 'null'],
    ['an unknown type', '{"type":"surprise"}'],
    ['members that are not strings', '{"type":"members","members":[1]}'],
    ['a public message without a sender', '{"type":"public","id":"1","ts":1,"text":"hi"}'],
    ['a message without an id', '{"type":"public","ts":1,"from":"a","text":"hi"}'],
    ['a message with a text that is not a string', '{"type":"system","id":"1","ts":1,"text":{"html":"<b>"}}'],
    ['a private message without a recipient', '{"type":"private","id":"1","ts":1,"from":"a","text":"hi"}'],
    ['an error without a message', '{"type":"error","code":"X"}'],
  ])('ignores %s', (_what, data) => {
    expect(parseServerFrame(data)).toBeUndefined();
  });

  it('ignores binary data', () => {
    expect(parseServerFrame(new ArrayBuffer(4))).toBeUndefined();
  });
});

// The server's frame builders, one per frame type: what a current server really sends.
const stamp = { id: '01JDQ0000000000000000000AB', ts: 1732570000000 };
const serverFrames: ServerFrame[] = [
  membersFrame(['alice', 'bob']),
  ...membersPages(['alice', 'bob', 'carol'], 80),
  presenceFrame({ joined: ['carol'], left: ['dave'], renamed: [{ previousName: 'alice', name: 'alicia' }] }),
  joinedFrame('alice', stamp),
  leftFrame('alice', stamp),
  renamedFrame('alice', 'alicia', stamp),
  publicFrame('alice', 'hi', stamp),
  privateFrame('alice', 'bob', 'psst', stamp),
  nameFrame('alice'),
  { type: 'pong' },
  errorFrame(new NameTakenError('bob'), 'setName'),
];

describe('the browser and the server speak one protocol', () => {
  it('reads exactly the frame types the server can send', () => {
    expect([...READ_FRAME_TYPES].sort()).toEqual([...SERVER_FRAME_TYPES].sort());
    expect(new Set(serverFrames.map((frame) => frame.type))).toEqual(new Set(SERVER_FRAME_TYPES));
  });

  it.each(serverFrames.map((frame) => [frame.type, frame] as const))(
    'reads the %s frame the server builds, field for field',
    (_type, frame) => {
      const parsed = parseServerFrame(JSON.stringify(frame));
      expect(parsed).toBeDefined();
      // Every field the browser keeps carries the server's value (error text is `message` here).
      const { message, ...kept } = parsed as Record<string, unknown>;
      expect(frame).toMatchObject(kept);
      if (frame.type === 'error') expect(message).toBe(frame.errorMessage);
    },
  );

  it('sends only actions the server routes', () => {
    const actions = [
      setNameFrame('a'),
      sendPublicFrame('m'),
      sendPrivateFrame('b', 'm'),
      keepaliveFrame(),
    ].map((frame) => frame.action);
    expect(actions.sort()).toEqual([...CHAT_ACTIONS, PING_ACTION].sort());
  });

  it.each([
    'alice',
    '  alice  ',
    '',
    '   ',
    'a'.repeat(32),
    'a'.repeat(33),
    '😀'.repeat(32),
    '😀'.repeat(33),
    'al\u0007ice',
    'al\u0085ice',
    'e\u0301'.repeat(20),
    'Ångström',
  ])('accepts the name %j exactly when the server does, as the same name', (raw) => {
    let server: string | undefined;
    try {
      server = serverValidateName(raw);
    } catch {
      server = undefined;
    }
    const browser = validateName(raw);
    expect(browser.ok ? browser.name : undefined).toBe(server);
  });
});

describe('validateName', () => {
  it('trims the name and accepts 32 code points, counting an emoji as one', () => {
    expect(validateName('  alice  ')).toEqual({ ok: true, name: 'alice' });
    expect(validateName('😀'.repeat(32))).toEqual({ ok: true, name: '😀'.repeat(32) });
  });

  it('rejects an empty name, a name over 32 characters and control characters', () => {
    expect(validateName('   ').ok).toBe(false);
    expect(validateName('a'.repeat(33)).ok).toBe(false);
    expect(validateName('al\u0007ice').ok).toBe(false);
  });
});

describe('validateMessage', () => {
  it('trims the message and accepts up to 2,000 characters', () => {
    expect(validateMessage(' hi ')).toEqual({ ok: true, message: 'hi' });
    expect(validateMessage('x'.repeat(2000)).ok).toBe(true);
  });

  it('rejects an empty message and one over 2,000 characters, saying how long it is', () => {
    expect(validateMessage('  ').ok).toBe(false);
    expect(validateMessage('x'.repeat(2001))).toEqual({ ok: false, error: expect.stringContaining('2001') });
  });
});

describe('encodeClientFrame', () => {
  it('serialises a frame as JSON', () => {
    expect(encodeClientFrame(sendPrivateFrame('bob', 'hi'))).toEqual({
      ok: true,
      data: '{"action":"sendPrivate","to":"bob","message":"hi"}',
    });
  });

  it('refuses a frame over 8 KiB of UTF-8, which the server would reject', () => {
    // 2,000 emoji pass the length rule in 8,000 bytes; 2,000 control characters pass it too, but JSON
    // escapes each as \u00XX, six bytes.
    expect(encodeClientFrame(sendPrivateFrame('bob', '😀'.repeat(2000))).ok).toBe(true);
    expect(encodeClientFrame(sendPrivateFrame('bob', '\u0001'.repeat(2000))).ok).toBe(false);
  });
});

describe('sameName', () => {
  it('compares names ignoring case, and never matches a missing name', () => {
    expect(sameName('Alice', 'aLICE')).toBe(true);
    expect(sameName('alice', 'bob')).toBe(false);
    expect(sameName(undefined, undefined)).toBe(false);
  });

  it('treats the composed and decomposed forms of a name as one, as the server does', () => {
    expect(sameName('Ren\u00e9', 'rene\u0301')).toBe(true);
  });
});
