/**
 * Exact-once accounting for one run: every (message, recipient) pair is expected exactly once.
 * Counts live in one flat byte array so that the full load run (10,000 messages x 1,000
 * recipients = 10 million pairs) costs 10 MB, not millions of Map entries.
 */
export interface DeliveryAnomaly {
  kind: 'lost' | 'duplicate';
  message: number;
  recipient: number;
  /** Times the recipient saw the message (0 for lost, >= 2 for duplicate). */
  seen: number;
}

export interface LedgerReport {
  messages: number;
  recipients: number;
  expected: number;
  delivered: number;
  lost: number;
  duplicated: number;
  /** Frames whose token named a message or recipient outside the run (should never happen). */
  unexpected: number;
  firstLost?: DeliveryAnomaly;
  firstDuplicate?: DeliveryAnomaly;
}

export class DeliveryLedger {
  private readonly counts: Uint8Array;
  private duplicateFirst?: DeliveryAnomaly;
  private unexpectedFrames = 0;
  private delivered = 0;

  constructor(
    readonly messages: number,
    readonly recipients: number,
  ) {
    this.counts = new Uint8Array(messages * recipients);
  }

  /** Records one frame; returns true when it is the first copy (the one whose latency counts). */
  record(message: number, recipient: number): boolean {
    if (
      !Number.isInteger(message) ||
      !Number.isInteger(recipient) ||
      message < 0 ||
      message >= this.messages ||
      recipient < 0 ||
      recipient >= this.recipients
    ) {
      this.unexpectedFrames++;
      return false;
    }
    const at = message * this.recipients + recipient;
    const seen = this.counts[at] as number;
    if (seen < 255) this.counts[at] = seen + 1;
    if (seen === 0) {
      this.delivered++;
      return true;
    }
    if (seen === 1 && !this.duplicateFirst) {
      this.duplicateFirst = { kind: 'duplicate', message, recipient, seen: 2 };
    }
    return false;
  }

  /** How many recipients have message `message` (for "done" checks and loss explanations). */
  recipientsOf(message: number): number {
    let n = 0;
    const base = message * this.recipients;
    for (let r = 0; r < this.recipients; r++) if ((this.counts[base + r] as number) > 0) n++;
    return n;
  }

  isComplete(): boolean {
    return this.delivered === this.messages * this.recipients;
  }

  deliveredCount(): number {
    return this.delivered;
  }

  report(): LedgerReport {
    let lost = 0;
    let duplicated = 0;
    let firstLost: DeliveryAnomaly | undefined;
    for (let at = 0; at < this.counts.length; at++) {
      const seen = this.counts[at] as number;
      if (seen === 0) {
        lost++;
        firstLost ??= {
          kind: 'lost',
          message: Math.floor(at / this.recipients),
          recipient: at % this.recipients,
          seen: 0,
        };
      } else if (seen > 1) {
        duplicated += seen - 1;
      }
    }
    const firstDuplicate = this.duplicateFirst
      ? {
          ...this.duplicateFirst,
          seen: this.counts[
            this.duplicateFirst.message * this.recipients + this.duplicateFirst.recipient
          ] as number,
        }
      : undefined;
    return {
      messages: this.messages,
      recipients: this.recipients,
      expected: this.messages * this.recipients,
      delivered: this.delivered,
      lost,
      duplicated,
      unexpected: this.unexpectedFrames,
      ...(firstLost ? { firstLost } : {}),
      ...(firstDuplicate ? { firstDuplicate } : {}),
    };
  }
}
