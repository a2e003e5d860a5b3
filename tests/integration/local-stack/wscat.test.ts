import { spawn } from 'node:child_process';
import path from 'node:path';
import { type LocalStack, startLocalStack } from '../../../local/stack';
import { FIXTURE_TEMPLATE } from './helpers';

// Jest applies testTimeout globally, not per project; starting a stack builds every function.
jest.setTimeout(60_000);

const WSCAT = path.resolve('node_modules/.bin/wscat');

/** Runs wscat against url, sends frame once connected, resolves with stdout once it contains `until`. */
function wscat(url: string, frame: string, until: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(WSCAT, ['--no-color', '-c', url, '-x', frame, '-w', '30'], {
      // wscat exits when its stdin closes, so it gets a pipe that stays open.
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (out.includes(until)) {
        child.kill();
        resolve(out);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (!out.includes(until)) reject(new Error(`wscat exited with ${code} before answering: ${out}${err}`));
    });
  });
}

describe('the local stack with wscat as the client', () => {
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startLocalStack({ templatePath: FIXTURE_TEMPLATE, port: 0 });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('answers a frame sent by wscat through the route response', async () => {
    const out = await wscat(stack.webSocketUrl(), '{"action":"echo","from":"wscat"}', '"routeKey":"echo"');
    const reply = JSON.parse(out.slice(out.indexOf('{'), out.lastIndexOf('}') + 1)) as {
      echo: { body: string; requestContext: { routeKey: string } };
    };
    expect(reply.echo.body).toBe('{"action":"echo","from":"wscat"}');
    expect(reply.echo.requestContext.routeKey).toBe('echo');
  });

  it('shows wscat the Forbidden frame for an unknown action', async () => {
    const out = await wscat(stack.webSocketUrl(), '{"action":"unknown"}', 'Forbidden');
    expect(out).toContain('{"message": "Forbidden", "connectionId":"');
  });
});
