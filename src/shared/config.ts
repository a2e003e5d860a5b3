import { z } from 'zod';

/** Raised at cold start when the template did not pass a variable the code needs. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

const nonEmpty = z.string().trim().min(1);
const positiveInt = z.coerce.number().int().positive();

// ---- Per-connection rate limits (template Parameters, docs/protocol.md "Rate limits") ----
const positiveRate = z.coerce.number().positive();
function rateLimitEnvironment() {
  return {
    PUBLIC_MESSAGE_BURST: positiveInt.max(10_000),
    PUBLIC_MESSAGES_PER_SECOND: positiveRate.max(10_000),
    PRIVATE_MESSAGE_BURST: positiveInt.max(10_000),
    PRIVATE_MESSAGES_PER_SECOND: positiveRate.max(10_000),
    NAME_CHANGE_BURST: positiveInt.max(10_000),
    NAME_CHANGES_PER_MINUTE: positiveRate.max(60_000),
  };
}
// ---- end of rate limits ----

/**
 * What each function reads from its environment. The template test derives the expected
 * variables from these shapes, so adding a variable here without adding it to template.yaml fails.
 */
export const chatApiEnvironment = z.object({
  CHAT_TABLE_NAME: nonEmpty,
  EVENT_BUS_NAME: nonEmpty,
  CALLBACK_URL: z.url({ protocol: /^https?$/ }),
  SHARD_COUNT: positiveInt.max(1000),
  ...rateLimitEnvironment(),
});

export const broadcasterEnvironment = z.object({
  CHAT_TABLE_NAME: nonEmpty,
  IDEMPOTENCY_TABLE_NAME: nonEmpty,
  EVENT_BUS_NAME: nonEmpty,
  CALLBACK_URL: z.url({ protocol: /^https?$/ }),
  SHARD_COUNT: positiveInt.max(1000),
  SEND_CONCURRENCY: positiveInt.max(500),
});

export type ChatApiConfig = z.infer<typeof chatApiEnvironment>;
export type BroadcasterConfig = z.infer<typeof broadcasterEnvironment>;

/**
 * Reads and validates the environment once (call it at module scope). Every missing or invalid
 * variable is named in one error, so a misconfigured deployment fails its first invocation loudly.
 */
export const loadConfig = <Shape extends z.ZodRawShape>(
  schema: z.ZodObject<Shape>,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<Shape>> => {
  const values: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) values[key] = env[key];
  const result = schema.safeParse(values);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const variable = String(issue.path[0]);
    return env[variable] === undefined || env[variable] === ''
      ? `${variable} is not set`
      : `${variable} is invalid (${issue.message})`;
  });
  throw new ConfigurationError(`Environment configuration error: ${[...new Set(problems)].join('; ')}`);
};
