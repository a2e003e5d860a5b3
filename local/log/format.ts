/**
 * Console formatting for the local stack: one line per invocation and function log lines made
 * readable (a Powertools JSON line becomes `LEVEL message key=value ...`).
 */

/** Powertools fields every line carries; they add noise, not information, on a console. */
const NOISE = new Set([
  'level',
  'message',
  'timestamp',
  'service',
  'sampling_rate',
  'function_arn',
  'function_memory_size',
  'function_name',
  'function_request_id',
  'cold_start',
  'xray_trace_id',
]);

export interface Palette {
  dim(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
  cyan(text: string): string;
  bold(text: string): string;
}

const ansi = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;

export const COLORS: Palette = {
  dim: ansi(2, 22),
  red: ansi(31, 39),
  yellow: ansi(33, 39),
  green: ansi(32, 39),
  cyan: ansi(36, 39),
  bold: ansi(1, 22),
};

const same = (text: string): string => text;
export const PLAIN: Palette = { dim: same, red: same, yellow: same, green: same, cyan: same, bold: same };

function valueText(value: unknown): string {
  if (typeof value === 'string') return /[\s"]/.test(value) || value === '' ? JSON.stringify(value) : value;
  return JSON.stringify(value) ?? String(value);
}

function colorLevel(level: string, palette: Palette): string {
  const upper = level.toUpperCase();
  if (upper === 'ERROR' || upper === 'CRITICAL' || upper === 'FATAL') return palette.red(upper);
  if (upper === 'WARN' || upper === 'WARNING') return palette.yellow(upper);
  if (upper === 'DEBUG' || upper === 'TRACE') return palette.dim(upper);
  return upper;
}

function formatJsonLog(record: Record<string, unknown>, palette: Palette): string {
  const level = typeof record.level === 'string' ? record.level : 'INFO';
  const message = typeof record.message === 'string' ? record.message : JSON.stringify(record.message ?? '');
  const extras: string[] = [];
  for (const [key, value] of Object.entries(record)) {
    if (NOISE.has(key) || value === undefined) continue;
    extras.push(`${palette.dim(`${key}=`)}${valueText(value)}`);
  }
  return [colorLevel(level, palette), message, ...extras].join(' ');
}

// The Lambda Node.js runtime's text format: "2024-11-11T11:35:24.123Z\t<request id>\tINFO\tmessage".
const RUNTIME_LINE = /^\d{4}-\d\d-\d\dT[\d:.]+Z\t[0-9a-f-]{36}\t([A-Z]+)\t([\s\S]*)$/;

/** One function log line made readable; lines that are not JSON come back as they are. */
export function formatFunctionLogLine(line: string, palette: Palette = PLAIN): string {
  let text = line.replace(/\s+$/, '');
  let level: string | undefined;
  const runtime = RUNTIME_LINE.exec(text);
  if (runtime) {
    level = runtime[1];
    text = runtime[2] ?? '';
  }
  const start = text.trimStart();
  if (start.startsWith('{') && start.endsWith('}')) {
    try {
      const parsed: unknown = JSON.parse(start);
      if (parsed !== null && typeof parsed === 'object' && ('message' in parsed || 'level' in parsed)) {
        return formatJsonLog(parsed as Record<string, unknown>, palette);
      }
    } catch {
      // Not JSON after all: print it as it is.
    }
  }
  return level ? `${colorLevel(level, palette)} ${text}` : text;
}

export function clock(date: Date = new Date()): string {
  return date.toISOString().slice(11, 23);
}

/** What the invocation line shows; LambdaService's InvocationReport is adapted to it. */
export interface InvocationLine {
  functionName: string;
  label?: string;
  durationMs: number;
  cold: boolean;
  ok: boolean;
  outcome?: string;
  error?: string;
}

const ERROR_MESSAGE_CHARS = 200;

/**
 * `Type: message` for an invocation line: the first line of the message, shortened, so a failed
 * async invocation (whose error reaches no caller) says on the console why it failed.
 */
export function describeInvocationError(errorType?: string, errorMessage?: string): string | undefined {
  const firstLine = (errorMessage ?? '').split('\n', 1)[0]?.trim() ?? '';
  const message =
    firstLine.length > ERROR_MESSAGE_CHARS ? `${firstLine.slice(0, ERROR_MESSAGE_CHARS - 1)}…` : firstLine;
  if (errorType && message) return `${errorType}: ${message}`;
  return errorType || message || undefined;
}

export function formatInvocationLine(line: InvocationLine, palette: Palette = PLAIN): string {
  const duration = `${line.durationMs < 10 ? line.durationMs.toFixed(1) : Math.round(line.durationMs)} ms`;
  const outcome = line.ok
    ? palette.green(line.outcome ?? 'ok')
    : palette.red(`${line.outcome ?? 'error'}${line.error ? `: ${line.error}` : ''}`);
  return [
    palette.dim(clock()),
    palette.bold(line.functionName),
    line.label ? palette.cyan(line.label) : '',
    duration,
    line.cold ? palette.yellow('cold') : palette.dim('warm'),
    outcome,
  ]
    .filter(Boolean)
    .join('  ');
}

/** What an invocation report says about its result (LambdaService's InvocationReport has these fields). */
export interface InvocationResult {
  label?: string;
  durationMs: number;
  cold: boolean;
  outcome: string;
  errorType?: string;
  errorMessage?: string;
  statusCode?: number;
  responseBodyLine?: string;
  loggedError?: string;
}

/**
 * The console line of one invocation. A function that answered a statusCode of 500 or more, or logged
 * an error, did not work even though Lambda counts it as a success: it shows as a failure with the
 * body's (or the error's) first line, so a user sees why nothing arrived.
 */
export function invocationLine(functionName: string, result: InvocationResult): InvocationLine {
  const base = { functionName, label: result.label, durationMs: result.durationMs, cold: result.cold };
  if (result.outcome !== 'success') {
    return {
      ...base,
      ok: false,
      outcome: result.outcome,
      error: describeInvocationError(result.errorType, result.errorMessage),
    };
  }
  if (result.statusCode !== undefined && result.statusCode >= 500) {
    return {
      ...base,
      ok: false,
      outcome: `status ${result.statusCode}`,
      error: describeInvocationError(undefined, result.responseBodyLine ?? result.loggedError),
    };
  }
  if (result.loggedError !== undefined) {
    return {
      ...base,
      ok: false,
      outcome: 'logged an error',
      error: describeInvocationError(undefined, result.loggedError),
    };
  }
  return { ...base, ok: true, outcome: 'ok' };
}
