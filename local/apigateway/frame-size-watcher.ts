/**
 * Watches the raw bytes a client sends and reports the first data frame whose payload is over
 * the frame limit. `ws` only limits whole messages (maxPayload), while API Gateway limits each
 * frame (32 KB) and each message (128 KB) separately, so this reads just the frame headers and
 * skips payloads without copying them.
 */
export class FrameSizeWatcher {
  private pending: Buffer | undefined;
  private skip = 0;
  private tripped = false;

  constructor(
    private readonly frameLimitBytes: number,
    private readonly onOversize: (payloadBytes: number) => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.tripped) return;
    let data = chunk;
    let offset = 0;
    if (this.pending) {
      data = Buffer.concat([this.pending, chunk]);
      this.pending = undefined;
    }
    while (offset < data.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, data.length - offset);
        this.skip -= n;
        offset += n;
        continue;
      }
      const available = data.length - offset;
      if (available < 2) break;
      const opcode = (data[offset] as number) & 0x0f;
      const second = data[offset + 1] as number;
      let length = second & 0x7f;
      let headerLength = 2;
      if (length === 126) {
        if (available < 4) break;
        length = data.readUInt16BE(offset + 2);
        headerLength = 4;
      } else if (length === 127) {
        if (available < 10) break;
        length = data.readUInt32BE(offset + 2) * 2 ** 32 + data.readUInt32BE(offset + 6);
        headerLength = 10;
      }
      if (second & 0x80) headerLength += 4;
      if (available < headerLength) break;
      // Opcodes 0 (continuation), 1 (text) and 2 (binary) carry data; 8+ are control frames.
      if (opcode < 8 && length > this.frameLimitBytes) {
        this.tripped = true;
        this.onOversize(length);
        return;
      }
      offset += headerLength;
      this.skip = length;
    }
    if (offset < data.length) this.pending = Buffer.from(data.subarray(offset));
  }
}
