import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { LocalStack } from '../../../local/stack';
import { startLocalStack } from '../../../local/stack';
import type { Trace, TraceNode, TraceSummary } from '../../../local/xray';
import { ChatClient, isPublic, settle } from '../helpers/chat-client';

// One sendPublic, three real WebSocket clients, the real template: the trace view must show the
// whole request as one trace, read through the stack's own HTTP endpoint.

let stack: LocalStack;
let clients: ChatClient[] = [];

beforeAll(async () => {
  stack = await startLocalStack({ templatePath: 'template.yaml', port: 0, ttlSweepIntervalMs: 0 });
  clients = await Promise.all(
    ['ana', 'bo', 'cy'].map((name) => ChatClient.connect(stack.webSocketUrl(), name)),
  );
  for (const [i, client] of clients.entries()) await client.setName(`tracer${i}`);
  await settle(stack, clients);
});

afterAll(async () => {
  await stack?.stop();
  for (const client of clients) client.ws.terminate();
});

const descendants = (node: TraceNode): TraceNode[] =>
  node.children.flatMap((child) => [child, ...descendants(child)]);
const functionNamed = (logicalId: string): string =>
  stack.model.functions.find((fn) => fn.logicalId === logicalId)?.functionName as string;

async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(`${stack.siteUrl}${path}`);
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

describe('local traces of a sendPublic', () => {
  it('show one trace from the frame through chat-api, EventBridge and every broadcaster to the posts', async () => {
    // Act
    stack.resetStats();
    const [sender] = clients as [ChatClient];
    sender.send({ action: 'sendPublic', message: 'traced hello' });
    await Promise.all(clients.map((client) => client.waitFor(isPublic('traced hello'))));
    await settle(stack, clients);
    const entries = stack.stats().eventBridge.entries;

    // Assert: exactly one trace started with this frame...
    const list = await getJson<{ version: number; traces: TraceSummary[] }>('/_local/traces.json');
    const sends = list.traces.filter((summary) => summary.title === 'sendPublic');
    expect(sends).toHaveLength(1);
    const trace = await getJson<Trace>(`/_local/traces/${sends[0]?.id}.json`);
    expect(trace).toMatchObject({ fault: false, dropped: 0 });

    // ...whose first hop is the gateway's segment, then the chat-api invocation under it,
    expect(trace.roots).toHaveLength(1);
    const gateway = trace.roots[0] as TraceNode;
    expect(gateway.aws).toMatchObject({ route_key: 'sendPublic', event_type: 'MESSAGE' });
    const chatApi = gateway.children.find((child) => child.name === functionNamed('ChatApiFunction'));
    expect(chatApi?.origin).toBe('AWS::Lambda::Function');
    const chatApiCalls = descendants(chatApi as TraceNode).filter((node) => node.namespace === 'aws');
    expect(chatApiCalls.some((call) => call.name === 'DynamoDB')).toBe(true);
    const putEvents = chatApiCalls.filter((call) => call.aws?.operation === 'PutEvents');
    expect(putEvents.length).toBeGreaterThan(0);

    // ...then one EventBridge hop per event, each under the PutEvents call that sent it,
    const hops = putEvents.flatMap((call) => call.children.filter((child) => child.origin === 'AWS::Events'));
    expect(hops).toHaveLength(entries);
    // ...and under each hop a broadcaster invocation with its DynamoDB calls and its posts, which
    // the broadcaster traces as one fan-out subsegment rather than one per @connections call.
    for (const hop of hops) {
      const broadcaster = hop.children.find((child) => child.name === functionNamed('BroadcasterFunction'));
      expect(broadcaster?.origin).toBe('AWS::Lambda::Function');
      const inside = descendants(broadcaster as TraceNode);
      expect(inside.some((node) => node.name === 'DynamoDB')).toBe(true);
      expect(
        inside.some((node) => node.name === '### fan-out' || node.name === 'ApiGatewayManagementApi'),
      ).toBe(true);
      // No subsegment per post: neither the SDK client's nor Tracer's global HTTP capture's.
      const callbackHost = new URL(stack.connectionsUrl()).hostname;
      expect(inside.filter((node) => node.name === callbackHost)).toEqual([]);
    }
    const posted = hops.reduce((sum, hop) => {
      const fanOut = descendants(hop).find((node) => node.name === '### fan-out');
      const counts = fanOut?.metadata?.default?.fanOut as { framesSent?: number } | undefined;
      return sum + (counts?.framesSent ?? 0);
    }, 0);
    expect(posted).toBe(clients.length);
  });

  it("show the broadcaster's audience Query going out beside its idempotency write, not after it", async () => {
    const [sender] = clients as [ChatClient];
    sender.send({ action: 'sendPublic', message: 'overlapped hello' });
    await Promise.all(clients.map((client) => client.waitFor(isPublic('overlapped hello'))));
    await settle(stack, clients);

    const list = await getJson<{ traces: TraceSummary[] }>('/_local/traces.json');
    // The list is newest first: this test's sendPublic.
    const send = list.traces.find((summary) => summary.title === 'sendPublic');
    const trace = await getJson<Trace>(`/_local/traces/${send?.id}.json`);
    const broadcaster = descendants(trace.roots[0] as TraceNode).find(
      (node) => node.name === functionNamed('BroadcasterFunction'),
    );
    const calls = descendants(broadcaster as TraceNode).filter((node) => node.name === 'DynamoDB');
    const idempotencyWrite = calls.find((call) => call.aws?.operation === 'PutItem');
    const audienceQuery = calls.find((call) => call.aws?.operation === 'Query');
    expect(idempotencyWrite?.end_time).toBeDefined();
    expect(audienceQuery?.start_time).toBeLessThan(idempotencyWrite?.end_time as number);
  });

  it('print as an indented waterfall with npm run traces', async () => {
    // The real command, in its own process, against this stack (async: the stack serves it from here).
    const root = path.resolve(__dirname, '../../..');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        path.join(root, 'node_modules/tsx/dist/cli.mjs'),
        'local/cli.ts',
        'traces',
        '--last',
        '1',
        '--url',
        stack.siteUrl,
      ],
      { cwd: root, env: { ...process.env, NO_COLOR: '1' } },
    );
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^sendPublic {2}1-[0-9a-f]{8}-[0-9a-f]{24} /);
    const names = lines.slice(1).map((line) => line.slice(9 + 1 + 9 + 1 + 30 + 1));
    expect(names[0]).toMatch(/^\S+\/production {2}sendPublic/);
    expect(names[1]).toMatch(new RegExp(`^ {2}${functionNamed('ChatApiFunction')}`));
    expect(names.some((name) => /^ +EventBridge {2}PutEvents/.test(name))).toBe(true);
    expect(names.some((name) => name.trim().startsWith(functionNamed('BroadcasterFunction')))).toBe(true);
  });
});
