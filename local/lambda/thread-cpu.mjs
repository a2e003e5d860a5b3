// CPU time of the calling thread (one Lambda environment), for the local stack's per-invocation
// accounting. Lambda bills wall time, but on a shared machine wall time mostly measures the
// neighbours; CPU time says what one invocation cost. Best source first:
//   thread: process.threadCpuUsage() (Node >= 23.9)
//   schedstat: /proc/thread-self/schedstat, nanoseconds on CPU (Linux; read on this thread)
//   event-loop: active time of this thread's event loop (elsewhere; includes time waiting for a CPU)
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const fromSchedstat = () => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;

const pick = () => {
  if (typeof process.threadCpuUsage === 'function') {
    return {
      source: 'thread',
      read: () => {
        const { user, system } = process.threadCpuUsage();
        return (user + system) / 1000;
      },
    };
  }
  try {
    if (Number.isFinite(fromSchedstat())) return { source: 'schedstat', read: fromSchedstat };
  } catch {
    // not Linux
  }
  return { source: 'event-loop', read: () => performance.eventLoopUtilization().active };
};

const { source, read } = pick();

/** Milliseconds of CPU this thread has used so far, and where the number comes from. */
export const threadCpu = () => ({ ms: read(), source });
