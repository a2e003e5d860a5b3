/**
 * The bench's WebSocket clients, in a child process of their own: 10,000 client sockets next to
 * the stack's 10,000 server sockets would not fit in one process's 20,000 file descriptors, and
 * a second process lets the clients use the machine's second core. Driven over IPC (protocol.ts).
 */
import WebSocket from 'ws';
import { DeliveryLedger } from './ledger';
import { summarize, wallClockMs } from './percentiles';
import {
  type AnomalyDetail,
  benchText,
  type ChildReply,
  type ChildRequest,
  type MessageTiming,
  type OpenReply,
  type OpenRequest,
  parseBenchText,
  type QuietRequest,
  type RunReply,
  type RunRequest,
} from './protocol';

interface Client {
  index: number;
  ws: WebSocket;
  name: string | null;
  frames: number;
  lastFrameType?: string;
  closeCode?: number;
  closeReason?: string;
  errors: string[];
}

interface ActiveRun {
  req: RunRequest;
  ledger: DeliveryLedger;
  latencies: Float64Array;
  latencyCount: number;
  timings: MessageTiming[];
  duplicateIds: Map<string, string[]>;
  otherFrames: Record<string, number>;
  lastDeliveryAt?: number;
  onDelivery: () => void;
}

const clients: Client[] = [];
const framesByType: Record<string, number> = {};
let lastFrameAt = 0;
let active: ActiveRun | undefined;

function send(reply: ChildReply): void {
  process.send?.(reply);
}

function onFrame(client: Client, data: WebSocket.RawData): void {
  const at = wallClockMs();
  lastFrameAt = at;
  client.frames++;
  let frame: { type?: unknown; text?: unknown; id?: unknown };
  try {
    frame = JSON.parse(data.toString());
  } catch {
    framesByType['not-json'] = (framesByType['not-json'] ?? 0) + 1;
    return;
  }
  const type = typeof frame.type === 'string' ? frame.type : 'untyped';
  client.lastFrameType = type;
  framesByType[type] = (framesByType[type] ?? 0) + 1;
  const run = active;
  if (!run) return;
  const bench = type === 'public' ? parseBenchText(frame.text) : undefined;
  if (!bench || bench.runId !== run.req.runId) {
    run.otherFrames[type] = (run.otherFrames[type] ?? 0) + 1;
    return;
  }
  const id = typeof frame.id === 'string' ? frame.id : undefined;
  const first = run.ledger.record(bench.m, client.index);
  const timing = run.timings[bench.m];
  if (!timing) return;
  if (first) {
    timing.recipients++;
    timing.firstAt ??= at;
    timing.lastAt = at;
    timing.id ??= id;
    run.lastDeliveryAt = at;
    if (timing.sentAt !== undefined) run.latencies[run.latencyCount++] = at - timing.sentAt;
    run.onDelivery();
  } else {
    const key = `${bench.m}:${client.index}`;
    const ids = run.duplicateIds.get(key) ?? [timing.id ?? '?'];
    ids.push(id ?? '?');
    run.duplicateIds.set(key, ids);
  }
}

