import { ClientError } from '../../../../src/chat/errors';
import {
  errorFrame,
  joinedFrame,
  leftFrame,
  privateFrame,
  publicFrame,
  renamedFrame,
} from '../../../../src/chat/frames';
import {
  isChatAction,
  MAX_FRAME_BYTES,
  nameKeyOf,
  parseFrame,
  sortMembers,
  unknownAction,
  validateMessage,
  validateName,
  validateRecipient,
} from '../../../../src/chat/rules';

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ClientError) return error.code;
    throw error;
  }
  throw new Error('expected a ClientError');
};

describe('chat rules', () => {
  describe('frames', () => {
    it('accepts a JSON object up to 8 KiB of UTF-8', () => {
      const body = JSON.stringify({ action: 'sendPublic', message: 'x'.repeat(MAX_FRAME_BYTES - 40) });
      expect(parseFrame(body)).toMatchObject({ action: 'sendPublic' });
    });

    it('counts bytes, not characters, against the 8 KiB limit', () => {
      const body = JSON.stringify({ m: 'é'.repeat(4095) }); // 8,190 bytes + 8 of JSON
      expect(codeOf(() => parseFrame(body))).toBe('FRAME_TOO_LARGE');
    });

    it.each([['not json'], ['[]'], ['null'], ['42'], ['"text"'], [''], [undefined]])(
      'rejects %p as INVALID_JSON',
      (body) => {
        expect(codeOf(() => parseFrame(body))).toBe('INVALID_JSON');
      },
    );

    it('knows exactly the three client actions', () => {
      expect(['setName', 'sendPublic', 'sendPrivate'].every(isChatAction)).toBe(true);
      expect(['$default', 'SetName', 'sendpublic', 42].some(isChatAction)).toBe(false);
      expect(unknownAction().message).toContain('setName, sendPublic, sendPrivate');
    });
  });

  describe('names', () => {
    it('trims names and keeps their case', () => {
      expect(validateName('  Alice ')).toBe('Alice');
    });

    it('allows 32 code points, including astral ones, and no more', () => {
      expect(validateName('🦊'.repeat(32))).toBe('🦊'.repeat(32));
      expect(codeOf(() => validateName('🦊'.repeat(33)))).toBe('INVALID_NAME');
    });

    it.each([[undefined], [null], [3], [''], ['   '], ['a\nb'], ['tab\there'], ['\u0000']])(
      'rejects %p',
      (name) => {
        expect(codeOf(() => validateName(name))).toBe('INVALID_NAME');
      },
    );

    it('treats names that differ only in case as the same name', () => {
      expect(nameKeyOf('ALICE')).toBe(nameKeyOf('alice'));
      expect(nameKeyOf('Zoë')).toBe(nameKeyOf('ZOË'));
    });

    it('sorts members case-insensitively', () => {
      expect(sortMembers(['bob', 'Carol', 'alice', 'Bob'])).toEqual(['alice', 'Bob', 'bob', 'Carol']);
      expect(sortMembers(['zed', 'Amy', 'bea'])).toEqual(['Amy', 'bea', 'zed']);
    });
  });

  describe('messages', () => {
    it('trims messages and allows 2,000 code points', () => {
      expect(validateMessage('  hi  ')).toBe('hi');
      expect(validateMessage('😀'.repeat(2000))).toHaveLength(4000);
    });

    it.each([
      [undefined, 'INVALID_MESSAGE'],
      [{}, 'INVALID_MESSAGE'],
      [' \t\n', 'INVALID_MESSAGE'],
      ['x'.repeat(2001), 'MESSAGE_TOO_LONG'],
    ])('rejects %p with %s', (message, code) => {
      expect(codeOf(() => validateMessage(message))).toBe(code);
    });

    it('rejects a private message to yourself, whatever the case', () => {
      expect(codeOf(() => validateRecipient('ALICE ', 'alice'))).toBe('INVALID_RECIPIENT');
      expect(codeOf(() => validateRecipient('', 'alice'))).toBe('INVALID_RECIPIENT');
      expect(validateRecipient(' bob ', 'alice')).toBe('bob');
    });
  });

  describe('server frames', () => {
    const stamp = { id: '01M7XEE6XS2ZYEQTXP5S60BGES', ts: 1795210812345 };

    it('keep the keys the original single-Lambda client reads', () => {
      expect(joinedFrame('alice', stamp)).toEqual({
        type: 'system',
        systemMessage: 'alice has joined the chat',
        text: 'alice has joined the chat',
        event: 'joined',
        name: 'alice',
        ...stamp,
      });
      expect(leftFrame('alice', stamp).systemMessage).toBe('alice has left the chat');
      expect(renamedFrame('alice', 'alicia', stamp)).toMatchObject({
        systemMessage: 'alice is now known as alicia',
        event: 'renamed',
        name: 'alicia',
        previousName: 'alice',
      });
      expect(publicFrame('alice', 'hi', stamp)).toEqual({
        type: 'public',
        publicMessage: 'alice: hi',
        from: 'alice',
        text: 'hi',
        ...stamp,
      });
      expect(privateFrame('alice', 'bob', 'hi', stamp)).toEqual({
        type: 'private',
        privateMessage: 'alice: hi',
        from: 'alice',
        to: 'bob',
        text: 'hi',
        ...stamp,
      });
    });

    it('turn a client error into a frame with code and message only', () => {
      const error = (() => {
        try {
          validateName('');
        } catch (e) {
          return e as ClientError;
        }
        throw new Error('unreachable');
      })();
      expect(errorFrame(error, 'setName')).toEqual({
        type: 'error',
        code: 'INVALID_NAME',
        errorMessage: 'The name must not be empty',
        action: 'setName',
      });
      expect(errorFrame(error)).not.toHaveProperty('action');
    });
  });
});
