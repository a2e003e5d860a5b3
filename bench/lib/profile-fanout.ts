/**
 * Where does the broadcaster's CPU go? Starts the stack with a simulated @connections round
 * trip, opens N plain WebSocket clients in a child process, sends one sendPublic and samples, every
 * 50 ms, the @connections requests the gateway holds (received, not yet answered) and the CPU used
 * by each thread of this process (gateway, dynalite, the functions' worker threads) and by the
 * client process. The last run is CPU-profiled in every environment of the function (through the
 * inspector's NodeWorker domain): each profile is written as a .cpuprofile (open it in Chrome
 * DevTools or VS Code) and the top self-time functions, mapped to their sources, are printed, with
 * the CPU per delivered frame from the local Lambda's own per-invocation accounting.
 * With --profile-main the last run also profiles this process's main thread: the local gateway
 * (@connections, SigV4 checks, WebSocket frames), EventBridge and dynalite, which on AWS are not
 * the function's cost but here share the two cores with it.
 * Run: npx tsx bench/lib/profile-fanout.ts [--clients 10000] [--latency 20] [--trace false]
 * [--naive] [--runs 3] [--run-timeout 300] [--out .local-stack/profiles] [--profile-main]
 */
import { fork } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { InvocationReport } from '../../local/lambda';
import { type CpuProfile, sourceMapLocator, summarizeProfile, WorkerProfiler } from './cpu-profile';
import { NAIVE_FUNCTION_ID, writeDerivedTemplate } from './derived-template';

const ROOT = path.resolve(__dirname, '../..');
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};

/** Child: N clients; the first is named and sends; reports when every client has the message. */
async function child(url: string, n: number): Promise<void> {
  const { WebSocket } = await import('ws');
  const sockets: InstanceType<typeof WebSocket>[] = [];
  let received = 0;
  for (let i = 0; i < n; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, n - i) }, () => {
        const ws = new WebSocket(url);
        sockets.push(ws);
        ws.on('message', (data) => {
          if (String(data).includes('"profile-msg"') && ++received === n) process.send?.({ op: 'done' });
        });
        return new Promise((resolve, reject) => {
          ws.once('open', resolve);
          ws.once('error', reject);
        });
      }),
    );
  }
  const sender = sockets[0] as InstanceType<typeof WebSocket>;
  sender.send(JSON.stringify({ action: 'setName', name: 'profiler' }));
  await new Promise((r) => setTimeout(r, 1500));
  process.send?.({ op: 'ready' });
  process.on('message', (msg: { op: string }) => {
    if (msg.op === 'arm') {
      received = 0;
      process.send?.({ op: 'armed' });
    }
    if (msg.op === 'send') sender.send(JSON.stringify({ action: 'sendPublic', message: 'profile-msg' }));
    if (msg.op === 'cpu') process.send?.({ op: 'cpu', usage: process.cpuUsage() });
    if (msg.op === 'exit') process.exit(0);
  });
}

/** utime+stime (ms) of every thread of this process, by tid. */
function threadCpu(): Map<string, { name: string; ms: number }> {
  const out = new Map<string, { name: string; ms: number }>();
  const tick = 10; // USER_HZ 100
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, { name, ms: (Number(f[11]) + Number(f[12])) * tick });
    } catch {
      // thread exited
    }
  }
  return out;
}

