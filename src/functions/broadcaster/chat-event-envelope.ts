import {
  CHAT_EVENT_SOURCE,
  type ChatEventDetail,
  DETAIL_TYPES,
  type DetailType,
} from '../../chat/chat-events';
import { isFiniteNumber, isNonEmptyString, isRecord, type JsonObject, Problems } from '../../shared/checks';

/** What EventBridge hands the broadcaster: its envelope around one chat event. */
export interface ChatEventEnvelope extends JsonObject {
  id: string;
  'detail-type': DetailType;
  source: typeof CHAT_EVENT_SOURCE;
  detail: ChatEventDetail;
}

/** The invocation was not a chat event (a wiring mistake: the rule matched something else). */
export class InvalidChatEventError extends Error {
  override readonly name = 'InvalidChatEventError';
}

const DETAIL_TYPE_VALUES: readonly unknown[] = Object.values(DETAIL_TYPES);
const STAMPED_FRAME_TYPES: readonly unknown[] = ['system', 'public', 'private'];

const checkAudience = (audience: unknown, problems: Problems): void => {
  const path = 'detail.audience';
  if (!isRecord(audience)) {
    problems.add(path, 'must be an object');
    return;
  }
  if (audience.kind === 'shard') {
    const { shard } = audience;
    problems.check(
      Number.isInteger(shard) && (shard as number) >= 0,
      `${path}.shard`,
      'must be an integer >= 0',
    );
  } else if (audience.kind === 'connections') {
    const ids = audience.connectionIds;
    problems.check(
      Array.isArray(ids) && ids.length > 0 && ids.every(isNonEmptyString),
      `${path}.connectionIds`,
      'must be a non-empty list of non-empty strings',
    );
  } else if (audience.kind === 'range') {
    problems.check(isNonEmptyString(audience.key), `${path}.key`, 'must be a non-empty string');
    checkAudienceKey(audience.from, `${path}.from`, problems);
    checkAudienceKey(audience.to, `${path}.to`, problems);
  } else if (audience.kind !== 'room') {
    problems.add(`${path}.kind`, 'must be "room", "range", "shard" or "connections"');
  }
};

// One end of a range (src/chat/sharding.ts): absent means open.
const checkAudienceKey = (key: unknown, path: string, problems: Problems): void => {
  if (key === undefined) return;
  if (!isRecord(key)) {
    problems.add(path, 'must be an object');
    return;
  }
  problems.check(
    Number.isInteger(key.shard) && (key.shard as number) >= 0,
    `${path}.shard`,
    'must be an integer >= 0',
  );
  problems.check(
    key.connectionId === undefined || isNonEmptyString(key.connectionId),
    `${path}.connectionId`,
    'must be a non-empty string',
  );
};

// Frames are checked for the fields every client relies on; the rest of a frame passes through
// untouched so the wire format is decided in src/chat/frames.ts only.
const checkFrame = (frame: unknown, path: string, problems: Problems): void => {
  if (!isRecord(frame)) {
    problems.add(path, 'must be an object');
    return;
  }
  problems.check(
    STAMPED_FRAME_TYPES.includes(frame.type),
    `${path}.type`,
    'must be system, public or private',
  );
  problems.check(isNonEmptyString(frame.id), `${path}.id`, 'must be a non-empty string');
  problems.check(isFiniteNumber(frame.ts), `${path}.ts`, 'must be a number');
  problems.check(typeof frame.text === 'string', `${path}.text`, 'must be a string');
};

const PRESENCE_EVENTS: readonly unknown[] = ['joined', 'left', 'renamed'];

