// The join and members-list lines of the printed report: target against measure, and a failure
// shown as a failure with its differences, never as a number.
import type { JoinResult, MembersAtScaleResult } from '../lib/join-stage';
import { type BenchResults, renderReport } from '../lib/report';
import type { CallCounts } from '../lib/stack-adapter';

const meta: BenchResults['meta'] = {
  date: '2026-11-30',
  startedAt: '2026-11-30T05:00:00.000Z',
  durationMs: 1000,
  commit: 'abc1234',
  node: 'v24',
  cpus: 2,
  cpuModel: 'test',
  quick: false,
  options: {},
  stageMs: {},
};
const prices = { region: 'us-east-1', currency: 'USD', prices: {} } as unknown as BenchResults['prices'];
const tally = { total: 3000, bytes: 300_000, byType: { name: 1000, members: 1000, presence: 1000 } };

const join = (over: Partial<JoinResult>): JoinResult => ({
  clients: 1000,
  inFlight: 0,
  target: { clients: 1000, settleMs: 10_000 },
  connectMs: 5000,
  acknowledged: 1000,
  joinMs: 30_000,
  settleMs: 4_000,
  firstExactMs: 3_000,
  totalMs: 34_000,
  regressions: 2,
  settleTimeoutMs: 120_000,
  frames: tally,
  framesWhenQuiet: tally,
  exactWhenQuiet: true,
  drained: true,
  notExact: 0,
  differences: [],
  counts: {} as CallCounts,
  ...over,
});

const render = (r: Partial<BenchResults>) => renderReport({ meta, prices, failures: [], ...r });

describe('the join lines of the report', () => {
  it('shows the settle time against the target, and the whole join time', () => {
    const text = render({ join: join({}) });
    expect(text).toMatch(
      /last acknowledgement -> every list exact \(for good\) \| at most 10 s for 1,000 \| 4\.0 s \| met/,
    );
    expect(text).toMatch(/first setName -> last acknowledgement \| report \| 30\.0 s/);
    expect(text).toMatch(/3,000 \(3 per client/);
    expect(render({ join: join({ settleMs: 12_000 }) })).toMatch(/12\.0 s \| missed/);
  });

  it('reports a list that never became exact as a failure with its differences, not a number', () => {
    const text = render({
      join: join({
        settleMs: undefined,
        totalMs: undefined,
        firstExactMs: undefined,
        exactWhenQuiet: false,
        notExact: 1,
        differences: [
          {
            client: 7,
            name: 'joiner7',
            hasList: true,
            size: 999,
            missing: ['joiner3'],
            extra: [],
            missingCount: 1,
            extraCount: 0,
            droppedLists: 0,
          },
        ],
        failure: '1 of 1000 members lists were not exact 120 s after the last acknowledgement: client #7 ...',
      }),
    });
    expect(text).toMatch(/FAILED \(not exact after 120 s\) \| failed/);
    expect(text).toMatch(/Join failure: 1 of 1000 members lists/);
  });

  it('shows the members list at scale: pages, bytes per page, time to the last page', () => {
    const members: MembersAtScaleResult = {
      seeded: 100_000,
      seedMs: 60_000,
      seedCalls: 8000,
      ackMs: 300,
      lastPageMs: 2500,
      pages: 80,
      listPages: 78,
      bytesPerPage: { min: 9000, median: 16_000, max: 16_384 },
      overLimit: 0,
      names: 100_001,
      exact: true,
      differences: [],
      counts: {} as CallCounts,
    };
    const text = render({ members });
    expect(text).toMatch(
      /all 100,001 names in 78 pages, 9,000-16,384 bytes \(median 16,000\); last page 2\.5 s after setName \| met/,
    );
  });
});
