import { FrameSizeWatcher } from '../../../../local/apigateway/frame-size-watcher';

// A client frame as RFC 6455 section 5.2 lays it out (clients always mask their frames).
function clientFrame(payload: Buffer, opcode: 1 | 2 | 9 = 1, fin = true): Buffer {
  const mask = Buffer.from([1, 2, 3, 4]);
  let header: Buffer;
  if (payload.length < 126) {
    header = Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | payload.length]);
  } else if (payload.length < 65536) {
    header = Buffer.alloc(4);
    header[0] = (fin ? 0x80 : 0) | opcode;
    header[1] = 0x80 | 126;
    header.writeUInt16BE(payload.length, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = (fin ? 0x80 : 0) | opcode;
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(payload.length), 2);
  }
  const masked = Buffer.from(payload.map((byte, i) => byte ^ (mask[i % 4] as number)));
  return Buffer.concat([header, mask, masked]);
}

describe('FrameSizeWatcher', () => {
  const LIMIT = 32 * 1024;

  function watch(): { watcher: FrameSizeWatcher; sizes: number[] } {
    const sizes: number[] = [];
    return { watcher: new FrameSizeWatcher(LIMIT, (size) => sizes.push(size)), sizes };
  }

  it('lets frames up to the limit through', () => {
    const { watcher, sizes } = watch();
    watcher.push(clientFrame(Buffer.alloc(10, 'a')));
    watcher.push(clientFrame(Buffer.alloc(200, 'a')));
    watcher.push(clientFrame(Buffer.alloc(LIMIT, 'a')));
    expect(sizes).toEqual([]);
  });

  it('reports a text frame one byte over the limit', () => {
    const { watcher, sizes } = watch();
    watcher.push(clientFrame(Buffer.alloc(LIMIT + 1, 'a')));
    expect(sizes).toEqual([LIMIT + 1]);
  });

  it('reports a frame whose length uses the 64-bit form', () => {
    const { watcher, sizes } = watch();
    watcher.push(clientFrame(Buffer.alloc(70_000, 'a'), 2));
    expect(sizes).toEqual([70_000]);
  });

  it('finds an oversize frame after small ones when bytes arrive one at a time', () => {
    const { watcher, sizes } = watch();
    const stream = Buffer.concat([
      clientFrame(Buffer.from('{"action":"a"}')),
      clientFrame(Buffer.alloc(300, 'b')),
      clientFrame(Buffer.alloc(LIMIT + 5, 'c')),
    ]);
    for (let i = 0; i < stream.length; i++) watcher.push(stream.subarray(i, i + 1));
    expect(sizes).toEqual([LIMIT + 5]);
  });

  it('accepts a large message sent as fragments under the limit', () => {
    const { watcher, sizes } = watch();
    watcher.push(clientFrame(Buffer.alloc(LIMIT, 'a'), 1, false));
    watcher.push(clientFrame(Buffer.alloc(LIMIT, 'a'), 1, true));
    expect(sizes).toEqual([]);
  });

  it('ignores control frames', () => {
    const { watcher, sizes } = watch();
    watcher.push(clientFrame(Buffer.alloc(125, 'p'), 9));
    expect(sizes).toEqual([]);
  });

  it('reports only once', () => {
    const { watcher, sizes } = watch();
    watcher.push(clientFrame(Buffer.alloc(LIMIT + 1, 'a')));
    watcher.push(clientFrame(Buffer.alloc(LIMIT + 1, 'a')));
    expect(sizes).toHaveLength(1);
  });
});
