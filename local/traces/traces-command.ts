import type { Palette } from '../log';
import type { Trace, TraceSummary } from '../xray';
import { TRACES_PATH } from './trace-view';
import { formatTrace } from './waterfall-text';

// `npm run traces`: the running stack's recent traces as waterfalls, read from the JSON the trace
// view polls (the sink lives in the `npm start` process).

export class TracesUnavailableError extends Error {
  override readonly name = 'TracesUnavailableError';
}

async function getJson<T>(url: string): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  } catch (error) {
    throw new TracesUnavailableError(
      `No local stack answers at ${new URL(url).origin} (${(error as Error).message}); start it with npm start, or pass --url`,
    );
  }
  if (!response.ok) throw new TracesUnavailableError(`${url} answered ${response.status}`);
  return (await response.json()) as T;
}

/** The last `last` traces (or the one named by `id`), oldest first so the newest ends the output. */
export async function printTraces(
  siteUrl: string,
  options: { last: number; id?: string; palette?: Palette },
  write: (text: string) => void = (text) => process.stdout.write(text),
): Promise<number> {
  const base = siteUrl.replace(/\/$/, '');
  let ids: string[];
  if (options.id) {
    ids = [options.id];
  } else {
    const list = await getJson<{ traces: TraceSummary[] }>(
      `${base}${TRACES_PATH}.json?limit=${options.last}`,
    );
    ids = list.traces.map((trace) => trace.id).reverse();
  }
  if (ids.length === 0) {
    write(`No traces yet. Traces appear as requests reach the stack; the page is ${base}${TRACES_PATH}\n`);
    return 0;
  }
  for (const id of ids) {
    const trace = await getJson<Trace>(`${base}${TRACES_PATH}/${encodeURIComponent(id)}.json`);
    write(`${formatTrace(trace, options.palette)}\n\n`);
  }
  return ids.length;
}
