import unhomoglyph from 'unhomoglyph';
import data from 'unhomoglyph/data.json';
import { version } from 'unhomoglyph/package.json';
import { confusableSkeleton, decodeConfusables } from '../../../../src/chat/confusables';
import { CONFUSABLES, CONFUSABLES_SOURCE } from '../../../../src/chat/confusables-data';

// The package's own skeleton, as names.ts computed it before the table was made compact.
const packageSkeleton = (text: string): string => unhomoglyph(text.normalize('NFD')).normalize('NFD');
const mapping: Record<string, string> = data;

describe('the compact confusables table (src/chat/confusables-data.ts)', () => {
  it('was generated from the installed unhomoglyph (else: node scripts/generate-confusables.mjs)', () => {
    expect(CONFUSABLES_SOURCE).toBe(`unhomoglyph@${version}`);
  });

  it("holds exactly the package's mapping for every key that NFD text can contain", () => {
    const expected = Object.entries(mapping).filter(([key]) => key.normalize('NFD') === key);

    const table = decodeConfusables(CONFUSABLES);

    expect([...table].sort()).toEqual(expected.sort());
  });

  it("gives the package's skeleton for every key, also those NFD takes apart, alone and in text", () => {
    const keys = Object.keys(mapping);
    const mismatches = keys.filter((key) => confusableSkeleton(key) !== packageSkeleton(key));
    const text = `a${keys.join('b')}c`;

    expect(mismatches).toEqual([]);
    expect(confusableSkeleton(text)).toBe(packageSkeleton(text));
  });

  it('leaves what the table lacks as it is, lone surrogates included', () => {
    for (const text of ['alice', '\uD800x', 'x\uDC00', '\u{1D400}\uD835', '👩‍💻', '']) {
      expect(confusableSkeleton(text)).toBe(packageSkeleton(text));
    }
  });

  it('refuses a malformed record instead of reading it as another character', () => {
    expect(() => decodeConfusables('1+2,x')).toThrow('Malformed confusables record "x"');
    expect(() => decodeConfusables('1+2,3+')).toThrow('Malformed confusables record "3+"');
    expect(() => decodeConfusables('+1.,+2')).toThrow('Malformed confusables record "+1."');
    expect(() => decodeConfusables('+1;+2')).toThrow('Malformed confusables record "+1;+2"');
    expect(decodeConfusables('y+13.13,3+43.1b,+1')).toEqual(
      new Map([
        ['"', "''"],
        ['%', '\u00BA/'],
        ['&', '\u00BB'],
      ]),
    );
  });
});
