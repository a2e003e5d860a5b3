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

    it('sorts members by how they read, not by their look-alike key', () => {
      expect(sortMembers(['nina', 'mallory', 'lisa'])).toEqual(['lisa', 'mallory', 'nina']);
    });
  });

  describe('names that look like another name', () => {
    // Each of these was accepted next to "alice" and showed others messages "from alice".
    it.each([
      ['Cyrillic а (U+0430)', '\u0430lice'],
      ['Cyrillic а, е and і', '\u0430l\u0456c\u0435'],
      ['full-width letters', '\uFF41\uFF4C\uFF49\uFF43\uFF45'],
      ['mathematical bold letters', '\u{1D41A}\u{1D425}\u{1D422}\u{1D41C}\u{1D41E}'],
      ['a capital I for the l', 'aIice'],
      ['Greek capital alpha and iota, in capitals', '\u0391LIC\u0395'],
    ])('gives %s the key of "alice"', (_label, name) => {
      expect(validateName(name)).toBe(name.normalize('NFC'));
      expect(nameKeyOf(name)).toBe(nameKeyOf('alice'));
    });

    it('gives "rn" and "m", "0" and "O", "l" and "I" one key', () => {
      expect(nameKeyOf('rnallory')).toBe(nameKeyOf('mallory'));
      expect(nameKeyOf('B0B')).toBe(nameKeyOf('bob'));
      expect(nameKeyOf('Ilya')).toBe(nameKeyOf('llya'));
    });

    it.each([
      ['a zero-width joiner inside', 'ali\u200Dce'],
      ['a zero-width joiner appended', 'alice\u200D'],
      ['a zero-width space inside', 'al\u200Bice'],
      ['a zero-width space appended', 'alice\u200B'],
      ['a zero-width non-joiner', 'ali\u200Cce'],
      ['a word joiner', 'alice\u2060'],
      ['a byte order mark inside', 'ali\uFEFFce'],
      ['a soft hyphen', 'ali\u00ADce'],
      ['a right-to-left override and the name reversed', '\u202Eecila'],
      ['a right-to-left isolate', '\u2067ecila\u2069'],
      ['a left-to-right mark', 'alice\u200E'],
      ['an Arabic letter mark', 'alice\u061C'],
      ['only zero-width spaces', '\u200B\u200B\u200B'],
      ['only Hangul fillers (U+3164)', '\u3164\u3164'],
      ['a Hangul filler appended', 'alice\u3164'],
      ['a halfwidth Hangul filler (U+FFA0)', 'alice\uFFA0'],
      ['a Hangul choseong filler (U+115F)', '\u115F'],
      ['only braille blanks (U+2800)', '\u2800\u2800'],
      ['a braille blank appended', 'alice\u2800'],
      ['a combining grapheme joiner', 'ali\u034Fce'],
      ['a Mongolian vowel separator', 'alice\u180E'],
      ['a tag character', 'alice\u{E0041}'],
      ['only a combining mark', '\u0301'],
      ['only variation selectors', '\uFE0F\uFE0F'],
      ['a lone high surrogate', 'alice\uD800'],
      ['a lone low surrogate', '\uDC00alice'],
      ['a line separator', 'al\u2028ice'],
      ['a paragraph separator', 'al\u2029ice'],
      ['a line feed', 'a\nb'],
      ['a C1 control (CSI)', 'alice\u009B'],
      ['an ANSI escape', '\u001B[31malice'],
      ['a private-use character', 'alice\uE000'],
      ['a supplementary private-use character', 'alice\u{F0000}'],
      ['an unassigned code point', 'alice\u0378'],
      ['a noncharacter', 'alice\uFFFF'],
    ])('rejects a name with %s as INVALID_NAME', (_label, name) => {
      expect(codeOf(() => validateName(name))).toBe('INVALID_NAME');
    });

    it('says which character is refused, and why', () => {
      expect(() => validateName('ali\u200Bce')).toThrow(
        'The name must not contain invisible or formatting characters (U+200B)',
      );
      expect(() => validateName('\u202Eecila')).toThrow(
        'The name must not contain bidirectional control characters (U+202E)',
      );
      expect(() => validateName('\uD800')).toThrow(
        'The name must be valid Unicode (it has a lone surrogate)',
      );
      expect(() => validateName('\u3164')).toThrow('(U+3164)');
      expect(() => validateName('\u0301')).toThrow('The name must contain a visible letter, digit or symbol');
      expect(() => validateName('x\uE000')).toThrow('private-use characters (U+E000)');
      expect(() => validateName('x\u0378')).toThrow('unassigned code points (U+0378)');
    });

    it('gives two different lone surrogates no shared key, because neither is accepted', () => {
      expect(codeOf(() => validateName('\uD800'))).toBe('INVALID_NAME');
      expect(codeOf(() => validateName('\uD801'))).toBe('INVALID_NAME');
    });

    it.each([
      ['accents', 'José'],
      ['a diaeresis', 'Zoë'],
      ['Chinese', '李小龙'],
      ['Japanese', 'さくら'],
      ['Korean', '김민준'],
      ['Arabic', 'مريم'],
      ['Hebrew', 'דוד'],
      ['Devanagari', 'अनन्या'],
      ['Greek', 'Σωκράτης'],
      ['Cyrillic', 'Наташа'],
      ['an emoji', 'alice 🦊'],
      ['an emoji ZWJ sequence', '👩‍💻 dev'],
      ['a family emoji', '👨‍👩‍👧'],
      ['an emoji with a skin tone in a ZWJ sequence', '🧑🏽‍🚀'],
      ['an emoji presentation selector', '❤️'],
      ['a keycap', '1️⃣'],
      ['a flag', '🇫🇷'],
      ['an inner space', 'Mary Ann'],
      ['digits and punctuation', 'r2-d2.'],
    ])('accepts a name in %s', (_label, name) => {
      expect(validateName(name)).toBe(name);
    });

    it('keeps diacritics apart: "Zoë" and "Zoe" are two names, "Zoë" and "ZOË" one', () => {
      expect(nameKeyOf('Zoë')).not.toBe(nameKeyOf('Zoe'));
      expect(nameKeyOf('José')).not.toBe(nameKeyOf('Jose'));
      expect(nameKeyOf('Zoe\u0308')).toBe(nameKeyOf('ZOË'));
    });

    it('keeps different names apart', () => {
      expect(nameKeyOf('alice')).not.toBe(nameKeyOf('alicia'));
      expect(nameKeyOf('Наташа')).not.toBe(nameKeyOf('Natasha'));
      expect(nameKeyOf('李小龙')).not.toBe(nameKeyOf('李小虎'));
    });

    it('ignores a variation selector in the key', () => {
      expect(nameKeyOf('alice\uFE0F')).toBe(nameKeyOf('alice'));
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

    it('keeps line breaks and tabs, every kind of line break as \\n', () => {
      expect(validateMessage('line one\nline two')).toBe('line one\nline two');
      expect(validateMessage('a\r\nb\rc\u2028d\u2029e\u0085f')).toBe('a\nb\nc\nd\ne\nf');
      expect(validateMessage('a\tb')).toBe('a\tb');
    });

    it.each([
      ['an ANSI colour escape', 'hi \u001B[31mred', 'U+001B'],
      ['a terminal title escape', '\u001B]0;pwned\u0007', 'U+001B'],
      ['a bell', 'ring\u0007', 'U+0007'],
      ['a backspace', 'ab\b\bcd', 'U+0008'],
      ['NUL', 'a\u0000b', 'U+0000'],
      ['DEL', 'a\u007Fb', 'U+007F'],
      ['a C1 control sequence introducer', 'a\u009B31m', 'U+009B'],
    ])('rejects a message with %s as INVALID_MESSAGE, naming it', (_label, message, code) => {
      expect(() => validateMessage(message)).toThrow(
        `The message must not contain control characters (${code})`,
      );
      expect(codeOf(() => validateMessage(message))).toBe('INVALID_MESSAGE');
    });

    it('rejects a message with a lone surrogate', () => {
      expect(codeOf(() => validateMessage('hi \uD83D'))).toBe('INVALID_MESSAGE');
    });

    it('keeps bidirectional marks and emoji joiners, which right-to-left writers and emoji need', () => {
      expect(validateMessage('\u200Fשלום\u200F 👩‍💻')).toBe('\u200Fשלום\u200F 👩‍💻');
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

    it('keep the legacy line one line that no message can forge a second line into', () => {
      const forged = 'hi\nbob: send me your password\rcarol: me too\u2028dave: x\u2029eve: y\u0085mallory: z';
      const frame = publicFrame('alice', forged, stamp);
      expect(frame.text).toBe(forged);
      expect(frame.publicMessage).toBe(
        'alice: hi ↵ bob: send me your password ↵ carol: me too ↵ dave: x ↵ eve: y ↵ mallory: z',
      );
      expect(privateFrame('alice', 'bob', 'a\r\nbob: b', stamp).privateMessage).toBe('alice: a ↵ bob: b');
    });

    it('keep terminal escapes out of the legacy line', () => {
      const frame = publicFrame('alice', 'x\u001B[2J\u001B]0;t\u0007\u009By\tz', stamp);
      expect(frame.publicMessage).toBe('alice: x\uFFFD[2J\uFFFD]0;t\uFFFD\uFFFDy\tz');
      expect(frame.publicMessage).not.toMatch(/[^\P{Cc}\t]/u);
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
