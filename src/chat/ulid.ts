// Crockford base32: ULIDs sort lexicographically in time order and avoid ambiguous letters.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TIME_CHARS = 10; // 48 bits of milliseconds
const RANDOM_CHARS = 16; // 80 random bits
const MAX_TIME = 2 ** 48 - 1;
const RANDOM_MAX = (1n << 80n) - 1n;

/** 80 random bits from the Web Crypto API (a global in Node and browsers alike, unlike node:crypto). */
const randomBits80 = (): bigint => {
  let value = 0n;
  for (const byte of crypto.getRandomValues(new Uint8Array(10))) value = (value << 8n) | BigInt(byte);
  return value;
};

const encode = (value: bigint, length: number): string => {
  let out = '';
  let rest = value;
  for (let i = 0; i < length; i++) {
    out = ALPHABET[Number(rest & 31n)] + out;
    rest >>= 5n;
  }
  return out;
};

let lastTime = -1;
let lastRandom = 0n;

/**
 * A ULID (https://github.com/ulid/spec). Within one millisecond in one process the random part is
 * incremented instead of redrawn, so ids made in a burst by one function still sort in order.
 */
export const ulid = (now: number = Date.now()): string => {
  if (!Number.isInteger(now) || now < 0 || now > MAX_TIME) throw new RangeError(`Invalid ULID time: ${now}`);
  if (now === lastTime && lastRandom < RANDOM_MAX) {
    lastRandom += 1n;
  } else {
    lastTime = now;
    lastRandom = randomBits80();
  }
  return encode(BigInt(now), TIME_CHARS) + encode(lastRandom, RANDOM_CHARS);
};

/** The millisecond timestamp a ULID carries. */
export const ulidTime = (id: string): number => {
  let time = 0;
  for (const char of id.slice(0, TIME_CHARS)) {
    const digit = ALPHABET.indexOf(char);
    if (digit < 0) throw new RangeError(`Not a ULID: ${id}`);
    time = time * 32 + digit;
  }
  return time;
};
