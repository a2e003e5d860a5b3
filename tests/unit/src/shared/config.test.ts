import {
  broadcasterEnvironment,
  ConfigurationError,
  chatApiEnvironment,
  loadConfig,
} from '../../../../src/shared/config';
import { TEST_ENV } from '../support/events';

describe('configuration', () => {
  it('reads and converts the variables a function needs', () => {
    expect(loadConfig(broadcasterEnvironment, { ...TEST_ENV })).toEqual({
      CHAT_TABLE_NAME: 'chat-table',
      IDEMPOTENCY_TABLE_NAME: 'idempotency-table',
      EVENT_BUS_NAME: 'chat-bus',
      CALLBACK_URL: 'https://g2i23lrnus.execute-api.us-east-1.amazonaws.com/production',
      SHARD_COUNT: 4,
      SEND_CONCURRENCY: 8,
    });
  });

  it('names every missing variable in one error', () => {
    const env = { ...TEST_ENV, CHAT_TABLE_NAME: undefined, EVENT_BUS_NAME: '' };

    expect(() => loadConfig(chatApiEnvironment, env)).toThrow(ConfigurationError);
    expect(() => loadConfig(chatApiEnvironment, env)).toThrow(
      'Environment configuration error: CHAT_TABLE_NAME is not set; EVENT_BUS_NAME is not set',
    );
  });

  it('names an invalid value', () => {
    expect(() => loadConfig(chatApiEnvironment, { ...TEST_ENV, SHARD_COUNT: 'four' })).toThrow(
      /SHARD_COUNT is invalid/,
    );
    expect(() => loadConfig(chatApiEnvironment, { ...TEST_ENV, CALLBACK_URL: 'wss://x/production' })).toThrow(
      /CALLBACK_URL is invalid/,
    );
  });

  it.each([
    ['chat-api', 'CHAT_TABLE_NAME'],
    ['chat-api', 'CALLBACK_URL'],
    ['broadcaster', 'IDEMPOTENCY_TABLE_NAME'],
    ['broadcaster', 'SEND_CONCURRENCY'],
  ])('makes the %s function fail at load with the name of a missing %s', async (fn, variable) => {
    const saved = { ...process.env };
    Object.assign(process.env, TEST_ENV);
    delete process.env[variable];
    try {
      await jest.isolateModulesAsync(async () => {
        await expect(import(`../../../../src/functions/${fn}/handler`)).rejects.toThrow(
          `${variable} is not set`,
        );
      });
    } finally {
      process.env = saved;
    }
  });
});
