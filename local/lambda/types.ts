export interface LambdaError {
  errorType: string;
  errorMessage: string;
  trace?: string[];
}

export type InvocationOutcome = 'success' | 'error' | 'timeout' | 'throttled' | 'crash';

export interface InvocationReport {
  functionLogicalId: string;
  functionName: string;
  requestId: string;
  label?: string;
  /** Time in the handler (Lambda's Duration). */
  durationMs: number;
  /** Lambda bills per millisecond, rounded up. */
  billedMs: number;
  memorySizeMb: number;
  /** Set on a cold start: the time to load the module (Lambda's Init Duration). */
  initDurationMs?: number;
  cold: boolean;
  outcome: InvocationOutcome;
  errorType?: string;
  /** The error's message when the outcome is not 'success' (what Lambda writes to the log). */
  errorMessage?: string;
  /** The integration response's statusCode, when the function returned an object with one. */
  statusCode?: number;
  /** The first line of that response's body when statusCode is 500 or more (the function's own failure). */
  responseBodyLine?: string;
  /** The first error the function logged during the invocation (console.error, a Logger ERROR line). */
  loggedError?: string;
  /** Time spent waiting for a free environment when the local cap was reached. */
  queuedMs: number;
  invocationType: 'RequestResponse' | 'Event';
  /** 1 for the first attempt of an async invocation, 2 and 3 for its retries. */
  attempt: number;
  /** CPU time of the environment's thread during the handler, and its source (see thread-cpu.mjs). */
  cpu?: ThreadCpu;
}

export interface ThreadCpu {
  ms: number;
  source: string;
}

export type InvokeResult =
  | { ok: true; payload: unknown; report: InvocationReport }
  | { ok: false; error: LambdaError; report: InvocationReport };

/** What one run of the handler in an environment gave back (the payload still serialised). */
export type HandlerOutcome = (
  | { ok: true; payload: string; loggedError?: string }
  | { ok: false; error: LambdaError; outcome: InvocationOutcome }
) & { cpu?: ThreadCpu };

export interface DeadLetterPayload {
  body: string;
  attributes: Record<string, string>;
}

export interface LambdaStats {
  invocations: number;
  coldStarts: number;
  errors: number;
  timeouts: number;
  throttles: number;
  asyncInvocations: number;
  asyncRetries: number;
  deadLetters: number;
  environments: number;
  xraySegments: number;
}

/** The counters LambdaService zeroes on resetStats (environments is a gauge, segments come from the sink). */
export type LambdaCounters = Omit<LambdaStats, 'environments' | 'xraySegments'>;

export const STOPPING: LambdaError = {
  errorType: 'ServiceException',
  errorMessage: 'The local stack is stopping',
};
export const ENVIRONMENT_GONE: LambdaError = {
  errorType: 'Runtime.ExitError',
  errorMessage: 'The execution environment stopped before the invocation',
};

export const exitError = (code: number | undefined): LambdaError => ({
  errorType: 'Runtime.ExitError',
  errorMessage: `Runtime exited with error: exit status ${code}`,
});

/** Per function: invocations, errors, cold starts, summed duration and billed time. */
export interface FunctionStats {
  invocations: number;
  errors: number;
  coldStarts: number;
  durationMs: number;
  billedMs: number;
  memorySizeMb: number;
}
