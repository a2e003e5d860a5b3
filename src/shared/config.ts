/** Raised at cold start when the template did not pass a variable the code needs. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

/** How one variable is read: its value, or what is wrong with the text it was given. */
export type Variable<T> = (text: string) => { value: T } | { problem: string };

const nonEmpty: Variable<string> = (text) =>
  text.trim() === '' ? { problem: 'it is blank' } : { value: text.trim() };

const positiveInt =
  (max: number): Variable<number> =>
  (text) => {
    const value = Number(text);
    return Number.isInteger(value) && value >= 1 && value <= max
      ? { value }
      : { problem: `expected a whole number from 1 to ${max}` };
  };

const httpUrl: Variable<string> = (text) => {
  const protocol = URL.canParse(text) ? new URL(text).protocol : undefined;
  return protocol === 'https:' || protocol === 'http:'
    ? { value: text }
    : { problem: 'expected an http(s) URL' };
};

/** The variables one function reads, each with how it is read. */
export interface Environment<Shape extends Record<string, Variable<unknown>>> {
  readonly shape: Shape;
}

export type ConfigOf<E> =
  E extends Environment<infer Shape>
    ? { [Key in keyof Shape]: Shape[Key] extends Variable<infer T> ? T : never }
    : never;

const environment = <Shape extends Record<string, Variable<unknown>>>(shape: Shape): Environment<Shape> => ({
  shape,
});

// ---- Per-connection rate limits (template Parameters, docs/protocol.md "Rate limits") ----
const positiveRate =
  (max: number): Variable<number> =>
  (text) => {
    const value = Number(text);
    return text.trim() !== '' && Number.isFinite(value) && value > 0 && value <= max
      ? { value }
      : { problem: `expected a number above 0, at most ${max}` };
  };
const rateLimitEnvironment = () => ({
  PUBLIC_MESSAGE_BURST: positiveInt(10_000),
  PUBLIC_MESSAGES_PER_SECOND: positiveRate(10_000),
  PRIVATE_MESSAGE_BURST: positiveInt(10_000),
  PRIVATE_MESSAGES_PER_SECOND: positiveRate(10_000),
  NAME_CHANGE_BURST: positiveInt(10_000),
  NAME_CHANGES_PER_MINUTE: positiveRate(60_000),
});
// ---- end of rate limits ----

/**
 * What each function reads from its environment. The template test derives the expected
 * variables from these shapes, so adding a variable here without adding it to template.yaml fails.
 */
export const chatApiEnvironment = environment({
  CHAT_TABLE_NAME: nonEmpty,
  EVENT_BUS_NAME: nonEmpty,
  UNPUBLISHED_EVENTS_QUEUE_URL: httpUrl,
  CALLBACK_URL: httpUrl,
  SHARD_COUNT: positiveInt(1000),
  ...rateLimitEnvironment(),
});

export const broadcasterEnvironment = environment({
  CHAT_TABLE_NAME: nonEmpty,
  IDEMPOTENCY_TABLE_NAME: nonEmpty,
  EVENT_BUS_NAME: nonEmpty,
  UNPUBLISHED_EVENTS_QUEUE_URL: httpUrl,
  CALLBACK_URL: httpUrl,
  SHARD_COUNT: positiveInt(1000),
  SEND_CONCURRENCY: positiveInt(500),
  // Audience-sized sharding (docs/architecture.md, "Fan-out"): a room above this size is split.
  RECIPIENTS_PER_DELIVERY: positiveInt(1_000_000),
  MAX_PARALLEL_DELIVERIES: positiveInt(1000),
  // Presence (docs/protocol.md, "Members list"): audiences up to this size get full members frames.
  PRESENCE_FULL_LIST_MAX: positiveInt(100_000),
  // Where a larger room's presence events wait to be coalesced (docs/architecture.md, "Presence").
  PRESENCE_QUEUE_URL: httpUrl,
});

export type ChatApiConfig = ConfigOf<typeof chatApiEnvironment>;
export type BroadcasterConfig = ConfigOf<typeof broadcasterEnvironment>;

/**
 * Reads and validates the environment once (call it at module scope). Every missing or invalid
 * variable is named in one error, so a misconfigured deployment fails its first invocation loudly.
 */
export const loadConfig = <Shape extends Record<string, Variable<unknown>>>(
  spec: Environment<Shape>,
  env: Record<string, string | undefined> = process.env,
): ConfigOf<Environment<Shape>> => {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, read] of Object.entries(spec.shape)) {
    const text = env[name];
    if (text === undefined || text === '') {
      problems.push(`${name} is not set`);
      continue;
    }
    const result = read(text);
    if ('problem' in result) problems.push(`${name} is invalid (${result.problem})`);
    else values[name] = result.value;
  }
  if (problems.length > 0) {
    throw new ConfigurationError(`Environment configuration error: ${problems.join('; ')}`);
  }
  return values as ConfigOf<Environment<Shape>>;
};
