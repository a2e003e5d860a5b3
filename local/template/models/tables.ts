import type { AttributeDefinition, CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import type { StackContext } from '../context';
import type { TemplateValue } from '../parse-template';
import type { TableModel } from '../types';
import { isObject, num, obj, str } from '../values';

export const TABLE_TYPES: ReadonlySet<string> = new Set([
  'AWS::DynamoDB::Table',
  'AWS::Serverless::SimpleTable',
]);

type Projection = NonNullable<CreateTableCommandInput['GlobalSecondaryIndexes']>[number]['Projection'];

const NOT_EMULATED = [
  'StreamSpecification',
  'SSESpecification',
  'PointInTimeRecoverySpecification',
  'KinesisStreamSpecification',
  'ContributorInsightsSpecification',
  'ImportSourceSpecification',
  'ResourcePolicy',
  'OnDemandThroughput',
  'WarmThroughput',
];

/** DynamoDB tables as CreateTable inputs, with their TTL attribute. */
export function tableModels(ctx: StackContext): TableModel[] {
  const out: TableModel[] = [];
  for (const [id, res] of ctx.ofType(TABLE_TYPES)) {
    const p = ctx.props(id);
    const tableName = ctx.nameOf(id);
    const input =
      res.Type === 'AWS::Serverless::SimpleTable'
        ? simpleTableInput(tableName, p)
        : tableInput(ctx, id, tableName, p);
    const ttl = obj(p.TimeToLiveSpecification);
    out.push({
      logicalId: id,
      tableName,
      arn: ctx.arnOf(id),
      createTableInput: input,
      ttlAttribute:
        ttl.Enabled === false || String(ttl.Enabled) === 'false' ? undefined : str(ttl.AttributeName),
    });
  }
  return out;
}

function simpleTableInput(tableName: string, p: Record<string, TemplateValue>): CreateTableCommandInput {
  const key = obj(p.PrimaryKey);
  const keyName = str(key.Name) ?? 'id';
  const keyType = ({ String: 'S', Number: 'N', Binary: 'B' } as const)[str(key.Type) as 'String'] ?? 'S';
  const provisioned = isObject(p.ProvisionedThroughput);
  return {
    TableName: tableName,
    AttributeDefinitions: [{ AttributeName: keyName, AttributeType: keyType }],
    KeySchema: [{ AttributeName: keyName, KeyType: 'HASH' }],
    BillingMode: provisioned ? 'PROVISIONED' : 'PAY_PER_REQUEST',
    ...(provisioned ? { ProvisionedThroughput: throughput(p.ProvisionedThroughput) } : {}),
  };
}

function tableInput(
  ctx: StackContext,
  id: string,
  tableName: string,
  p: Record<string, TemplateValue>,
): CreateTableCommandInput {
  const billing = str(p.BillingMode) === 'PAY_PER_REQUEST' ? 'PAY_PER_REQUEST' : 'PROVISIONED';
  const provisioned = billing === 'PROVISIONED';
  if (provisioned && !isObject(p.ProvisionedThroughput)) {
    ctx.warn(`${id}: PROVISIONED billing without ProvisionedThroughput; using 5/5 capacity units`);
  }
  const index = (raw: TemplateValue, withThroughput: boolean) => {
    const ix = obj(raw);
    return {
      IndexName: str(ix.IndexName),
      KeySchema: keySchema(ix.KeySchema),
      Projection: obj(ix.Projection) as Projection,
      ...(withThroughput ? { ProvisionedThroughput: throughput(ix.ProvisionedThroughput) } : {}),
    };
  };
  const gsis = Array.isArray(p.GlobalSecondaryIndexes) ? p.GlobalSecondaryIndexes : [];
  const lsis = Array.isArray(p.LocalSecondaryIndexes) ? p.LocalSecondaryIndexes : [];
  const notEmulated = NOT_EMULATED.filter((k) => p[k] !== undefined);
  if (notEmulated.length) ctx.warn(`${id}: ${notEmulated.join(', ')} not emulated locally`);
  return {
    TableName: tableName,
    AttributeDefinitions: (Array.isArray(p.AttributeDefinitions) ? p.AttributeDefinitions : []).map((a) => ({
      AttributeName: str(obj(a).AttributeName),
      AttributeType: str(obj(a).AttributeType) as AttributeDefinition['AttributeType'],
    })),
    KeySchema: keySchema(p.KeySchema),
    BillingMode: billing,
    ...(provisioned ? { ProvisionedThroughput: throughput(p.ProvisionedThroughput) } : {}),
    ...(gsis.length ? { GlobalSecondaryIndexes: gsis.map((g) => index(g, provisioned)) } : {}),
    ...(lsis.length ? { LocalSecondaryIndexes: lsis.map((l) => index(l, false)) } : {}),
  };
}

function keySchema(value: unknown): NonNullable<CreateTableCommandInput['KeySchema']> {
  return (Array.isArray(value) ? value : []).map((k) => ({
    AttributeName: str(obj(k).AttributeName),
    KeyType: str(obj(k).KeyType) as 'HASH' | 'RANGE',
  }));
}

function throughput(value: unknown): { ReadCapacityUnits: number; WriteCapacityUnits: number } {
  const t = obj(value);
  return {
    ReadCapacityUnits: num(t.ReadCapacityUnits, 5),
    WriteCapacityUnits: num(t.WriteCapacityUnits, 5),
  };
}
