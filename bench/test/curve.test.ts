// The frames/s curve's verdicts: which step counts as sustained, and when the curve stops.
import { stopReason, sustainedFramesPerSecond } from '../lib/curve';
import type { LatencySummary } from '../lib/percentiles';

const latency = (p99: number): LatencySummary => ({
  count: 100,
  min: 1,
  p50: p99 / 2,
  p95: p99 * 0.9,
  p99,
  max: p99,
  mean: p99 / 2,
});
const step = (offered: number, delivered: number, p99: number, lost = 0) => ({
  offeredFramesPerSecond: offered,
  sentFramesPerSecond: offered,
  deliveredFramesPerSecond: delivered,
  latencyMs: latency(p99),
  lost,
  duplicated: 0,
});

describe('sustainedFramesPerSecond', () => {
  it('names the highest delivered frames/s among the steps whose p99 stayed under the limit', () => {
    const steps = [step(100, 99, 40), step(200, 198, 80), step(400, 380, 140), step(800, 450, 3000)];
    expect(sustainedFramesPerSecond(steps, 100)).toBe(198);
    expect(sustainedFramesPerSecond(steps, 150)).toBe(380);
  });

  it('is null when no step stayed under the limit', () => {
    expect(sustainedFramesPerSecond([step(100, 100, 180), step(200, 111, 2500)], 100)).toBeNull();
  });

  it('does not count a step that lost frames, however fast it was', () => {
    expect(sustainedFramesPerSecond([step(100, 99, 40), step(200, 190, 60, 3)], 100)).toBe(99);
  });

  it('does not count a step with no latency samples (NaN p99)', () => {
    expect(sustainedFramesPerSecond([step(100, 0, Number.NaN)], 100)).toBeNull();
  });
});

describe('stopReason', () => {
  it('goes on while the stack keeps up and p99 stays under the stop threshold', () => {
    expect(stopReason(step(400, 390, 900), 5000)).toBeUndefined();
  });

  it('goes on after a slow step that still delivered what was sent (a busy machine, not saturation)', () => {
    expect(stopReason(step(100, 101, 1667), 5000)).toBeUndefined();
  });

  it('stops once delivery falls behind what was sent, saying it is saturated', () => {
    expect(stopReason(step(800, 450, 2500), 5000)).toMatch(
      /saturated at 800 offered frames\/s: 450 delivered of 800 sent frames\/s/,
    );
  });

  it('stops once p99 passes the stop threshold, even if the stack kept up', () => {
    expect(stopReason(step(200, 198, 6000), 5000)).toMatch(
      /p99 6000 ms above 5000 ms at 200 offered frames\/s/,
    );
  });

  it('stops on a lost frame', () => {
    expect(stopReason(step(200, 190, 50, 1), 5000)).toMatch(/lost or duplicated/);
  });
});
