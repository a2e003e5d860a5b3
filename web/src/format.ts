// Timestamps shown next to messages: a short local clock time, with the full date on hover.

const pad = (value: number): string => String(value).padStart(2, '0');

/** `HH:MM` in the viewer's time zone (24-hour, so it reads the same in every locale). */
export function formatClock(ts: number): string {
  const date = new Date(ts);
  return `${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The full local date and time, for the title of a timestamp. */
export function formatFullTime(ts: number): string {
  const date = new Date(ts);
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(
    date.getMinutes(),
  )}:${pad(date.getSeconds())}`;
}
