const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const pad = (n: number): string => (n < 10 ? `0${n}` : String(n));

let cachedSecond = -1;
let cachedText = '';

/** requestContext.requestTime as API Gateway writes it: "11/Nov/2024:11:35:24 +0000" (always UTC). */
export function formatRequestTime(epochMs: number): string {
  const second = Math.floor(epochMs / 1000);
  // Every message needs one; the text only changes once a second.
  if (second === cachedSecond) return cachedText;
  const d = new Date(second * 1000);
  cachedText = `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(
    d.getUTCMinutes(),
  )}:${pad(d.getUTCSeconds())} +0000`;
  cachedSecond = second;
  return cachedText;
}
