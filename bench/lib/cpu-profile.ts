/**
 * CPU profiles of the local stack's Lambda environments (worker threads of this process), taken
 * through the main thread's inspector (the NodeWorker domain), so one measured fan-out is profiled
 * without touching the stack or the handlers. Plus the summary that says where the time went.
 */
import { readFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

interface AttachedWorker {
  sessionId: string;
  functionName?: string;
}

export class WorkerProfiler {
  readonly #session = new Session();
  readonly #workers = new Map<string, AttachedWorker>();
  #nextId = 1;
  readonly #replies = new Map<number, { resolve: (r: unknown) => void; reject: (e: Error) => void }>();

  async start(): Promise<void> {
    this.#session.connect();
    this.#session.on('NodeWorker.attachedToWorker', (m) => {
      const { sessionId } = m.params as { sessionId: string };
      this.#workers.set(sessionId, { sessionId });
    });
    this.#session.on('NodeWorker.detachedFromWorker', (m) => {
      this.#workers.delete((m.params as { sessionId: string }).sessionId);
    });
    this.#session.on('NodeWorker.receivedMessageFromWorker', (m) => {
      const reply = JSON.parse((m.params as { message: string }).message) as {
        id?: number;
        result?: unknown;
        error?: { message: string };
      };
      const waiter = reply.id === undefined ? undefined : this.#replies.get(reply.id);
      if (!waiter || reply.id === undefined) return;
      this.#replies.delete(reply.id);
      if (reply.error) waiter.reject(new Error(reply.error.message));
      else waiter.resolve(reply.result);
    });
    await this.#post('NodeWorker.enable', { waitForDebuggerOnStart: false });
  }

  /** Environments (worker threads) of the function whose name contains `name`. */
  async environments(name: string): Promise<string[]> {
    const out: string[] = [];
    for (const worker of this.#workers.values()) {
      worker.functionName ??= await this.#evaluate(worker.sessionId, 'process.env.AWS_LAMBDA_FUNCTION_NAME');
      if (worker.functionName?.includes(name)) out.push(worker.sessionId);
    }
    return out;
  }

  async startProfiling(sessionIds: string[], intervalUs = 200): Promise<void> {
    for (const id of sessionIds) {
      await this.#send(id, 'Profiler.enable');
      await this.#send(id, 'Profiler.setSamplingInterval', { interval: intervalUs });
      await this.#send(id, 'Profiler.start');
    }
  }

  async stopProfiling(sessionIds: string[]): Promise<CpuProfile[]> {
    const out: CpuProfile[] = [];
    for (const id of sessionIds)
      out.push(((await this.#send(id, 'Profiler.stop')) as { profile: CpuProfile }).profile);
    return out;
  }

  stop(): void {
    this.#session.disconnect();
  }

  async #evaluate(sessionId: string, expression: string): Promise<string | undefined> {
    const r = (await this.#send(sessionId, 'Runtime.evaluate', { expression, returnByValue: true })) as {
      result?: { value?: unknown };
    };
    return typeof r.result?.value === 'string' ? r.result.value : undefined;
  }

  #send(sessionId: string, method: string, params: object = {}): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#replies.set(id, { resolve, reject });
      this.#post('NodeWorker.sendMessageToWorker', {
        sessionId,
        message: JSON.stringify({ id, method, params }),
      }).catch(reject);
    });
  }

  #post(method: string, params: object): Promise<unknown> {
    return new Promise((resolve, reject) =>
      this.#session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
    );
  }
}

/** Where a profiled function lives, by package: what a reader needs to decide what to remove. */
export const areaOf = (url: string, functionName: string): string => {
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (functionName === '(idle)' || functionName === '(program)') return functionName;
  if (!url) return 'native / V8';
  if (url.startsWith('node:')) return `node: ${url.slice(5).split('/')[0]}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  if (/aws-xray|xray/i.test(url)) return 'aws-xray-sdk-core';
  const src = /\/(src\/[^?#]+)/.exec(url)?.[1];
  return src ?? url.split('/').slice(-2).join('/');
};

type Locate = (url: string, line: number, column: number) => { source: string; line: number; name?: string };

/** Maps a minified bundle's positions back to the original file (and name) with its .map file. */
export const sourceMapLocator = (): Locate => {
  const maps = new Map<string, SourceMap | null>();
  return (url, line, column) => {
    if (!maps.has(url)) {
      try {
        const file = url.startsWith('file:') ? fileURLToPath(url) : url;
        maps.set(url, new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8'))));
      } catch {
        maps.set(url, null);
      }
    }
    const entry = maps.get(url)?.findEntry(line, column) as
      | { originalSource?: string; originalLine?: number; name?: string }
      | undefined;
    return entry?.originalSource
      ? { source: entry.originalSource, line: entry.originalLine ?? 0, name: entry.name }
      : { source: url, line };
  };
};

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  busyMs: number;
  top: { functionName: string; where: string; selfMs: number; share: number }[];
  byArea: { area: string; selfMs: number; share: number }[];
}

/**
 * Self time per function and per area. Areas come from the bundle's source map when the profile's
 * URLs point at the bundle: the caller passes `locate` (bundle line -> original source path).
 */
export const summarizeProfile = (
  profile: CpuProfile,
  topN = 25,
  locate: Locate = (url, line) => ({ source: url, line }),
): ProfileSummary => {
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // A sample's time is the delta to the next sample (V8's own accounting in DevTools).
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i] as number;
    const us = deltas[i + 1] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + us);
  }
  const byFunction = new Map<string, { functionName: string; where: string; us: number; area: string }>();
  const byArea = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (!us) continue;
    total += us;
    const { functionName, url, lineNumber: bundleLine, columnNumber } = node.callFrame;
    if (functionName === '(idle)') idle += us;
    const {
      source,
      line: lineNumber,
      name: original,
    } = url ? locate(url, bundleLine, columnNumber) : { source: '', line: bundleLine, name: undefined };
    const area = areaOf(source, functionName);
    const name = original ?? (functionName || '(anonymous)');
    const key = `${name}@${source}:${lineNumber}`;
    const entry = byFunction.get(key) ?? {
      functionName: name,
      where: `${source.split('/').slice(-3).join('/')}:${lineNumber + 1}`,
      us: 0,
      area,
    };
    entry.us += us;
    byFunction.set(key, entry);
    byArea.set(area, (byArea.get(area) ?? 0) + us);
  }
  const busy = total - idle;
  const ms = (us: number) => Math.round(us / 100) / 10;
  return {
    totalMs: ms(total),
    idleMs: ms(idle),
    busyMs: ms(busy),
    top: [...byFunction.values()]
      .filter((f) => f.functionName !== '(idle)')
      .sort((a, b) => b.us - a.us)
      .slice(0, topN)
      .map((f) => ({
        functionName: f.functionName,
        where: `${f.area} ${f.where}`,
        selfMs: ms(f.us),
        share: +(f.us / busy).toFixed(3),
      })),
    byArea: [...byArea]
      .filter(([area]) => area !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .map(([area, us]) => ({ area, selfMs: ms(us), share: +(us / busy).toFixed(3) })),
  };
};
