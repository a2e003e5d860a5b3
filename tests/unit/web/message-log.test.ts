import { entryFromFrame, MessageLog } from '../../../web/src/message-log';

const publicEntry = (id: string, from = 'alice') =>
  entryFromFrame({ type: 'public', id, ts: 1, from, text: `text ${id}` }, 'bob');

describe('MessageLog', () => {
  it('keeps entries in arrival order', () => {
    const log = new MessageLog();
    log.add(publicEntry('02'));
    log.add(publicEntry('01'));
    expect(log.entries().map((entry) => entry.key)).toEqual(['02', '01']);
  });

  it('drops a message whose id it has already seen (delivery is at least once)', () => {
    const log = new MessageLog();
    expect(log.add(publicEntry('01')).added).toBe(true);
    expect(log.add(publicEntry('01')).added).toBe(false);
    expect(log.entries()).toHaveLength(1);
  });

  it('trims the oldest entries beyond its limit and reports them, still dropping their late duplicates', () => {
    const log = new MessageLog(2);
    log.add(publicEntry('01'));
    log.add(publicEntry('02'));
    const { removed } = log.add(publicEntry('03'));
    expect(removed.map((entry) => entry.key)).toEqual(['01']);
    expect(log.entries().map((entry) => entry.key)).toEqual(['02', '03']);
    expect(log.add(publicEntry('01')).added).toBe(false);
  });

  it('gives local entries keys that never collide', () => {
    const log = new MessageLog();
    expect(log.nextLocalKey()).not.toBe(log.nextLocalKey());
  });
});

describe('entryFromFrame', () => {
  it('marks a public message from me as my own, ignoring the case of the name', () => {
    const frame = { type: 'public', id: '1', ts: 1, from: 'Bob', text: 'hi' } as const;
    expect(entryFromFrame(frame, 'bob').own).toBe(true);
    expect(entryFromFrame(frame, 'alice').own).toBe(false);
    expect(entryFromFrame(frame, undefined).own).toBe(false);
  });

  it('keeps sender and recipient of a private message', () => {
    const entry = entryFromFrame(
      { type: 'private', id: '1', ts: 5, from: 'alice', to: 'bob', text: 'psst' },
      'bob',
    );
    expect(entry).toEqual({
      key: '1',
      kind: 'private',
      ts: 5,
      from: 'alice',
      to: 'bob',
      text: 'psst',
      own: false,
    });
  });
});
