import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { InvocationReport } from '../../../local/lambda';
import { type LocalStack, startLocalStack } from '../../../local/stack';
import { TestClient, waitFor } from './helpers';

// Jest applies testTimeout globally, not per project; starting a stack builds every function.
jest.setTimeout(60_000);

/**
 * A SAM app of AWS's own sample style (plain JavaScript folders, no @aws-sdk in any package.json,
 * the callback endpoint built from the event) runs on the local stack unmodified. It is copied out
 * of this project first, as a user's app lives elsewhere: inside the project, Node would find this
 * project's node_modules by walking up and hide a missing runtime SDK.
 */
describe('a third-party SAM app', () => {
  let dir: string;
  let stack: LocalStack;
  const reports: InvocationReport[] = [];
  const logs: string[] = [];
  const clients: TestClient[] = [];

  async function connect(): Promise<TestClient> {
    const client = await TestClient.open(stack.webSocketUrl());
    clients.push(client);
    return client;
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'third-party-chat-'));
    await cp(path.resolve('tests/fixtures/third-party-chat'), dir, { recursive: true });
    stack = await startLocalStack({
      templatePath: path.join(dir, 'template.yaml'),
      port: 0,
      log: {
        invocation: (report) => reports.push(report),
        functionLog: (fn, line) => logs.push(`${fn.logicalId} ${line}`),
      },
    });
  });

  afterAll(async () => {
    for (const client of clients) client.ws.terminate();
    await stack?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('chats: every client receives a message sent through either function', async () => {
    const alice = await connect();
    const bob = await connect();
    const carol = await connect();

    alice.send({ action: 'sendmessage', data: 'hello from alice' });
    for (const client of [alice, bob, carol]) await expect(client.next()).resolves.toBe('hello from alice');

    bob.send({ action: 'broadcast', data: 'hello from bob' });
    for (const client of [alice, bob, carol]) await expect(client.next()).resolves.toBe('hello from bob');

    await carol.close();
    await waitFor(() => reports.some((r) => r.functionLogicalId === 'OnDisconnectFunction'));
    await stack.drain();
    const failed = reports.filter((r) => r.outcome !== 'success');
    expect(failed).toEqual([]);
  });

  it("gives a function that vendors an SDK package its own copy, not the runtime's", async () => {
    const result = await stack.lambda.invoke('WhoAmIFunction', {});
    expect(result.ok && result.payload).toEqual({
      statusCode: 200,
      body: JSON.stringify({ vendored: true }),
    });
  });

  it('fails an import of a client the stack does not carry with an error that says how to add it', async () => {
    const result = await stack.lambda.invoke('MissingClientFunction', {});
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.errorType).toBe('Runtime.ImportModuleError');
    expect(result.error.errorMessage).toContain('@aws-sdk/client-bedrock-runtime');
    expect(result.error.errorMessage).toContain('npm install --save-dev @aws-sdk/client-bedrock-runtime');
  });
});
