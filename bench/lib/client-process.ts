/**
 * The bench's WebSocket clients, in a child process of their own: 10,000 client sockets next to
 * the stack's 10,000 server sockets would not fit in one process's 20,000 file descriptors, and
 * a second process lets the clients use the machine's second core. Driven over IPC (protocol.ts).
 */
import WebSocket from 'ws';
import { DeliveryLedger } from './ledger';
import { expectedMembers, MembersModel } from './members-model';
import { summarize, wallClockMs } from './percentiles';
import {
  type AnomalyDetail,
  benchText,
  type CheckMembersReply,
  type CheckMembersRequest,
  type ChildReply,
  type ChildRequest,
  type JoinBurstReply,
  type JoinBurstRequest,
  type ListDifference,
  type MembersFrameLog,
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
  /** The members list as this client would show it (docs/protocol.md, "Members list"). */
  members: MembersModel;
}

/** A join burst waiting for every watched client's list to become exact. */
interface MembersWatch {
  expected: Map<string, string>;
  watched: Set<Client>;
  notExact: Set<Client>;
  /** Since when every list has been exact (cleared when one stops being exact). */
  exactSince?: number;
  /** Times a frame made an exact list inexact again after all had been exact. */
  regressions: number;
  done: (at: number) => void;
}

/** Frames by type and bytes, counted from the first setName of a burst (every client of the pool). */
const tally = { framesByType: {} as Record<string, number>, bytes: 0 };
let watch: MembersWatch | undefined;
let membersLog: MembersFrameLog[] | undefined;

const byteLength = (data: WebSocket.RawData): number =>
  Array.isArray(data) ? data.reduce((s, b) => s + b.length, 0) : data.byteLength;

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
  let frame: {
    type?: unknown;
    text?: unknown;
    id?: unknown;
    members?: unknown;
    page?: unknown;
    pages?: unknown;
  };
  try {
    frame = JSON.parse(data.toString());
  } catch {
    framesByType['not-json'] = (framesByType['not-json'] ?? 0) + 1;
    return;
  }
  const type = typeof frame.type === 'string' ? frame.type : 'untyped';
  client.lastFrameType = type;
  framesByType[type] = (framesByType[type] ?? 0) + 1;
  tally.framesByType[type] = (tally.framesByType[type] ?? 0) + 1;
  tally.bytes += byteLength(data);
  if (type === 'members' || type === 'presence') {
    client.members.apply(frame);
    if (type === 'members' && membersLog) {
      membersLog.push({
        client: client.index,
        at,
        bytes: byteLength(data),
        names: Array.isArray(frame.members) ? frame.members.length : 0,
        ...(typeof frame.page === 'number' ? { page: frame.page } : {}),
        ...(typeof frame.pages === 'number' ? { pages: frame.pages } : {}),
      });
    }
    const w = watch;
    if (w?.watched.has(client)) {
      if (client.members.equals(w.expected)) w.notExact.delete(client);
      else {
        if (w.exactSince !== undefined) w.regressions++;
        w.notExact.add(client);
        w.exactSince = undefined;
      }
      if (w.notExact.size === 0 && w.exactSince === undefined) {
        w.exactSince = at;
        w.done(at);
      }
    }
  }
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
    const client: Client = { index, ws, name: null, frames: 0, errors: [], members: new MembersModel() };
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

/**
 * Sets a name and waits for the server's `name` acknowledgement (or its error frame). With
 * `outwaitGatewayTimeout`, API Gateway's "Endpoint request timed out" (the integration's 29 s ran
 * out while chat-api waited for an environment) is counted, not taken as the answer: the function
 * still runs and posts the `name` frame when it is done, as on AWS, and that is the acknowledgement.
 */
function nameOne(
  client: Client,
  name: string,
  timeoutMs = 60_000,
  outwaitGatewayTimeout?: { count: number },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.ws.off('message', listener);
      reject(new Error(`setName ${name}: no answer in ${timeoutMs / 1000} s`));
    }, timeoutMs);
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
        if (outwaitGatewayTimeout && frame.message === 'Endpoint request timed out') {
          outwaitGatewayTimeout.count++;
          return;
        }
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

