/**
 * One stack for both designs: template.yaml plus a NaiveBroadcasterFunction built from
 * bench/naive/handler.ts with the real broadcaster's environment (same table, same callback URL),
 * so both run in the same run against the same connections and the same simulated @connections
 * round trip. Written to a temp file; template.yaml itself is never touched.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isMap, parseDocument, type YAMLMap } from 'yaml';

export const NAIVE_FUNCTION_ID = 'NaiveBroadcasterFunction';

export interface DerivedTemplate {
  path: string;
  broadcasterId: string;
  chatApiId: string;
}

/** Properties that tie the clone to EventBridge or async retries: the naive design has neither. */
const DROP = [
  'Events',
  'EventInvokeConfig',
  'DeadLetterQueue',
  'ReservedConcurrentExecutions',
  'ProvisionedConcurrencyConfig',
  'AutoPublishAlias',
  'FunctionName',
];

export function writeDerivedTemplate(templatePath: string, naiveDir: string): DerivedTemplate {
  const templateDir = path.dirname(path.resolve(templatePath));
  // CloudFormation tags (!Ref, !Sub ...) are kept as they are: only the stack's loader resolves them.
  const doc = parseDocument(readFileSync(templatePath, 'utf8'));
  if (doc.errors.length > 0) throw new Error(`${templatePath}: ${doc.errors[0]?.message}`);

  const resources = doc.get('Resources') as YAMLMap | undefined;
  if (!isMap(resources)) throw new Error(`${templatePath} has no Resources`);
  const functionIds: string[] = [];
  for (const pair of resources.items) {
    const id = String((pair.key as { value?: unknown }).value ?? pair.key);
    if (doc.getIn(['Resources', id, 'Type']) === 'AWS::Serverless::Function') functionIds.push(id);
  }
  const broadcasterId = functionIds.find((id) => /broadcast/i.test(id));
  const chatApiId = functionIds.find((id) => /chat/i.test(id) && id !== broadcasterId);
  if (!broadcasterId || !chatApiId) {
    throw new Error(`cannot find the broadcaster and chat-api functions among ${functionIds.join(', ')}`);
  }

  // The copy lives in a temp folder: make every relative CodeUri absolute so the build finds the code.
  const absolutize = (keyPath: (string | number)[]) => {
    const uri = doc.getIn(keyPath);
    if (typeof uri === 'string' && !path.isAbsolute(uri)) doc.setIn(keyPath, path.resolve(templateDir, uri));
  };
  absolutize(['Globals', 'Function', 'CodeUri']);
  for (const id of functionIds) absolutize(['Resources', id, 'Properties', 'CodeUri']);

  const naive = (doc.getIn(['Resources', broadcasterId]) as YAMLMap).clone() as YAMLMap;
  for (const key of DROP) naive.deleteIn(['Properties', key]);
  naive.setIn(['Properties', 'CodeUri'], path.resolve(naiveDir));
  naive.setIn(['Properties', 'Handler'], 'handler.handler');
  // Lambda's maximum: the naive design has to post to every connection inside one invocation.
  // A new node: setting the value of the copied one would keep its tag (`!Ref BroadcasterTimeoutSeconds`).
  naive.setIn(['Properties', 'Timeout'], doc.createNode(900));
  if (naive.getIn(['Metadata', 'BuildProperties'])) {
    naive.setIn(['Metadata', 'BuildProperties', 'EntryPoints'], doc.createNode(['handler.ts']));
  }
  resources.set(NAIVE_FUNCTION_ID, naive);

  const dir = mkdtempSync(path.join(os.tmpdir(), 'chat-bench-'));
  const out = path.join(dir, 'template.yaml');
  writeFileSync(out, String(doc));
  return { path: out, broadcasterId, chatApiId };
}

/**
 * The template's delivery settings, for the projection: `SendConcurrency` (posts in flight per
 * delivery), `RecipientsPerDelivery` and `MaxParallelDeliveries` (how an audience is split),
 * `BroadcasterTimeoutSeconds`, and `ShardCount` (the parallel deliveries of templates from before
 * audience-sized sharding); each undefined when the template lacks it.
 */
export function readDeliveryParameters(templatePath: string): {
  shardCount?: number;
  sendConcurrency?: number;
  recipientsPerDelivery?: number;
  maxParallelDeliveries?: number;
  deliveryTimeoutMs?: number;
} {
  const doc = parseDocument(readFileSync(templatePath, 'utf8'));
  const num = (name: string) => {
    const v = Number(doc.getIn(['Parameters', name, 'Default']));
    return Number.isFinite(v) && v > 0 ? v : undefined;
  };
  const shardCount = num('ShardCount');
  const sendConcurrency = num('SendConcurrency');
  const recipientsPerDelivery = num('RecipientsPerDelivery');
  const maxParallelDeliveries = num('MaxParallelDeliveries');
  const timeoutSeconds = num('BroadcasterTimeoutSeconds');
  return {
    ...(shardCount !== undefined ? { shardCount } : {}),
    ...(sendConcurrency !== undefined ? { sendConcurrency } : {}),
    ...(recipientsPerDelivery !== undefined ? { recipientsPerDelivery } : {}),
    ...(maxParallelDeliveries !== undefined ? { maxParallelDeliveries } : {}),
    ...(timeoutSeconds !== undefined ? { deliveryTimeoutMs: timeoutSeconds * 1000 } : {}),
  };
}
