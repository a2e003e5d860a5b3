/**
 * A model on paper, not a measurement: what one public message to 10,000 or 100,000 recipients
 * would take on Lambda, from the CPU per post the bench measured locally, the send concurrency of
 * each delivery invocation and the number of parallel deliveries. Every assumption is a field of
 * `ProjectionAssumptions` and is printed next to the numbers.
 */

export interface ProjectionAssumptions {
  /** Lambda memory size; CPU share and GB-seconds follow from it. */
  memoryMb: number;
  /** Lambda gives one full vCPU at 1,769 MB and CPU in proportion to memory below that. */
  vcpuPerMb: number;
  /** Lambda CPU ms per locally measured CPU ms (1: a Lambda arm64 vCPU taken as fast as a local core). */
  cpuScale: number;
  /** PostToConnection round trip from a Lambda in the same Region (the bench simulates the same 20 ms). */
  roundTripMs: number;
  /** API Gateway's account throttle, shared by every API and the @connections callbacks (aws-facts.md). */
  accountRequestsPerSecond: number;
  /** Send -> the first post of every delivery: chat-api, EventBridge, the async invoke. */
  fixedMs: number;
  /** What each delivery invocation spends before and beside its posts (Query, idempotency writes). */
  perDeliveryOverheadMs: number;
  /** Lambda arm64 duration price. */
  usdPerGbSecond: number;
  /** The delivery function's timeout (template: 60 s): a longer delivery would be cut off and retried. */
  deliveryTimeoutMs: number;
}

export const LAMBDA_VCPU_PER_MB = 1 / 1769;

export const DEFAULT_ASSUMPTIONS: ProjectionAssumptions = {
  memoryMb: 1024,
  vcpuPerMb: LAMBDA_VCPU_PER_MB,
  cpuScale: 1,
  roundTripMs: 20,
  accountRequestsPerSecond: 10_000,
  fixedMs: 150,
  perDeliveryOverheadMs: 30,
  usdPerGbSecond: 0.0000133334,
  deliveryTimeoutMs: 60_000,
};

export interface ProjectionInput {
  design: string;
  recipients: number;
  /** CPU ms per delivered frame, as measured by the bench (local Lambda environments' CPU accounting). */
  cpuPerPostMs: number;
  /** Posts in flight per delivery invocation. */
  sendConcurrency: number;
  /** Delivery invocations running in parallel, each posting to recipients / parallelDeliveries. */
  parallelDeliveries: number;
  /** This design's function timeout, when it is not the assumptions' (the naive function has 900 s). */
  timeoutMs?: number;
}

export type Limit = 'CPU' | 'round trip' | 'account throttle';

export interface Projection extends ProjectionInput {
  vcpu: number;
  /** Posts per second one delivery invocation can make, alone. */
  postsPerSecondPerDelivery: number;
  /** What bounds one invocation: its CPU share or its lanes' round trips. */
  deliveryLimitedBy: Exclude<Limit, 'account throttle'>;
  /** All deliveries together, capped by the account throttle. */
  postsPerSecond: number;
  limitedBy: Limit;
  /** Send -> last recipient. */
  wallMs: number;
  /** Billed duration of each delivery invocation. */
  deliveryMs: number;
  /** The delivery would outlast the function's timeout: this many deliveries cannot carry the message. */
  exceedsTimeout: boolean;
  gbSeconds: number;
  usdPerMillionMessages: number;
  /** Parallel deliveries of this kind it takes to reach the account throttle. */
  deliveriesToReachThrottle: number;
}