function differencesOf(watched: Client[], expected: Map<string, string>, max = 5) {
  const differences: ListDifference[] = [];
  let notExact = 0;
  for (const c of watched) {
    if (c.members.equals(expected)) continue;
    notExact++;
    if (differences.length >= max) continue;
    const { missing, extra } = c.members.differences(expected);
    differences.push({
      client: c.index,
      name: c.name,
      hasList: c.members.hasList,
      size: c.members.size,
      missing: missing.slice(0, 5),
      extra: extra.slice(0, 5),
      missingCount: missing.length,
      extraCount: extra.length,
      droppedLists: c.members.droppedLists,
    });
  }
  return { notExact, differences };
}

function clientsAt(indices: number[]): Client[] {
  return indices.map((i) => {
    const c = clients[i];
    if (!c) throw new Error(`no client ${i}`);
    return c;
  });
}

async function joinBurst(req: JoinBurstRequest): Promise<JoinBurstReply> {
  const watched = clientsAt(req.clients);
  tally.framesByType = {};
  tally.bytes = 0;
  membersLog = req.logMembersFrames ? [] : undefined;
  let failed = 0;
  let firstError: string | undefined;
  let lastAckAt = 0;
  const acked: string[] = [];
  const gatewayTimeouts = { count: 0 };
  const firstSendAt = wallClockMs();
  // A line every 10 s on stderr: a burst of 1,000 can take minutes on a loaded machine.
  const progress = setInterval(() => {
    const waiting = watch ? ` ${watch.notExact.size} lists not exact;` : '';
    process.stderr.write(
      `[clients] join burst: ${acked.length + failed}/${watched.length} setName answered;${waiting} ${Object.values(tally.framesByType).reduce((a, b) => a + b, 0)} frames so far\n`,
    );
  }, 10_000);
  // By default every setName goes out at once (nameOne sends before awaiting its answer); with
  // inFlight, at most that many wait for their answer at any time.
  const limit = req.inFlight > 0 ? req.inFlight : watched.length;
  await pool(
    watched.map((c, i) => [c, req.names[i] as string] as const),
    limit,
    async ([c, name]) => {
      try {
        await nameOne(c, name, req.ackTimeoutMs, gatewayTimeouts);
        lastAckAt = Math.max(lastAckAt, wallClockMs());
        acked.push(c.name as string);
      } catch (err) {
        failed++;
        firstError ??= (err as Error).message;
      }
    },
  );
  // The list every client must end with: what the server acknowledged, and who was there before.
  const expected = expectedMembers([...req.others, ...acked]);
  const notExact = new Set(watched.filter((c) => !c.members.equals(expected)));
  // The watch stays on after this returns, until checkMembers: a later frame may undo a list.
  let resolveExact: (at: number | undefined) => void = () => {};
  const exactAt = new Promise<number | undefined>((resolve) => {
    resolveExact = resolve;
  });
  const timer = setTimeout(() => resolveExact(undefined), req.settleTimeoutMs);
  watch = { expected, watched: new Set(watched), notExact, regressions: 0, done: (at) => resolveExact(at) };
  if (notExact.size === 0) {
    watch.exactSince = lastAckAt;
    resolveExact(lastAckAt);
  }
  const firstExactAt = await exactAt;
  clearTimeout(timer);
  clearInterval(progress);
  if (firstExactAt === undefined) watch = undefined;
  const log = membersLog ?? [];
  membersLog = undefined;
  return {
    op: 'joinBurst',
    requested: watched.length,
    acknowledged: acked.length,
    failed,
    gatewayTimeouts: gatewayTimeouts.count,
    ...(firstError ? { firstError } : {}),
    firstSendAt,
    lastAckAt,
    ...(firstExactAt !== undefined ? { exactAt: firstExactAt } : {}),
    ...differencesOf(watched, expected),
    framesByType: { ...tally.framesByType },
    bytes: tally.bytes,
    membersFrames: log,
  };
}

function checkMembers(req: CheckMembersRequest): CheckMembersReply {
  const w = watch;
  watch = undefined;
  return {
    op: 'checkMembers',
    ...differencesOf(clientsAt(req.clients), w?.expected ?? expectedMembers(req.names)),
    ...(w?.exactSince !== undefined ? { exactSince: w.exactSince } : {}),
    regressions: w?.regressions ?? 0,
    framesByType: { ...tally.framesByType },
    bytes: tally.bytes,
  };
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
    case 'joinBurst':
      return joinBurst(req);
    case 'checkMembers':
      return checkMembers(req);
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
