/**
 * A ULID (https://github.com/ulid/spec). Within one millisecond in one process the random part is
 * incremented instead of redrawn, so ids made in a burst by one function still sort in order.
 */
export declare const ulid: (now?: number) => string;
/** The millisecond timestamp a ULID carries. */
export declare const ulidTime: (id: string) => number;