function openOne(index: number, url: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: 60_000 });
    const client: Client = { index, ws, name: null, frames: 0, errors: [] };
    ws.on('message', (data) => onFrame(client, data));
    ws.on('close', (code, reason) => {
      client.closeCode = code;
      client.closeReason = reason.toString();
    });
    ws.on('error', (err) => {
      if (client.errors.length < 3) client.errors.push(err.message);
    });
    ws.once('open', () => resolve(client));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`handshake rejected: ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

/** Sets a name and waits for the server's `name` acknowledgement (or its error frame). */
function nameOne(client: Client, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.ws.off('message', listener);
      reject(new Error(`setName ${name}: no answer in 60 s`));
    }, 60_000);
    const listener = (data: WebSocket.RawData): void => {
      const text = data.toString();
      if (!text.includes('"name"') && !text.includes('"error"') && !text.includes('"message"')) return;
      const frame = JSON.parse(text) as {
        type?: string;
        name?: string;
        code?: string;
        action?: string;
        message?: string;
        connectionId?: string;
      };
      // API Gateway's own error frame (the integration failed or timed out): no `type`.
      if (frame.type === undefined && typeof frame.message === 'string' && frame.connectionId) {
        clearTimeout(timer);
        client.ws.off('message', listener);
        reject(new Error(`setName ${name}: API Gateway answered ${JSON.stringify(frame.message)}`));
      } else if (frame.type === 'name') {
        clearTimeout(timer);
        client.ws.off('message', listener);
        client.name = frame.name ?? name;
        resolve();
      } else if (frame.type === 'error' && frame.action === 'setName') {
        clearTimeout(timer);
        client.ws.off('message', listener);
        reject(new Error(`setName ${name}: ${frame.code}`));
      }
    };
    client.ws.on('message', listener);
    client.ws.send(JSON.stringify({ action: 'setName', name }));
  });
}

/** Runs `task` over `items` with at most `limit` in flight. */
async function pool<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await task(items[next++] as T);
  });
  await Promise.all(workers);
}

async function open(req: OpenRequest): Promise<OpenReply> {
  const start = wallClockMs();
  let failed = 0;
  let firstError: string | undefined;
  const fresh: Client[] = [];
  await pool(
    Array.from({ length: req.count }, () => req.url),
    req.concurrency,
    async (url) => {
      try {
        fresh.push(await openOne(-1, url));
      } catch (err) {
        failed++;
        firstError ??= (err as Error).message;
      }
    },
  );
  // Indices are dense and stable: the ledger addresses recipients by index.
  for (const c of fresh) {
    c.index = clients.length;
    clients.push(c);
  }
  const connected = wallClockMs();
  let named = 0;
  const toName = fresh.map((c, i) => [c, req.names[i] ?? null] as const).filter(([, n]) => n !== null);
  await pool(toName, req.concurrency, async ([c, n]) => {
    try {
      await nameOne(c, n as string);
      named++;
    } catch (err) {
      failed++;
      firstError ??= (err as Error).message;
    }
  });
  return {
    op: 'opened',
    opened: fresh.length,
    failed,
    named,
    total: clients.length,
    connectMs: connected - start,
    nameMs: wallClockMs() - connected,
    ...(firstError ? { firstError } : {}),
  };
}

function explain(
  run: ActiveRun,
  a: { kind: 'lost' | 'duplicate'; message: number; recipient: number; seen: number },
) {
  const c = clients[a.recipient];
  const t = run.timings[a.message];
  const states = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'];
  const detail: AnomalyDetail = {
    ...a,
    token: benchText(run.req.runId, a.message, 0),
    ...(t?.id ? { messageId: t.id } : {}),
    messageReachedRecipients: run.ledger.recipientsOf(a.message),
    recipientName: c?.name ?? null,
    recipientState: c ? (states[c.ws.readyState] ?? String(c.ws.readyState)) : 'unknown',
    ...(c?.closeCode !== undefined ? { recipientCloseCode: c.closeCode } : {}),
    ...(c?.closeReason ? { recipientCloseReason: c.closeReason } : {}),
    recipientFrames: c?.frames ?? 0,
    ...(c?.lastFrameType ? { recipientLastFrameType: c.lastFrameType } : {}),
    recipientErrors: c?.errors ?? [],
  };
  if (a.kind === 'duplicate') detail.duplicateIds = run.duplicateIds.get(`${a.message}:${a.recipient}`) ?? [];
  return detail;
}

async function run(req: RunRequest): Promise<RunReply> {
  const recipients = clients.length;
  const timings: MessageTiming[] = Array.from({ length: req.messages }, () => ({ recipients: 0 }));
  let wake: () => void = () => {};
  const r: ActiveRun = {
    req,
    ledger: new DeliveryLedger(req.messages, recipients),
    latencies: new Float64Array(req.senders.length > 0 ? req.messages * recipients : 0),
    latencyCount: 0,
    timings,
    duplicateIds: new Map(),
    otherFrames: {},
    onDelivery: () => {
      if (r.ledger.isComplete()) wake();
    },
  };
  active = r;
  if (req.senders.length === 0) send({ op: 'armed' });
  const started = wallClockMs();
  let firstSendAt: number | undefined;
  let lastSendAt: number | undefined;
  // Steady rate: message m is due at start + m * interval, whoever the sender; drift-free.
  if (req.senders.length > 0) {
    for (let m = 0; m < req.messages; m++) {
      const due = started + m * req.intervalMs;
      const wait = due - wallClockMs();
      if (wait > 1) await new Promise((res) => setTimeout(res, wait));
      const sender = clients[req.senders[m % req.senders.length] as number];
      if (!sender) throw new Error(`no client ${req.senders[m % req.senders.length]}`);
      const at = wallClockMs();
      (timings[m] as MessageTiming).sentAt = at;
      firstSendAt ??= at;
      lastSendAt = at;
      sender.ws.send(
        JSON.stringify({ action: 'sendPublic', message: benchText(req.runId, m, req.payloadBytes) }),
      );
    }
  }
  const sendsDone = wallClockMs();
  let timedOut = false;
  if (!r.ledger.isComplete()) {
    timedOut = await new Promise<boolean>((resolve) => {
      const tick = setInterval(() => {
        const now = wallClockMs();
        const lastProgress = Math.max(r.lastDeliveryAt ?? 0, sendsDone);
        if (now - lastProgress > req.idleTimeoutMs || now - started > req.hardTimeoutMs) {
          clearInterval(tick);
          resolve(true);
        }
      }, 100);
      wake = () => {
        clearInterval(tick);
        resolve(false);
      };
    });
  }
  active = undefined;
  const ledger = r.ledger.report();
  const from = firstSendAt ?? Math.min(...timings.map((t) => t.firstAt ?? Number.POSITIVE_INFINITY));
  const span = (r.lastDeliveryAt ?? from) - from;
  return {
    op: 'ran',
    runId: req.runId,
    ledger,
    latency: summarize(r.latencies.subarray(0, r.latencyCount)),
    ...(firstSendAt !== undefined ? { firstSendAt } : {}),
    ...(lastSendAt !== undefined ? { lastSendAt } : {}),
    ...(r.lastDeliveryAt !== undefined ? { lastDeliveryAt: r.lastDeliveryAt } : {}),
    framesPerSecond: span > 0 ? (ledger.delivered / span) * 1000 : 0,
    timings: req.messages <= 1000 ? timings : [],
    ...(ledger.firstLost ? { firstLost: explain(r, ledger.firstLost) } : {}),
    ...(ledger.firstDuplicate ? { firstDuplicate: explain(r, ledger.firstDuplicate) } : {}),
    timedOut,
    otherFrames: r.otherFrames,
  };
}

/** Waits until no frame has arrived for quietMs (e.g. the join broadcasts after naming 1,000 clients). */
async function quiet(req: QuietRequest): Promise<number> {
  const start = wallClockMs();
  lastFrameAt = Math.max(lastFrameAt, start);
  while (wallClockMs() - lastFrameAt < req.quietMs && wallClockMs() - start < req.hardTimeoutMs) {
    await new Promise((res) => setTimeout(res, 50));
  }
  return wallClockMs() - start;
}

async function closeAll(): Promise<number> {
  const n = clients.length;
  await pool(clients.splice(0), 200, (c) => {
    if (c.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        c.ws.terminate();
        resolve();
      }, 10_000);
      c.ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      c.ws.close(1000);
    });
  });
  return n;
}

async function handle(req: ChildRequest): Promise<ChildReply> {
  switch (req.op) {
    case 'open':
      return open(req);
    case 'run':
      return run(req);
    case 'quiet': {
      const waitedMs = await quiet(req);
      return { op: 'quieted', waitedMs, framesByType: { ...framesByType } };
    }
    case 'close': {
      const start = wallClockMs();
      const closed = await closeAll();
      return { op: 'closed', closed, closeMs: wallClockMs() - start };
    }
    case 'clock':
      return { op: 'clock', now: wallClockMs() };
    case 'send': {
      const c = clients[req.client];
      if (!c) throw new Error(`no client ${req.client}`);
      c.ws.send(req.data);
      return { op: 'sent' };
    }
    case 'closeOne': {
      const [c] = clients.splice(req.client, 1);
      if (!c) throw new Error(`no client ${req.client}`);
      clients.forEach((other, i) => {
        other.index = i;
      });
      await new Promise<void>((resolve) => {
        if (c.ws.readyState === WebSocket.CLOSED) return resolve();
        c.ws.once('close', () => resolve());
        c.ws.close(1000);
      });
      return { op: 'closed', closed: 1, closeMs: 0 };
    }
  }
}

process.on('message', (req: ChildRequest) => {
  handle(req).then(send, (err: Error) => send({ op: 'error', message: err.stack ?? err.message }));
});
process.on('disconnect', () => process.exit(0));
