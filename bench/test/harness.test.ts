// The bench's own arithmetic (ledger, percentiles, cost model): runs in the unit project of `npm test`;
// the bench itself never does.
import { costOf, eventBridgeChunks, readUnits, webSocketMessageUnits, writeUnits } from '../lib/cost';
import { DeliveryLedger } from '../lib/ledger';
import { percentile, summarize } from '../lib/percentiles';
import { benchText, parseBenchText } from '../lib/protocol';

describe('percentile', () => {
  it('reads nearest-rank percentiles from sorted samples', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 95)).toBe(95);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 100)).toBe(100);
  });

  it('sorts numerically, not as strings', () => {
    const s = summarize([100, 9, 20, 3]);
    expect(s.min).toBe(3);
    expect(s.max).toBe(100);
    expect(s.p50).toBe(9);
  });

  it('reports NaN when there are no samples', () => {
    expect(summarize([]).p50).toBeNaN();
  });
});

describe('DeliveryLedger', () => {
  it('is complete only when every recipient has every message once', () => {
    const ledger = new DeliveryLedger(2, 3);
    for (let m = 0; m < 2; m++) for (let r = 0; r < 3; r++) expect(ledger.record(m, r)).toBe(true);
    expect(ledger.isComplete()).toBe(true);
    const report = ledger.report();
    expect(report.lost).toBe(0);
    expect(report.duplicated).toBe(0);
  });

  it('names the first lost pair in message order', () => {
    const ledger = new DeliveryLedger(3, 2);
    ledger.record(0, 0);
    ledger.record(0, 1);
    ledger.record(1, 0);
    const report = ledger.report();
    expect(report.lost).toBe(3);
    expect(report.firstLost).toEqual({ kind: 'lost', message: 1, recipient: 1, seen: 0 });
  });

  it('counts every extra copy and names the first duplicate it saw', () => {
    const ledger = new DeliveryLedger(2, 2);
    ledger.record(1, 1);
    expect(ledger.record(1, 1)).toBe(false);
    ledger.record(1, 1);
    ledger.record(0, 0);
    ledger.record(0, 0);
    const report = ledger.report();
    expect(report.duplicated).toBe(3);
    expect(report.firstDuplicate).toEqual({ kind: 'duplicate', message: 1, recipient: 1, seen: 3 });
  });

  it('counts frames outside the run as unexpected instead of crashing', () => {
    const ledger = new DeliveryLedger(1, 1);
    expect(ledger.record(5, 0)).toBe(false);
    expect(ledger.report().unexpected).toBe(1);
  });
});

describe('bench message text', () => {
  it('round-trips the run id and message number through padding', () => {
    const text = benchText('lat-100', 42, 120);
    expect(text.length).toBe(120);
    expect(parseBenchText(text)).toEqual({ runId: 'lat-100', m: 42 });
  });

  it('ignores chat text that is not the bench', () => {
    expect(parseBenchText('hello')).toBe(undefined);
    expect(parseBenchText(undefined)).toBe(undefined);
  });
});

describe('cost model', () => {
  it('meters in the increments AWS bills', () => {
    expect(eventBridgeChunks(1)).toBe(1);
    expect(eventBridgeChunks(64 * 1024 + 1)).toBe(2);
    expect(webSocketMessageUnits(33 * 1024)).toBe(2);
    expect(writeUnits(1025)).toBe(2);
    expect(readUnits(100, false)).toBe(0.5);
    expect(readUnits(9000, true)).toBe(3);
  });

  it('prices a million API Gateway messages at one dollar', () => {
    const cost = costOf({
      dynamoDbWriteUnits: 0,
      dynamoDbReadUnits: 0,
      eventBridgeEvents: 0,
      apiGatewayMessages: 1e6,
      lambdaRequests: 0,
      lambdaGbSeconds: 0,
    });
    expect(cost.total).toBeCloseTo(1, 9);
  });
});