async function main(): Promise<void> {
  const clients = Number(arg('clients', '3000'));
  const latency = Number(arg('latency', '100'));
  const trace = arg('trace', 'true');
  const naive = process.argv.includes('--naive');
  const derived = writeDerivedTemplate(path.join(ROOT, 'template.yaml'), path.join(ROOT, 'bench/naive'));
  const doc = parseDocument(readFileSync(derived.path, 'utf8'));
  doc.setIn(['Globals', 'Function', 'Environment', 'Variables', 'POWERTOOLS_TRACE_ENABLED'], trace);
  writeFileSync(derived.path, String(doc));

  const profiler = new WorkerProfiler();
  await profiler.start();
  const reports: InvocationReport[] = [];
  const { startLocalStack } = await import('../../local/stack');
  const stack = await startLocalStack({
    templatePath: derived.path,
    port: 0,
    callbackLatencyMs: latency,
    log: {
      warn: () => {},
      functionLog: () => {},
      invocation: (report) => reports.push(report),
      gateway: () => {},
    },
  });
  const functionName = naive ? 'Naive' : 'Broadcaster';
  const runTimeoutMs = Number(arg('run-timeout', '300')) * 1000;
  const outDir = path.resolve(ROOT, arg('out', '.local-stack/profiles'));
  const kid = fork(__filename, ['--child', stack.webSocketUrl(), String(clients)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const wait = (op: string) =>
    new Promise<{ op: string; usage?: NodeJS.CpuUsage }>((resolve) => {
      const on = (m: { op: string; usage?: NodeJS.CpuUsage }) => {
        if (m.op === op) {
          kid.off('message', on);
          resolve(m);
        }
      };
      kid.on('message', on);
    });
  const t0 = Date.now();
  await wait('ready');
  console.log(
    `connected ${clients} in ${Date.now() - t0} ms; trace=${trace} latency=${latency} naive=${naive}`,
  );

  const runOnce = async (label: string, profile: boolean) => {
    await stack.drain();
    const environments = profile ? await profiler.environments(functionName) : [];
    await profiler.startProfiling(environments);
    const mainThread = profile && process.argv.includes('--profile-main') ? new Session() : undefined;
    if (mainThread) {
      mainThread.connect();
      await mainThread.post('Profiler.enable');
      await mainThread.post('Profiler.setSamplingInterval', { interval: 200 });
      await mainThread.post('Profiler.start');
    }
    reports.length = 0;
    const framesAtStart = stack.stats().gateway.postToConnection.ok;
    kid.send({ op: 'arm' });
    await wait('armed');
    const inFlight = () => {
      const p = stack.stats().gateway.postToConnection;
      return { calls: p.calls, open: p.calls - p.ok - p.gone - p.tooLarge };
    };
    const samples: { t: number; open: number; calls: number }[] = [];
    const cpu0 = process.cpuUsage();
    const threads0 = threadCpu();
    kid.send({ op: 'cpu' });
    const kidCpu0 = (await wait('cpu')).usage as NodeJS.CpuUsage;
    const start = Date.now();
    const timer = setInterval(() => samples.push({ t: Date.now() - start, ...inFlight() }), 50);
    const done = wait('done');
    if (naive)
      void stack.lambda.invoke(
        NAIVE_FUNCTION_ID,
        {
          requestContext: { routeKey: 'sendmessage', eventType: 'MESSAGE' },
          body: JSON.stringify({ action: 'sendmessage', data: JSON.stringify({ message: 'profile-msg' }) }),
        },
        { label: 'profile' },
      );
    else kid.send({ op: 'send' });
    // A fan-out that loses frames (a broadcaster timed out on a loaded machine) never reaches 'done':
    // stop waiting after --run-timeout seconds and report what was measured.
    const timedOut = await Promise.race([
      done.then(() => false),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(true), runTimeoutMs).unref()),
    ]);
    if (timedOut) console.log(`${label}: not every client had the message after ${runTimeoutMs} ms`);
    const ms = Date.now() - start;
    clearInterval(timer);
    await stack.drain();
    const profiles = await profiler.stopProfiling(environments);
    if (mainThread) {
      const { profile: mainProfile } = await mainThread.post('Profiler.stop');
      mainThread.disconnect();
      reportProfiles('gateway-main-thread', label, [mainProfile as CpuProfile], outDir);
    }
    const cpu = process.cpuUsage(cpu0);
    kid.send({ op: 'cpu' });
    const kidCpu1 = (await wait('cpu')).usage as NodeJS.CpuUsage;
    const threads1 = threadCpu();
    const perThread = [...threads1]
      .map(([tid, t]) => ({ tid, name: t.name, ms: t.ms - (threads0.get(tid)?.ms ?? 0) }))
      .filter((t) => t.ms >= 50)
      .sort((a, b) => b.ms - a.ms);
    const opens = samples.map((s) => s.open);
    const mid = opens.slice(Math.floor(opens.length * 0.2), Math.floor(opens.length * 0.8));
    console.log(
      JSON.stringify({
        label,
        ms,
        postsPerS: Math.round((clients / ms) * 1000),
        stackCpuMs: Math.round((cpu.user + cpu.system) / 1000),
        stackCpuShare: +((cpu.user + cpu.system) / 1000 / ms).toFixed(2),
        clientCpuMs: Math.round((kidCpu1.user + kidCpu1.system - kidCpu0.user - kidCpu0.system) / 1000),
        inFlightMax: Math.max(...opens),
        inFlightMid: mid.length ? Math.round(mid.reduce((a, b) => a + b, 0) / mid.length) : 0,
        perThread,
        openEvery500ms: samples.filter((_, i) => i % 10 === 0).map((s) => s.open),
      }),
    );
    const frames = stack.stats().gateway.postToConnection.ok - framesAtStart;
    reportCpu(label, reports, functionName, profiles, frames, outDir);
  };
  // Run 0 warms the environments (cold starts); runs 1-2 are the measurement.
  const runs = Number(arg('runs', '3'));
  for (let run = 0; run < runs; run++) await runOnce(`run${run}`, run === runs - 1);
  profiler.stop();
  kid.send({ op: 'exit' });
  await stack.stop();
}

