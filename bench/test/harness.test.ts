// Run with `npx tsx --test bench/test/` (the bench is never part of `npm test`).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { costOf, eventBridgeChunks, readUnits, webSocketMessageUnits, writeUnits } from '../lib/cost';
import { DeliveryLedger } from '../lib/ledger';
import { percentile, summarize } from '../lib/percentiles';
import { benchText, parseBenchText } from '../lib/protocol';

describe('percentile', () => {
  it('reads nearest-rank percentiles from sorted samples', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(sorted, 50), 50);
    assert.equal(percentile(sorted, 95), 95);
    assert.equal(percentile(sorted, 99), 99);
    assert.equal(percentile(sorted, 100), 100);
  });

  it('sorts numerically, not as strings', () => {
    const s = summarize([100, 9, 20, 3]);
    assert.equal(s.min, 3);
    assert.equal(s.max, 100);
    assert.equal(s.p50, 9);
  });

  it('reports NaN when there are no samples', () => {
    assert.ok(Number.isNaN(summarize([]).p50));
  });
});

describe('DeliveryLedger', () => {
  it('is complete only when every recipient has every message once', () => {
    const ledger = new DeliveryLedger(2, 3);
    for (let m = 0; m < 2; m++) for (let r = 0; r < 3; r++) assert.equal(ledger.record(m, r), true);
    assert.ok(ledger.isComplete());
    const report = ledger.report();
    assert.equal(report.lost, 0);
    assert.equal(report.duplicated, 0);
  });

  it('names the first lost pair in message order', () => {
    const ledger = new DeliveryLedger(3, 2);
    ledger.record(0, 0);
    ledger.record(0, 1);
    ledger.record(1, 0);
    const report = ledger.report();
    assert.equal(report.lost, 3);
    assert.deepEqual(report.firstLost, { kind: 'lost', message: 1, recipient: 1, seen: 0 });
  });

  it('counts every extra copy and names the first duplicate it saw', () => {
    const ledger = new DeliveryLedger(2, 2);
    ledger.record(1, 1);
    assert.equal(ledger.record(1, 1), false);
    ledger.record(1, 1);
    ledger.record(0, 0);
    ledger.record(0, 0);
    const report = ledger.report();
    assert.equal(report.duplicated, 3);
    assert.deepEqual(report.firstDuplicate, { kind: 'duplicate', message: 1, recipient: 1, seen: 3 });
  });

  it('counts frames outside the run as unexpected instead of crashing', () => {
    const ledger = new DeliveryLedger(1, 1);
    assert.equal(ledger.record(5, 0), false);
    assert.equal(ledger.report().unexpected, 1);
  });
});

describe('bench message text', () => {
  it('round-trips the run id and message number through padding', () => {
    const text = benchText('lat-100', 42, 120);
    assert.equal(text.length, 120);
    assert.deepEqual(parseBenchText(text), { runId: 'lat-100', m: 42 });
  });

  it('ignores chat text that is not the bench', () => {
    assert.equal(parseBenchText('hello'), undefined);
    assert.equal(parseBenchText(undefined), undefined);
  });
});

describe('cost model', () => {
  it('meters in the increments AWS bills', () => {
    assert.equal(eventBridgeChunks(1), 1);
    assert.equal(eventBridgeChunks(64 * 1024 + 1), 2);
    assert.equal(webSocketMessageUnits(33 * 1024), 2);
    assert.equal(writeUnits(1025), 2);
    assert.equal(readUnits(100, false), 0.5);
    assert.equal(readUnits(9000, true), 3);
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
    assert.ok(Math.abs(cost.total - 1) < 1e-9);
  });
});
