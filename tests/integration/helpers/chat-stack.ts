import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../../local/stack';
import { ChatClient } from './chat-client';

/**
 * Lambda's async retries for chat tests: AWS's 1 and 2 minutes (the stack's default) would only
 * make a test wait when this loaded box fails a broadcaster; tests about retry timing set their own.
 */
export const CHAT_TEST_ASYNC_RETRY_DELAYS_MS = [200, 400];

export interface ChatStack {
  /** The running stack (inside tests and hooks only). */
  readonly stack: LocalStack;
  /** Every client this file connected, closed with the stack after its tests. */
  readonly open: readonly ChatClient[];
  connect(label: string): Promise<ChatClient>;
  /** Connects and sets the name, expecting the `name` acknowledgement. */
  member(name: string): Promise<ChatClient>;
}

/**
 * The chat's stack for one test file: template.yaml on a free port, no TTL sweeps, short async
 * retries, started before the file's tests and stopped (clients closed) after them.
 */
export function useChatStack(options: Partial<LocalStackOptions> = {}): ChatStack {
  let stack: LocalStack | undefined;
  const open: ChatClient[] = [];
  beforeAll(async () => {
    stack = await startLocalStack({
      templatePath: 'template.yaml',
      port: 0,
      asyncRetryDelaysMs: CHAT_TEST_ASYNC_RETRY_DELAYS_MS,
      ttlSweepIntervalMs: 0,
      ...options,
    });
  });
  afterAll(async () => {
    await stack?.stop();
    for (const client of open) client.ws.terminate();
  });
  const started = (): LocalStack => {
    if (!stack) throw new Error('the chat stack is not started: use it inside a test or a hook');
    return stack;
  };
  const connect = async (label: string): Promise<ChatClient> => {
    const client = await ChatClient.connect(started().webSocketUrl(), label);
    open.push(client);
    return client;
  };
  return {
    get stack() {
      return started();
    },
    open,
    connect,
    async member(name: string) {
      const client = await connect(name);
      expect(await client.setName(name)).toEqual({ type: 'name', name });
      return client;
    },
  };
}
