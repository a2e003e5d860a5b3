// The confusable skeleton of Unicode TS #39 (what names.ts builds the name key from), with the
// prototypes of `unhomoglyph` in the compact form of ./confusables-data.ts. Plain ECMAScript: the
// web client compares names with it too.

import { CONFUSABLES } from './confusables-data';

/** The value of a base-36 digit (0-9, a-z), or -1. */
const digit = (code: number): number =>
  code >= 48 && code <= 57 ? code - 48 : code >= 97 && code <= 122 ? code - 87 : -1;

/**
 * Decodes the table of scripts/generate-confusables.mjs: each key code point to its prototype.
 * One pass over the characters, no regular expression or substrings: it runs on the first name
 * comparison of each execution environment.
 */
export const decodeConfusables = (encoded: string): Map<string, string> => {
  const table = new Map<string, string>();
  let at = 0;
  let key = 0;
  let first = 0;
  const malformed = (): Error => {
    const start = encoded.lastIndexOf(',', at - 1) + 1;
    const end = encoded.indexOf(',', at);
    return new Error(`Malformed confusables record "${encoded.slice(start, end === -1 ? undefined : end)}"`);
  };
  // A base-36 number at `at` (-1 when there is none), leaving `at` after it.
  const number = (): number => {
    let value = -1;
    for (let d = digit(encoded.charCodeAt(at)); d !== -1; d = digit(encoded.charCodeAt(++at))) {
      value = (value === -1 ? 0 : value * 36) + d;
    }
    return value;
  };
  while (at < encoded.length) {
    const keyDelta = number();
    const sign = encoded[at++];
    const firstDelta = number();
    if ((sign !== '+' && sign !== '-') || firstDelta === -1) throw malformed();
    key += keyDelta === -1 ? 1 : keyDelta;
    first += sign === '-' ? -firstDelta : firstDelta;
    let prototype = String.fromCodePoint(first);
    while (encoded[at] === '.') {
      at++;
      const point = number();
      if (point === -1) throw malformed();
      prototype += String.fromCodePoint(point);
    }
    if (at < encoded.length && encoded[at++] !== ',') throw malformed();
    table.set(String.fromCodePoint(key), prototype);
  }
  return table;
};

// Decoded on first use (a fraction of a millisecond), so a function that never compares names
// pays nothing for it at module init.
let table: Map<string, string> | undefined;

/** TS #39 skeleton: NFD, each character to its confusable prototype, NFD again. */
export const confusableSkeleton = (text: string): string => {
  table ??= decodeConfusables(CONFUSABLES);
  let out = '';
  for (const character of text.normalize('NFD')) out += table.get(character) ?? character;
  return out.normalize('NFD');
};
