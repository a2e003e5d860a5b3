// When two names are the same name, and which characters a name may hold. Plain ECMAScript (no
// Node APIs): the server decides with it and the browser client compares names with it too.
//
// A name that looks like another must not coexist with it: `аlice` (Cyrillic а), `ａｌｉｃｅ`
// (full-width) and `alice` are one name. The uniqueness key is NFKC, case folding and the
// confusable skeleton of Unicode TS #39, whose data comes from the `unhomoglyph` package (Unicode's
// confusables.txt, generated into a compact table: see confusables.ts). Characters that cannot be
// seen, or that reorder or break the text around them, are refused outright rather than folded: a
// name shows what it is.

import { confusableSkeleton } from './confusables';

// A lone UTF-16 half cannot be encoded as UTF-8: every store would write U+FFFD, so two
// different lone halves would also become one stored name.
const LONE_SURROGATE = /\p{Cs}/u;
const CONTROL = /\p{Cc}/u;
const LINE_BREAK = /[\p{Zl}\p{Zp}]/u;
const BIDI_CONTROL = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;
// A zero-width joiner is how emoji combine (👩‍💻): allowed between two pictographs only.
const EMOJI_JOINER =
  /(\p{Extended_Pictographic}[\u{FE0F}\u{1F3FB}-\u{1F3FF}]?)\u200D(?=\p{Extended_Pictographic})/gu;
// Variation selectors pick an emoji or glyph style of the character before them: harmless, but
// they change no letter, so the key ignores them.
const VARIATION_SELECTORS = /[\u{FE00}-\u{FE0F}\u{E0100}-\u{E01EF}]/gu;
// Format characters (Cf) and the other default-ignorable code points: zero-width spaces and
// joiners, Hangul fillers (U+115F, U+1160, U+3164, U+FFA0), the combining grapheme joiner, and
// characters fonts draw as blank although they are not spaces (braille blank U+2800).
const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]/u;
const UNASSIGNED = /\p{Cn}/u;
const PRIVATE_USE = /\p{Co}/u;
// What a reader can see: a name needs at least one of these (not only spaces and marks).
const VISIBLE = /[\p{L}\p{N}\p{P}\p{S}]/u;
const SPACES = /\s+/gu;

const codePoint = (text: string, pattern: RegExp): string => {
  const found = pattern.exec(text)?.[0] ?? '';
  return `U+${(found.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
};

/** What the user typed, as the server keeps and shows it: trimmed, in NFC (é is é however typed). */
export const normalizeName = (raw: string): string => raw.trim().normalize('NFC');

/**
 * Why a (normalised) name is not allowed, or `undefined` when it is. Length is the caller's rule.
 * Tab, line breaks and other control characters, invisible or format characters, bidirectional
 * controls, unassigned or private-use code points and lone surrogates are refused.
 */
export const findNameProblem = (name: string): string | undefined => {
  if (LONE_SURROGATE.test(name)) return 'The name must be valid Unicode (it has a lone surrogate)';
  if (CONTROL.test(name)) return 'The name must not contain control characters';
  if (LINE_BREAK.test(name)) return 'The name must not contain line or paragraph separators';
  if (BIDI_CONTROL.test(name)) {
    return `The name must not contain bidirectional control characters (${codePoint(name, BIDI_CONTROL)})`;
  }
  const withoutAllowed = name.replace(EMOJI_JOINER, '$1').replace(VARIATION_SELECTORS, '');
  if (INVISIBLE.test(withoutAllowed)) {
    return `The name must not contain invisible or formatting characters (${codePoint(withoutAllowed, INVISIBLE)})`;
  }
  if (PRIVATE_USE.test(name)) {
    return `The name must not contain private-use characters (${codePoint(name, PRIVATE_USE)})`;
  }
  if (UNASSIGNED.test(name))
    return `The name must not contain unassigned code points (${codePoint(name, UNASSIGNED)})`;
  if (!VISIBLE.test(name)) {
    return 'The name must contain a visible letter, digit or symbol';
  }
  return undefined;
};

/**
 * Compatibility forms and case folded: `ＡＬＩＣＥ`, `Alice` and `alice` agree, and so do `ß` and
 * `ss` (JavaScript has no case folding; upper then lower case gives the full folding for names).
 * Diacritics are kept: `Zoë` and `Zoe` are two names, as they look different.
 */
export const foldName = (name: string): string =>
  name.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC').replace(SPACES, ' ');

// The skeleton is case-sensitive and the key must not be: capitals first (case-canonical, and
// where `I` meets `l` and Cyrillic `А` meets `A`), then small letters (`m` meets `rn`, Cyrillic
// `а` meets `a`). Prototypes may fold to something mapped again, so repeat until nothing changes.
const keyStep = (text: string): string =>
  foldName(confusableSkeleton(foldName(confusableSkeleton(text.toUpperCase()))));

/**
 * The uniqueness key: two names with the same key look alike and cannot both be in use. Not for
 * display (`m` becomes `rn`); sort and show names with {@link foldName} and the name itself.
 */
export const nameKey = (name: string): string => {
  let key = keyStep(name.replace(VARIATION_SELECTORS, '').normalize('NFKC'));
  for (let round = 0; round < 4; round++) {
    const next = keyStep(key);
    if (next === key) break;
    key = next;
  }
  return key;
};

/** Whether two names are one name: how the server and the web client compare names. */
export const sameName = (a: string | undefined, b: string | undefined): boolean =>
  a !== undefined && b !== undefined && (a === b || nameKey(a) === nameKey(b));