export function project(input: ProjectionInput, a: ProjectionAssumptions = DEFAULT_ASSUMPTIONS): Projection {
  const { recipients, cpuPerPostMs, sendConcurrency, parallelDeliveries } = input;
  if (!(cpuPerPostMs > 0))
    throw new Error(`CPU per post must be a positive number of ms, got ${cpuPerPostMs}`);
  if (!(sendConcurrency >= 1) || !(parallelDeliveries >= 1) || !(recipients >= 1)) {
    throw new Error(
      `recipients, send concurrency and parallel deliveries must be at least 1 (got ${recipients}, ${sendConcurrency}, ${parallelDeliveries})`,
    );
  }
  const vcpu = Math.min(a.memoryMb * a.vcpuPerMb, 6);
  // One invocation is bounded by the CPU share it gets and by how many posts its lanes keep in
  // flight; the model takes the lower of the two (it ignores their overlap, so it is optimistic
  // near the point where they meet).
  const cpuBound = (vcpu * 1000) / (cpuPerPostMs * a.cpuScale);
  const roundTripBound = (sendConcurrency * 1000) / a.roundTripMs;
  const postsPerSecondPerDelivery = Math.min(cpuBound, roundTripBound);
  const uncapped = postsPerSecondPerDelivery * parallelDeliveries;
  const postsPerSecond = Math.min(uncapped, a.accountRequestsPerSecond);
  const postingMs = (recipients / postsPerSecond) * 1000;
  const deliveryMs = a.perDeliveryOverheadMs + postingMs;
  const gbSeconds = parallelDeliveries * (deliveryMs / 1000) * (a.memoryMb / 1024);
  return {
    ...input,
    vcpu,
    postsPerSecondPerDelivery,
    deliveryLimitedBy: cpuBound <= roundTripBound ? 'CPU' : 'round trip',
    postsPerSecond,
    limitedBy:
      uncapped >= a.accountRequestsPerSecond
        ? 'account throttle'
        : cpuBound <= roundTripBound
          ? 'CPU'
          : 'round trip',
    wallMs: a.fixedMs + a.perDeliveryOverheadMs + postingMs,
    deliveryMs,
    exceedsTimeout: deliveryMs > (input.timeoutMs ?? a.deliveryTimeoutMs),
    gbSeconds,
    usdPerMillionMessages: gbSeconds * a.usdPerGbSecond * 1e6,
    deliveriesToReachThrottle: Math.ceil(a.accountRequestsPerSecond / postsPerSecondPerDelivery),
  };
}

export interface DesignMeasurement {
  design: string;
  cpuPerPostMs: number;
  sendConcurrency: number;
  /** Parallel deliveries to project; the number that reaches the throttle is added unless `fixed`. */
  parallelDeliveries: number[];
  /** The design cannot run more deliveries than it has (the naive baseline is one invocation). */
  fixed?: boolean;
  /**
   * The deliveries the design itself runs for an audience (audience-sized sharding: one per
   * RecipientsPerDelivery, at most MaxParallelDeliveries); projected besides `parallelDeliveries`.
   */
  splitsInto?: { recipientsPerDelivery: number; maxParallelDeliveries: number };
  timeoutMs?: number;
}

/** The invocations audience-sized sharding splits `recipients` into (src/chat/sharding.ts). */
export const deliveriesFor = (
  recipients: number,
  split: { recipientsPerDelivery: number; maxParallelDeliveries: number },
): number => Math.min(Math.ceil(recipients / split.recipientsPerDelivery), split.maxParallelDeliveries);

/**
 * Every (recipients, design, parallel deliveries) row of the printed projection: each design at the
 * parallelism it has and at the parallelism that reaches the throttle, so the table shows both
 * where the design stands and where more parallelism stops helping.
 */
export function projectAll(
  recipients: readonly number[],
  designs: readonly DesignMeasurement[],
  a: ProjectionAssumptions = DEFAULT_ASSUMPTIONS,
): Projection[] {
  const rows: Projection[] = [];
  for (const n of recipients) {
    for (const d of designs) {
      const probe = project(
        {
          design: d.design,
          recipients: n,
          cpuPerPostMs: d.cpuPerPostMs,
          sendConcurrency: d.sendConcurrency,
          parallelDeliveries: 1,
          ...(d.timeoutMs !== undefined ? { timeoutMs: d.timeoutMs } : {}),
        },
        a,
      );
      const counts = [
        ...d.parallelDeliveries,
        ...(d.splitsInto ? [deliveriesFor(n, d.splitsInto)] : []),
        ...(d.fixed ? [] : [probe.deliveriesToReachThrottle]),
      ]
        .map((p) => Math.min(p, n))
        .sort((x, y) => x - y);
      for (const p of [...new Set(counts)]) {
        rows.push(
          project(
            {
              design: d.design,
              recipients: n,
              cpuPerPostMs: d.cpuPerPostMs,
              sendConcurrency: d.sendConcurrency,
              parallelDeliveries: p,
              ...(d.timeoutMs !== undefined ? { timeoutMs: d.timeoutMs } : {}),
            },
            a,
          ),
        );
      }
    }
  }
  return rows;
}

