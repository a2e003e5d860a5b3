import { readFileSync } from 'node:fs';
import path from 'node:path';
import { broadcastEvent, directEvent, joinerListEvent } from '../../../../src/chat/chat-events';
import { publicFrame } from '../../../../src/chat/frames';
import {
  InvalidChatEventError,
  parseChatEventEnvelope,
} from '../../../../src/functions/broadcaster/chat-event-envelope';
import { chatEnvelope } from '../support/events';

const frame = publicFrame('alice', 'hi', { id: '01M7XEE6XS2ZYEQTXP5S60BGES', ts: 1795210812345 });

describe('parseChatEventEnvelope', () => {
  it('accepts the captured broadcast event and returns it untouched', () => {
    const event: unknown = JSON.parse(
      readFileSync(path.join(__dirname, '../../../../events/broadcast.json'), 'utf8'),
    );
    expect(parseChatEventEnvelope(event)).toBe(event);
  });

  it('accepts every event chat-api publishes, and the joiner list event of an older chat-api', () => {
    const events = [
      broadcastEvent('Member Joined', [frame], {
        correlationId: 'c=',
        includeMembers: true,
        presence: { event: 'renamed', name: 'alicia', previousName: 'alice', connectionId: 'a=' },
      }),
      broadcastEvent('Member Joined', [frame], {
        correlationId: 'c=',
        includeMembers: true,
        presence: { event: 'joined', name: 'alice', connectionId: 'a=' },
        joinerList: true,
      }),
      joinerListEvent({ event: 'joined', name: 'alice', connectionId: 'a=' }, 'c='),
      directEvent('Private Message Sent', ['a=', 'b='], [frame], 'c='),
    ];
    for (const { detailType, detail } of events) {
      expect(() => parseChatEventEnvelope(chatEnvelope(detailType, structuredClone(detail)))).not.toThrow();
    }
  });

  it('names every problem of an event that is not a chat event', () => {
    const event = {
      ...chatEnvelope('Something Else', {
        correlationId: '',
        audience: { kind: 'connections', connectionIds: [] },
        frames: [{ ...frame, id: '', ts: '1' }, 'hi'],
      }),
      source: 'someone.else',
    };

    expect(() => parseChatEventEnvelope(event)).toThrow(
      new InvalidChatEventError(
        'Not a chat event: detail-type must be one of Member Joined, Member Renamed, Member Left, ' +
          'Public Message Sent, Private Message Sent, Presence Changed; source must be chat.api; ' +
          'detail.correlationId must be a non-empty string; ' +
          'detail.audience.connectionIds must be a non-empty list of non-empty strings; ' +
          'detail.frames[0].id must be a non-empty string; detail.frames[0].ts must be a number; ' +
          'detail.frames[1] must be an object; detail.includeMembers must be a boolean',
      ),
    );
  });

  it.each([
    ['a negative shard', { kind: 'shard', shard: -1 }, 'detail.audience.shard must be an integer >= 0'],
    ['a fractional shard', { kind: 'shard', shard: 1.5 }, 'detail.audience.shard must be an integer >= 0'],
    [
      'an unknown kind',
      { kind: 'everyone' },
      'detail.audience.kind must be "room", "range", "shard" or "connections"',
    ],
  ])('refuses %s', (_what, audience, problem) => {
    const event = chatEnvelope('Public Message Sent', {
      correlationId: 'c=',
      audience,
      frames: [frame],
      includeMembers: false,
    });
    expect(() => parseChatEventEnvelope(event)).toThrow(`Not a chat event: ${problem}`);
  });

  it.each([
    ['not an object', 'joined', 'detail.presence must be an object with a change'],
    [
      'of an unknown kind',
      { change: { event: 'came', name: '', connectionId: 'a=' }, send: 'all' },
      'detail.presence.send must be "room" or "full"; ' +
        'detail.presence.change.event must be joined, left or renamed; ' +
        'detail.presence.change.name must be a non-empty string',
    ],
    [
      'a rename without the previous name',
      { change: { event: 'renamed', name: 'b', connectionId: 'a=' }, send: 'room' },
      'detail.presence.change.previousName must be a non-empty string',
    ],
  ])('refuses a presence detail %s', (_what, presence, problem) => {
    const event = chatEnvelope('Member Joined', {
      correlationId: 'c=',
      audience: { kind: 'shard', shard: 0 },
      frames: [],
      includeMembers: true,
      presence,
    });
    expect(() => parseChatEventEnvelope(event)).toThrow(`Not a chat event: ${problem}`);
  });

  it('refuses joinerList anywhere but on the room event of a join', () => {
    const { detail } = broadcastEvent('Member Renamed', [frame], {
      correlationId: 'c=',
      includeMembers: true,
      presence: { event: 'renamed', name: 'alicia', previousName: 'alice', connectionId: 'a=' },
      joinerList: true,
    });
    expect(() => parseChatEventEnvelope(chatEnvelope('Member Renamed', detail))).toThrow(
      'detail.presence.joinerList is only for the room event of a join',
    );
    const notBoolean = { ...detail, presence: { ...detail.presence, joinerList: 'yes' } };
    expect(() => parseChatEventEnvelope(chatEnvelope('Member Renamed', notBoolean))).toThrow(
      'detail.presence.joinerList must be a boolean',
    );
  });

  it('refuses an event that is not an object', () => {
    expect(() => parseChatEventEnvelope([])).toThrow(
      new InvalidChatEventError('Not a chat event: the event must be an object'),
    );
  });
});
