import { nameKeyOf, validateName as serverValidateName } from '../../../src/chat/rules';
import { entryFromFrame } from '../../../web/src/message-log';
import { sameName, validateName } from '../../../web/src/protocol';

// The page decides which messages are "mine", which member is "(you)" and who can be picked as a
// private recipient by comparing names; it must agree with the server's uniqueness rule.
describe('the web client compares names as the server does', () => {
  it.each([
    ['case', 'ALICE'],
    ['Cyrillic а (U+0430)', '\u0430lice'],
    ['full-width letters', '\uFF41\uFF4C\uFF49\uFF43\uFF45'],
    ['a capital I for the l', 'aIice'],
    ['a decomposed accent', 'Zoe\u0308'],
  ])('treats "alice"-like names by %s as one name, as the server key does', (_label, other) => {
    const base = other === 'Zoe\u0308' ? 'Zoë' : 'alice';
    expect(nameKeyOf(other)).toBe(nameKeyOf(base));
    expect(sameName(other, base)).toBe(true);
  });

  it('keeps names apart that the server keeps apart', () => {
    for (const [a, b] of [
      ['alice', 'alicia'],
      ['Zoë', 'Zoe'],
      ['李小龙', '李小虎'],
    ] as const) {
      expect(nameKeyOf(a)).not.toBe(nameKeyOf(b));
      expect(sameName(a, b)).toBe(false);
    }
    expect(sameName(undefined, 'alice')).toBe(false);
  });

  it('marks a message as mine when the server spells my name in another compatibility form', () => {
    const frame = { type: 'public', id: '01J', ts: 1, from: 'ＡＬＩＣＥ', text: 'hi' } as const;
    expect(entryFromFrame(frame, 'alice').own).toBe(true);
  });

  it.each([
    ['a zero-width space', 'ali\u200Bce'],
    ['a right-to-left override', '\u202Eecila'],
    ['only Hangul fillers', '\u3164\u3164'],
    ['a braille blank', 'alice\u2800'],
    ['a lone surrogate', 'alice\uD800'],
  ])('refuses a name with %s before sending it, with the reason the server would give', (_label, name) => {
    const checked = validateName(name);
    expect(checked.ok).toBe(false);
    let serverReason = '';
    try {
      serverValidateName(name);
    } catch (error) {
      serverReason = (error as Error).message;
    }
    expect(checked.ok ? '' : checked.error).toBe(`${serverReason}.`);
  });
});
