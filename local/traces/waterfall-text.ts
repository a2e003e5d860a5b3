import type { Palette } from '../log';
import type { Trace, TraceNode } from '../xray';

// A trace as an indented waterfall for a terminal (`npm run traces`): one line per segment with
// its offset from the trace's start, its duration, a bar on a fixed-width timeline, and what it
// was about; exceptions follow their segment, with the top of their stack.

const BAR_WIDTH = 30;
const STACK_LINES = 3;

const same = (text: string) => text;
const PLAIN_PALETTE: Palette = { dim: same, red: same, yellow: same, green: same, cyan: same, bold: same };

/** What the segment's `aws` fields say: the operation and table, the route, the event and rule. */
export function noteOf(node: TraceNode): string {
  const aws = node.aws ?? {};
  const parts: string[] = [];
  for (const key of ['operation', 'table_name', 'route_key', 'detail_type', 'rule', 'index_name']) {
    const value = aws[key];
    if (typeof value === 'string') parts.push(value);
  }
  if (aws.cold_start === true) parts.push('cold start');
  if (typeof aws.attempt === 'number' && aws.attempt > 1) parts.push(`attempt ${aws.attempt}`);
  const status = (node.http?.response as { status?: unknown } | undefined)?.status;
  if (typeof status === 'number') parts.push(String(status));
  return parts.join(' · ');
}

const ms = (value: number): string =>
  value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(1)} ms`;

export function formatTrace(trace: Trace, palette: Palette = PLAIN_PALETTE): string {
  const flags = trace.fault ? palette.red(' FAULT') : trace.error ? palette.yellow(' ERROR') : '';
  const started = new Date(trace.startMs).toISOString().slice(11, 23);
  const lines = [
    `${palette.bold(trace.title)}  ${trace.id}  ${started}  ${ms(trace.durationMs)}  ${trace.documents} segments${
      trace.dropped ? ` (${trace.dropped} dropped)` : ''
    }${flags}`,
  ];
  const total = Math.max(trace.durationMs, 0.001);
  const walk = (node: TraceNode, depth: number): void => {
    const begin = node.start_time * 1000 - trace.startMs;
    const end = (node.end_time ?? node.start_time) * 1000 - trace.startMs;
    const from = Math.min(BAR_WIDTH - 1, Math.floor((begin / total) * BAR_WIDTH));
    const width = Math.max(1, Math.round(((end - begin) / total) * BAR_WIDTH));
    const bar = `${' '.repeat(from)}${'█'.repeat(Math.min(width, BAR_WIDTH - from))}`.padEnd(BAR_WIDTH);
    const note = noteOf(node);
    const mark = node.fault
      ? palette.red(' fault')
      : node.error || node.throttle
        ? palette.yellow(' error')
        : '';
    const open = node.in_progress ? palette.dim(' (in progress)') : '';
    lines.push(
      `${ms(begin).padStart(9)} ${ms(end - begin).padStart(9)} ${palette.cyan(bar)} ${'  '.repeat(depth)}${node.name}${
        note ? palette.dim(`  ${note}`) : ''
      }${mark}${open}`,
    );
    const cause = typeof node.cause === 'object' ? node.cause : undefined;
    for (const exception of cause?.exceptions ?? []) {
      const pad = `${' '.repeat(9 + 1 + 9 + 1 + BAR_WIDTH + 1)}${'  '.repeat(depth + 1)}`;
      lines.push(palette.red(`${pad}${exception.type ?? 'Error'}: ${exception.message ?? ''}`));
      for (const frame of (exception.stack ?? []).slice(0, STACK_LINES)) {
        lines.push(
          palette.dim(`${pad}  at ${frame.label ?? 'anonymous'} (${frame.path ?? '?'}:${frame.line ?? '?'})`),
        );
      }
    }
    for (const child of node.children) walk(child, depth + 1);
  };
  for (const root of trace.roots) walk(root, 0);
  return lines.join('\n');
}
