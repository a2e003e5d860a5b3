// Plain checks for what arrives from outside (Lambda events, environment variables). A schema
// library earned little here: classic zod was 455 KB of each 1.25 MB handler bundle, and these
// few shapes read as clearly written out.

export type JsonObject = Record<string, unknown>;

export const isRecord = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const isNonEmptyString = (value: unknown): value is string =>
  typeof value === 'string' && value !== '';

export const isFiniteNumber = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);

/**
 * Collects what is wrong with a value as "<path> <problem>", so one error names every problem
 * instead of the first one only.
 */
export class Problems {
  private readonly found: string[] = [];

  add(path: string, problem: string): void {
    this.found.push(`${path} ${problem}`);
  }

  /** Records `problem` at `path` unless `ok`; returns `ok` so nested checks can be skipped. */
  check(ok: boolean, path: string, problem: string): boolean {
    if (!ok) this.add(path, problem);
    return ok;
  }

  /** Checks an optional field: absent is fine, present must pass `test`. */
  optional(value: unknown, test: (value: unknown) => boolean, path: string, problem: string): boolean {
    return this.check(value === undefined || test(value), path, problem);
  }

  get any(): boolean {
    return this.found.length > 0;
  }

  toString(): string {
    return this.found.join('; ');
  }
}