/** The assumptions as sentences, printed with every projection. */
export function describeAssumptions(a: ProjectionAssumptions): string[] {
  const vcpu = a.memoryMb * a.vcpuPerMb;
  return [
    `Lambda at ${a.memoryMb} MB gets ${vcpu.toFixed(2)} vCPU (1 vCPU at 1,769 MB, in proportion below) and is billed ${(a.memoryMb / 1024).toFixed(2)} GB per second at $${a.usdPerGbSecond}/GB-s (arm64).`,
    `A Lambda vCPU does ${a.cpuScale === 1 ? 'as much work per ms as a core of the bench machine' : `1/${a.cpuScale} of a bench core's work per ms`}: the measured CPU per post is used as it is${a.cpuScale === 1 ? '' : ` x ${a.cpuScale}`} (the bench machine was shared, which inflates it).`,
    `A PostToConnection takes ${a.roundTripMs} ms round trip; a delivery invocation keeps its send concurrency in flight, so it posts at most concurrency / round trip per second, and at most vCPU / CPU per post: the lower of the two (their overlap ignored).`,
    `Every delivery runs in parallel with the same share of recipients, ${a.perDeliveryOverheadMs} ms of its own work besides posting (Query, idempotency writes), no cold starts, no retries, no 429s from the recipients' buffers.`,
    `All deliveries together are capped by API Gateway's account throttle, ${a.accountRequestsPerSecond.toLocaleString('en-US')} requests/s shared with every other API call of the account (the 5,000 burst is ignored: it is shared too, and saves at most 0.5 s).`,
    `Wall time = ${a.fixedMs} ms before the first post (chat-api, EventBridge, the async invoke) + the delivery's own work + recipients / posts per second. GB-seconds count the delivery invocations only (chat-api's one short invocation is left out).`,
  ];
}

/** What the bench measured and the template says, as the projection takes them. */
export interface ProjectionSource {
  /** Fan-out points of the run; the largest one's medians are used (most posts, warmest environments). */
  points: readonly {
    connections: number;
    medianBroadcasterCpuPerFrameMs: number;
    medianNaiveCpuPerFrameMs: number;
  }[];
  /** The template's ShardCount and SendConcurrency defaults (undefined when the template has none). */
  shardCount?: number;
  sendConcurrency?: number;
  /** RecipientsPerDelivery and MaxParallelDeliveries: the audience-sized split, when the template has it. */
  recipientsPerDelivery?: number;
  maxParallelDeliveries?: number;
  /** The broadcaster's Timeout (BroadcasterTimeoutSeconds), in ms. */
  deliveryTimeoutMs?: number;
}

export interface ProjectionResult {
  assumptions: ProjectionAssumptions;
  /** Which fan-out size the CPU per post came from. */
  measuredAtConnections: number;
  designs: DesignMeasurement[];
  rows: Projection[];
}

/** The naive baseline's SDK client keeps at most 50 sockets (bench/naive/handler.ts, SDK default). */
export const NAIVE_SEND_CONCURRENCY = 50;
const FALLBACK_SEND_CONCURRENCY = 32;

/** The projection of a bench run: undefined when the run measured no CPU per post. */
export function projectionFrom(
  source: ProjectionSource,
  recipients: readonly number[] = [10_000, 100_000],
  a: ProjectionAssumptions = DEFAULT_ASSUMPTIONS,
): ProjectionResult | undefined {
  const point = [...source.points]
    .filter((p) => p.medianBroadcasterCpuPerFrameMs > 0)
    .sort((x, y) => y.connections - x.connections)[0];
  if (!point) return undefined;
  const designs: DesignMeasurement[] = [
    {
      design: 'pipeline',
      cpuPerPostMs: point.medianBroadcasterCpuPerFrameMs,
      sendConcurrency: source.sendConcurrency ?? FALLBACK_SEND_CONCURRENCY,
      // With audience-sized sharding the deliveries follow the audience, not ShardCount.
      parallelDeliveries:
        source.recipientsPerDelivery === undefined && source.shardCount !== undefined
          ? [source.shardCount]
          : [],
      ...(source.recipientsPerDelivery !== undefined
        ? {
            splitsInto: {
              recipientsPerDelivery: source.recipientsPerDelivery,
              maxParallelDeliveries: source.maxParallelDeliveries ?? Number.POSITIVE_INFINITY,
            },
          }
        : {}),
      ...(source.deliveryTimeoutMs !== undefined ? { timeoutMs: source.deliveryTimeoutMs } : {}),
    },
  ];
  if (point.medianNaiveCpuPerFrameMs > 0) {
    designs.push({
      design: 'naive',
      cpuPerPostMs: point.medianNaiveCpuPerFrameMs,
      sendConcurrency: NAIVE_SEND_CONCURRENCY,
      parallelDeliveries: [1],
      fixed: true,
      // bench/lib/derived-template.ts gives the naive function Lambda's maximum.
      timeoutMs: 900_000,
    });
  }
  return {
    assumptions: a,
    measuredAtConnections: point.connections,
    designs,
    rows: projectAll(recipients, designs, a),
  };
}
