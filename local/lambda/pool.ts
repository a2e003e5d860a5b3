import type { FunctionModel } from '../template/types';
import type { ExecutionEnvironment } from './environment';

export type Acquired = { env: ExecutionEnvironment; cold: boolean } | 'throttled' | 'closed';

/**
 * The execution environments of one function: the warmest idle one is reused, a new one starts
 * (cold) below the local cap, and beyond it an invocation waits for a free one.
 * ReservedConcurrentExecutions throttles, as on AWS.
 */
export class EnvironmentPool {
  private readonly envs: ExecutionEnvironment[] = [];
  private readonly waiters: (() => void)[] = [];

  constructor(
    private readonly fn: FunctionModel,
    private readonly maxEnvironments: number,
    private readonly start: (fn: FunctionModel) => ExecutionEnvironment,
    private readonly isClosed: () => boolean,
  ) {}

  get size(): number {
    return this.envs.length;
  }

  async acquire(): Promise<Acquired> {
    const reserved = this.fn.reservedConcurrency;
    for (;;) {
      if (this.isClosed()) return 'closed';
      // The most recently used idle environment first, as Lambda tends to reuse the warmest one.
      let idle: ExecutionEnvironment | undefined;
      for (const env of this.envs)
        if (!env.busy && !env.dead && (!idle || env.lastUsed > idle.lastUsed)) idle = env;
      if (idle) {
        idle.busy = true;
        return { env: idle, cold: false };
      }
      const live = this.envs.filter((e) => !e.dead).length;
      if (reserved !== undefined && live >= reserved) return 'throttled';
      if (live < this.maxEnvironments) {
        const env = this.start(this.fn);
        env.busy = true;
        this.envs.push(env);
        return { env, cold: true };
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  release(env: ExecutionEnvironment): void {
    env.busy = false;
    env.lastUsed = Date.now();
    this.waiters.shift()?.();
  }

  /** Forgets a stopped environment; the freed slot lets a waiting invocation start a new one. */
  remove(env: ExecutionEnvironment): void {
    const i = this.envs.indexOf(env);
    if (i >= 0) this.envs.splice(i, 1);
    this.waiters.shift()?.();
  }

  /** Stops the environments idle for longer than `idleMs` (Lambda keeps them 5-15 minutes). */
  reapIdle(idleMs: number): void {
    const now = Date.now();
    for (const env of [...this.envs]) if (!env.busy && now - env.lastUsed > idleMs) void env.kill();
  }

  /** Stops every environment and wakes every waiting invocation (which then sees the pool closed). */
  close(reason: string): Promise<unknown>[] {
    const stops = [...this.envs].map((env) => env.kill(reason));
    for (const wake of this.waiters.splice(0)) wake();
    return stops;
  }
}