/** CPU per delivered frame: the local Lambda's per-invocation thread CPU, and the profile's busy time. */
function reportCpu(
  label: string,
  reports: InvocationReport[],
  functionName: string,
  profiles: CpuProfile[],
  frames: number,
  outDir: string,
): void {
  const mine = reports.filter((r) => r.functionLogicalId.includes(functionName));
  const cpuMs = mine.reduce((sum, r) => sum + (r.cpu?.ms ?? 0), 0);
  console.log(
    JSON.stringify({
      label,
      function: functionName,
      invocations: mine.length,
      framesDelivered: frames,
      cpuMs: Math.round(cpuMs),
      cpuSource: mine[0]?.cpu?.source,
      cpuPerFrameMs: frames ? +(cpuMs / frames).toFixed(3) : undefined,
    }),
  );
  if (!profiles.length) return;
  const busy = reportProfiles(functionName.toLowerCase(), label, profiles, outDir);
  console.log(
    JSON.stringify({
      label,
      profiledBusyMs: Math.round(busy),
      profiledBusyPerFrameMs: frames ? +(busy / frames).toFixed(3) : undefined,
    }),
  );
}

/** Writes each profile as a .cpuprofile and prints its top self time; returns the busy ms in all. */
function reportProfiles(name: string, label: string, profiles: CpuProfile[], outDir: string): number {
  mkdirSync(outDir, { recursive: true });
  const locate = sourceMapLocator();
  let busy = 0;
  profiles.forEach((profile, i) => {
    const file = path.join(outDir, `${name}-${label}-env${i}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    const summary = summarizeProfile(profile, 25, locate);
    busy += summary.busyMs;
    console.log(`\n${file}: ${summary.busyMs} ms busy of ${summary.totalMs} ms profiled`);
    console.log('top self time by area:');
    for (const a of summary.byArea.slice(0, 12)) console.log(`  ${pct(a.share)}  ${a.selfMs} ms  ${a.area}`);
    console.log('top self time by function:');
    for (const f of summary.top)
      console.log(`  ${pct(f.share)}  ${f.selfMs} ms  ${f.functionName}  ${f.where}`);
  });
  return busy;
}
const pct = (share: number) => `${(share * 100).toFixed(1).padStart(5)} %`;

if (process.argv[2] === '--child') void child(process.argv[3] as string, Number(process.argv[4]));
else
  main().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
