import { findNameProblem, foldName, nameKey, normalizeName, sameName } from '../../../../src/chat/names';

describe('names', () => {
  describe('nameKey', () => {
    it('is the same for every case of a name, also beyond ASCII', () => {
      expect(nameKey('STRASSE')).toBe(nameKey('straße'));
      expect(nameKey('ΣΩΚΡΑΤΗΣ')).toBe(nameKey('σωκρατης'));
      expect(nameKey('ΣΩΚΡΑΤΗΣ')).toBe(nameKey('σωκρατης'.replace(/σ$/, 'ς')));
    });

    it('folds compatibility forms: ligatures, full-width, Roman numerals, odd spaces', () => {
      expect(nameKey('ﬁona')).toBe(nameKey('fiona'));
      expect(nameKey('Ｂｏｂ')).toBe(nameKey('bob'));
      expect(nameKey('Louis Ⅻ')).toBe(nameKey('Louis XII'));
      expect(nameKey('Mary\u00A0Ann')).toBe(nameKey('Mary Ann'));
      expect(nameKey('Mary\u3000Ann')).toBe(nameKey('Mary  Ann'));
    });

    it('maps whole-script look-alikes onto one key (Cyrillic "сор" and Latin "cop")', () => {
      expect(nameKey('\u0441\u043E\u0440')).toBe(nameKey('cop'));
      expect(nameKey('\u0420\u0410\u0423\u0420\u0410L')).toBe(nameKey('paypal'));
    });

    it('does not change on a second pass, so a stored key can be compared with a new one', () => {
      for (const name of ['alice', 'Ilya', 'mallory', 'Ærøskøbing', '👩‍💻 dev', 'Наташа', 'مريم']) {
        expect(nameKey(nameKey(name))).toBe(nameKey(name));
      }
    });
  });

  describe('foldName', () => {
    it('folds case and compatibility forms but stays readable, for sorting', () => {
      expect(foldName('ＭＡＬＬＯＲＹ')).toBe('mallory');
      expect(foldName('Zoë')).toBe('zoë');
    });
  });

  describe('sameName', () => {
    it('compares by key, and never matches a missing name', () => {
      expect(sameName('alice', '\u0430lice')).toBe(true);
      expect(sameName('alice', 'bob')).toBe(false);
      expect(sameName(undefined, undefined)).toBe(false);
    });
  });

  describe('findNameProblem', () => {
    it('accepts what normalizeName makes of a typed name', () => {
      expect(normalizeName('  Zoe\u0308 ')).toBe('Zoë');
      expect(findNameProblem(normalizeName('  Zoe\u0308 '))).toBeUndefined();
    });

    it('allows a zero-width joiner only between two pictographs', () => {
      expect(findNameProblem('👩\u200D💻')).toBeUndefined();
      expect(findNameProblem('👩\u200Dx')).toMatch(/U\+200D/);
      expect(findNameProblem('x\u200D💻')).toMatch(/U\+200D/);
    });
  });
});
