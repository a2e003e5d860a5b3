import { execFileSync } from 'node:child_process';
const variants = process.argv.slice(2);
const env = { PATH: process.env.PATH, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y', AWS_SESSION_TOKEN: 'z', AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x', AWS_LAMBDA_FUNCTION_NAME: 'f', AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024', _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
  CHAT_TABLE_NAME: 't', EVENT_BUS_NAME: 'b', SHARD_COUNT: '4', CALLBACK_URL: 'https://abc.execute-api.us-east-1.amazonaws.com/production', IDEMPOTENCY_TABLE_NAME: 'i', SEND_CONCURRENCY: '32', PRESENCE_FULL_LIST_MAX: '100', POWERTOOLS_SERVICE_NAME: 'chat', POWERTOOLS_METRICS_NAMESPACE: 'Chat', POWERTOOLS_LOG_LEVEL: 'INFO',
  PUBLIC_MESSAGE_BURST: '10', PUBLIC_MESSAGES_PER_SECOND: '2', PRIVATE_MESSAGE_BURST: '10', PRIVATE_MESSAGES_PER_SECOND: '2', NAME_CHANGE_BURST: '5', NAME_CHANGES_PER_MINUTE: '10', ...JSON.parse(process.env.EXTRA_ENV ?? '{}') };
const probe = `const c0 = process.cpuUsage(); const t0 = performance.now(); await import(process.env.B); const t1 = performance.now(); const c = process.cpuUsage(c0); process.stdout.write(JSON.stringify({wall: t1-t0, cpu: (c.user+c.system)/1000}));`;
const res = {};
for (let i = 0; i < Number(process.env.RUNS ?? 11); i++) for (const v of variants) {
  try {
  const out = JSON.parse(execFileSync(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', probe], { env: { ...env, B: 'file://' + v } }).toString());
  (res[v] ??= []).push(out);
  } catch (e) { console.error(v, e.stderr?.toString().slice(0, 800)); process.exit(1); }
}
const med = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
for (const [v, a] of Object.entries(res)) console.log(v, 'wall', med(a.map(x => x.wall)).toFixed(1), 'cpu', med(a.map(x => x.cpu)).toFixed(1));
