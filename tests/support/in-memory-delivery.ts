import type { ChatEvent } from '../../src/chat/chat-events';
import type { ChatEventPublisher, ConnectionSender, SendResult } from '../../src/chat/ports';

/** The publisher port in memory: keeps every published event, in order. */
export class RecordingPublisher implements ChatEventPublisher {
  readonly events: ChatEvent[] = [];

  async publish(events: ChatEvent[]): Promise<void> {
    this.events.push(...structuredClone(events));
  }
}

/**
 * The sender port in memory: records what each connection received (parsed), answers 'gone'
 * for the connections in `gone`, and throws `failWith` for the connections in `failing`.
 */
export class RecordingSender implements ConnectionSender {
  readonly received = new Map<string, unknown[]>();
  readonly gone = new Set<string>();
  readonly failing = new Map<string, Error>();
  inFlight = 0;
  maxInFlight = 0;

  async send(connectionId: string, data: string): Promise<SendResult> {
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      // A turn of the event loop, as a network call takes: concurrent sends really overlap.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const failure = this.failing.get(connectionId);
      if (failure) throw failure;
      if (this.gone.has(connectionId)) return 'gone';
      const frames = this.received.get(connectionId) ?? [];
      frames.push(JSON.parse(data));
      this.received.set(connectionId, frames);
      return 'sent';
    } finally {
      this.inFlight -= 1;
    }
  }

  framesOf(connectionId: string): unknown[] {
    return this.received.get(connectionId) ?? [];
  }
}
