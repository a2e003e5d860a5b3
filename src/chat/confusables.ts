// The confusable skeleton of Unicode TS #39 (what names.ts builds the name key from), with the
// prototypes of `unhomoglyph` in the compact form of ./confusables-data.ts. Plain ECMAScript: the
// web client compares names with it too.

import { CONFUSABLES } from './confusables-data';

const RECORD = /^([0-9a-z]*)([+-])([0-9a-z]+)((?:\.[0-9a-z]+)*)$/;

/** Decodes the table of scripts/generate-confusables.mjs: each key code point to its prototype. */
export const decodeConfusables = (encoded: string): Map<string, string> => {
  const table = new Map<string, string>();
  let key = 0;
  let first = 0;
  for (const record of encoded.split(',')) {
    const parts = RECORD.exec(record);
    if (parts === null) throw new Error(`Malformed confusables record "${record}"`);
    const [, keyDelta = '', sign, firstDelta = '', rest = ''] = parts;
    key += keyDelta === '' ? 1 : Number.parseInt(keyDelta, 36);
    first += (sign === '-' ? -1 : 1) * Number.parseInt(firstDelta, 36);
    const more =
      rest === ''
        ? []
        : rest
            .slice(1)
            .split('.')
            .map((point) => Number.parseInt(point, 36));
    table.set(String.fromCodePoint(key), String.fromCodePoint(first, ...more));
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
