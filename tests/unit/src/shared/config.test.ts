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
      UNPUBLISHED_EVENTS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/unpublished-events',
      CALLBACK_URL: 'https://g2i23lrnus.execute-api.us-east-1.amazonaws.com/production',
      SHARD_COUNT: 4,
      SEND_CONCURRENCY: 8,
      RECIPIENTS_PER_DELIVERY: 2000,
      MAX_PARALLEL_DELIVERIES: 100,
      PRESENCE_FULL_LIST_MAX: 100,
      PRESENCE_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/presence',
    });
  });

  it("names the broadcaster's missing presence queue URL", () => {
    const env = { ...TEST_ENV, PRESENCE_QUEUE_URL: undefined };
    expect(() => loadConfig(broadcasterEnvironment, env)).toThrow(
      'Environment configuration error: PRESENCE_QUEUE_URL is not set',
    );
    expect(() => loadConfig(broadcasterEnvironment, { ...TEST_ENV, PRESENCE_QUEUE_URL: 'presence' })).toThrow(
      'PRESENCE_QUEUE_URL is invalid (expected an http(s) URL)',
    );
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

  it('says what is wrong with each invalid value, next to the missing ones', () => {
    const env = {
      ...TEST_ENV,
      SHARD_COUNT: '0',
      CALLBACK_URL: 'wss://x/production',
      EVENT_BUS_NAME: undefined,
    };

    expect(() => loadConfig(chatApiEnvironment, env)).toThrow(
      new ConfigurationError(
        'Environment configuration error: EVENT_BUS_NAME is not set; ' +
          'CALLBACK_URL is invalid (expected an http(s) URL); ' +
          'SHARD_COUNT is invalid (expected a whole number from 1 to 1000)',
      ),
    );
    expect(() => loadConfig(broadcasterEnvironment, { ...TEST_ENV, SEND_CONCURRENCY: '501' })).toThrow(
      'SEND_CONCURRENCY is invalid (expected a whole number from 1 to 500)',
    );
    expect(() => loadConfig(chatApiEnvironment, { ...TEST_ENV, CHAT_TABLE_NAME: '  ' })).toThrow(
      'CHAT_TABLE_NAME is invalid (it is blank)',
    );
  });

  it('trims names and accepts an http URL (the local stack) as well as https', () => {
    const config = loadConfig(chatApiEnvironment, {
      ...TEST_ENV,
      CHAT_TABLE_NAME: ' chat-table ',
      CALLBACK_URL: 'http://127.0.0.1:3001/local',
    });
    expect(config).toMatchObject({
      CHAT_TABLE_NAME: 'chat-table',
      CALLBACK_URL: 'http://127.0.0.1:3001/local',
    });
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