/** Checks a presence detail at `path` (also the body of a PresenceQueue message). */
export const checkPresenceDetail = (presence: unknown, path: string, problems: Problems): void => {
  if (!isRecord(presence) || !isRecord(presence.change)) {
    problems.add(path, 'must be an object with a change');
    return;
  }
  const { change } = presence;
  problems.check(
    presence.send === 'room' || presence.send === 'full',
    `${path}.send`,
    'must be "room" or "full"',
  );
  problems.optional(
    presence.joinerList,
    (v) => typeof v === 'boolean',
    `${path}.joinerList`,
    'must be a boolean',
  );
  if (presence.joinerList === true)
    problems.check(
      presence.send === 'room' && change.event === 'joined',
      `${path}.joinerList`,
      'is only for the room event of a join',
    );
  problems.check(
    PRESENCE_EVENTS.includes(change.event),
    `${path}.change.event`,
    'must be joined, left or renamed',
  );
  problems.check(isNonEmptyString(change.name), `${path}.change.name`, 'must be a non-empty string');
  problems.check(
    isNonEmptyString(change.connectionId),
    `${path}.change.connectionId`,
    'must be a non-empty string',
  );
  if (change.event === 'renamed')
    problems.check(
      isNonEmptyString(change.previousName),
      `${path}.change.previousName`,
      'must be a non-empty string',
    );
};

// Optional: events from a chat-api older than presence deltas have none.
const checkPresence = (presence: unknown, problems: Problems): void => {
  if (presence !== undefined) checkPresenceDetail(presence, 'detail.presence', problems);
};

const isNameList = (value: unknown): boolean => Array.isArray(value) && value.every(isNonEmptyString);

// Coalesced presence frames, on the parts of a presence batch's room (src/chat/presence-batch.ts).
const checkPresenceFrames = (frames: unknown, problems: Problems): void => {
  const path = 'detail.presenceFrames';
  if (frames === undefined) return;
  if (!Array.isArray(frames)) {
    problems.add(path, 'must be a list');
    return;
  }
  for (const [index, frame] of frames.entries()) {
    const at = `${path}[${index}]`;
    if (!isRecord(frame)) {
      problems.add(at, 'must be an object');
      continue;
    }
    problems.check(frame.type === 'presence', `${at}.type`, 'must be presence');
    problems.check(isNameList(frame.joined), `${at}.joined`, 'must be a list of names');
    problems.check(isNameList(frame.left), `${at}.left`, 'must be a list of names');
    problems.check(
      Array.isArray(frame.renamed) &&
        frame.renamed.every(
          (rename) =>
            isRecord(rename) && isNonEmptyString(rename.previousName) && isNonEmptyString(rename.name),
        ),
      `${at}.renamed`,
      'must be a list of {previousName, name}',
    );
  }
};

const checkDetail = (detail: unknown, problems: Problems): void => {
  if (!isRecord(detail)) {
    problems.add('detail', 'must be an object');
    return;
  }
  problems.check(
    isNonEmptyString(detail.correlationId),
    'detail.correlationId',
    'must be a non-empty string',
  );
  checkAudience(detail.audience, problems);
  if (!Array.isArray(detail.frames)) problems.add('detail.frames', 'must be a list');
  else
    for (const [index, frame] of detail.frames.entries())
      checkFrame(frame, `detail.frames[${index}]`, problems);
  problems.check(typeof detail.includeMembers === 'boolean', 'detail.includeMembers', 'must be a boolean');
  checkPresence(detail.presence, problems);
  checkPresenceFrames(detail.presenceFrames, problems);
};

/**
 * Validates the event as the broadcaster receives it from EventBridge; throws naming every problem.
 * Returns the event itself, not a copy, so frames keep the key order frames.ts gave them.
 */
export const parseChatEventEnvelope = (event: unknown): ChatEventEnvelope => {
  const invalid = (problems: string) => new InvalidChatEventError(`Not a chat event: ${problems}`);
  if (!isRecord(event)) throw invalid('the event must be an object');
  const problems = new Problems();
  problems.check(isNonEmptyString(event.id), 'id', 'must be a non-empty string');
  problems.check(
    DETAIL_TYPE_VALUES.includes(event['detail-type']),
    'detail-type',
    `must be one of ${Object.values(DETAIL_TYPES).join(', ')}`,
  );
  problems.check(event.source === CHAT_EVENT_SOURCE, 'source', `must be ${CHAT_EVENT_SOURCE}`);
  checkDetail(event.detail, problems);
  if (problems.any) throw invalid(String(problems));
  return event as ChatEventEnvelope;
};
