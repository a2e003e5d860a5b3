import { entryFromFrame, MessageLog } from '../../../web/src/message-log';

const publicEntry = (id: string, from = 'alice') =>
  entryFromFrame({ type: 'public', id, ts: 1, from, text: `text ${id}` }, 'bob');

describe('MessageLog', () => {
  it('keeps entries in id order, saying where a late one went', () => {
    const log = new MessageLog();
    expect(log.add(publicEntry('01B')).index).toBe(0);
    expect(log.add(publicEntry('01D')).index).toBe(1);
    // A message created earlier but delivered later goes above the newer one.
    expect(log.add(publicEntry('01C')).index).toBe(1);
    expect(log.entries().map((entry) => entry.key)).toEqual(['01B', '01C', '01D']);
  });

  it('places a local notice after the newest server entry, and later messages after it', () => {
    const log = new MessageLog();
    log.add(publicEntry('01B'));
    const notice = {
      key: log.nextLocalKey(),
      kind: 'notice' as const,
      ts: 0,
      text: 'Connection lost',
      own: false,
    };
    expect(log.add(notice).index).toBe(1);
    log.add(publicEntry('01A')); // older than the notice: above it
    log.add(publicEntry('01C')); // newer: below it
    expect(log.entries().map((entry) => entry.text)).toEqual([
      'text 01A',
      'text 01B',
      'Connection lost',
      'text 01C',
    ]);
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
    const { removed, index } = log.add(publicEntry('03'));
    expect(removed.map((entry) => entry.key)).toEqual(['01']);
    expect(index).toBe(1);
    expect(log.entries().map((entry) => entry.key)).toEqual(['02', '03']);
    expect(log.add(publicEntry('01')).added).toBe(false);
    // An entry older than everything kept is not shown at all.
    expect(log.add(publicEntry('00'))).toEqual({ added: false, index: -1, removed: [] });
  });

  it('gives local entries keys that never collide and keep their order', () => {
    const log = new MessageLog();
    const first = log.nextLocalKey();
    const second = log.nextLocalKey();
    expect(first < second).toBe(true);
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
