import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BuildError } from '../../../local/build';
import { type LocalStack, startLocalStack } from '../../../local/stack';
import { ChatClient } from '../helpers/chat-client';

jest.setTimeout(90_000);

let workDir: string;
let template: string;

/** Writes a copy of template.yaml with the given edits, each of which must apply. */
async function brokenTemplate(name: string, edits: [from: string, to: string][]): Promise<string> {
  let text = template;
  for (const [from, to] of edits) {
    if (!text.includes(from)) throw new Error(`template.yaml no longer contains ${JSON.stringify(from)}`);
    text = text.replace(from, to);
  }
  const file = path.join(workDir, name);
  await writeFile(file, text);
  return file;
}

// The copy lives in a temporary folder; its code is still this project's.
const codeFromProject: [string, string] = ['CodeUri: ./', `CodeUri: ${process.cwd()}`];

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'chat-config-'));
  template = (await readFile('template.yaml', 'utf8')).replaceAll(codeFromProject[0], codeFromProject[1]);
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('a broken template', () => {
  it('fails to start with a BuildError naming the function whose entry point is missing', async () => {
    const file = await brokenTemplate('bad-entry.yaml', [
      ['- src/functions/broadcaster/handler.ts', '- src/functions/broadcaster/handlr.ts'],
    ]);

    const started = startLocalStack({ templatePath: file, port: 0 });

    await expect(started).rejects.toBeInstanceOf(BuildError);
    await expect(started).rejects.toMatchObject({
      message: expect.stringMatching(/^BroadcasterFunction: .*handlr\.ts does not exist/),
      failures: [{ logicalId: 'BroadcasterFunction', message: expect.stringContaining('handlr.ts') }],
    });
  });
});

describe('a function deployed without one of its environment variables', () => {
  let stack: LocalStack;

  beforeAll(async () => {
    const file = await brokenTemplate('no-table.yaml', [
      ['          CHAT_TABLE_NAME: !Ref ChatTable\n          EVENT_BUS_NAME', '          EVENT_BUS_NAME'],
    ]);
    stack = await startLocalStack({ templatePath: file, port: 0 });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('starts, since the template itself is valid', () => {
    const chatApi = stack.model.functions.find((fn) => fn.logicalId === 'ChatApiFunction');
    expect(chatApi?.environment.CHAT_TABLE_NAME).toBeUndefined();
  });

  it('fails every invocation with a configuration error that names the variable', async () => {
    const result = await stack.lambda.invoke('ChatApiFunction', {});
    expect(result).toMatchObject({
      ok: false,
      error: {
        errorType: 'ConfigurationError',
        errorMessage: 'Environment configuration error: CHAT_TABLE_NAME is not set',
      },
    });
  });

  it('rejects WebSocket handshakes with 500, as API Gateway does when $connect fails', async () => {
    await expect(ChatClient.connect(stack.webSocketUrl(), 'hopeful')).rejects.toThrow(
      'handshake rejected with 500',
    );
  });
});
