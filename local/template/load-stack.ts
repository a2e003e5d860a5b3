import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Resource, StackContext } from './context';
import { TemplateError } from './errors';
import { asString, Resolver } from './intrinsics';
import { eventSourceMappingModels } from './models/event-source-mappings';
import { applyEventInvokeConfigs, functionModels } from './models/functions';
import { outputModels } from './models/outputs';
import { queueModels } from './models/queues';
import { eventBusModels, ruleModels } from './models/rules';
import { tableModels } from './models/tables';
import { webSocketApiModels } from './models/websocket-apis';
import { token } from './names';
import { Conditions, readParameters } from './parameters';
import {
  type ParsedTemplate,
  type Position,
  parseTemplate,
  type TemplateObject,
  type TemplateValue,
} from './parse-template';
import { arnOf, attributeOf, physicalNameOf, refOf, warnUnemulated } from './resource-kinds';
import { collectResources } from './resources';
import type { FunctionModel, LoadStackOptions, StackModel } from './types';
import { obj } from './values';

const DEFAULT_REGION = 'us-east-1';
const DEFAULT_ACCOUNT = '123456789012';
const DEFAULT_STACK = 'local';

/** Loads a SAM/CloudFormation template and resolves it into a StackModel of local, AWS-shaped values. */
export async function loadStack(templatePath: string, options: LoadStackOptions = {}): Promise<StackModel> {
  const file = path.resolve(templatePath);
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR') throw new TemplateError('template not found', { file });
    throw err;
  }
  return new StackBuilder(file, parseTemplate(source, file), options).build();
}

/**
 * Holds what a template resolves against (pseudo parameters, parameters, conditions, resources,
 * physical names) and runs the model extractors of models/ over it.
 */
class StackBuilder implements StackContext {
  readonly region: string;
  readonly accountId: string;
  readonly stackName: string;
  readonly template: TemplateObject;
  readonly resolver: Resolver;
  resources: ReadonlyMap<string, Resource> = new Map();
  private readonly warnings: string[] = [];
  private readonly parameters: Record<string, TemplateValue>;
  private readonly conditions: Conditions;
  private readonly names = new Map<string, string>();
  private readonly namesInProgress = new Set<string>();

  constructor(
    readonly file: string,
    private readonly parsed: ParsedTemplate,
    options: LoadStackOptions,
  ) {
    this.template = parsed.template;
    this.region = options.region ?? DEFAULT_REGION;
    this.accountId = options.accountId ?? DEFAULT_ACCOUNT;
    this.stackName = options.stackName ?? DEFAULT_STACK;
    const pseudo: Record<string, TemplateValue> = {
      'AWS::Region': this.region,
      'AWS::AccountId': this.accountId,
      'AWS::StackName': this.stackName,
      'AWS::StackId': `arn:aws:cloudformation:${this.region}:${this.accountId}:stack/${this.stackName}/${uuidFrom(this.stackName)}`,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::NotificationARNs': [],
    };
    this.conditions = new Conditions(
      obj(this.template.Conditions),
      () => this.resolver,
      (v) => this.pos(v),
    );
    this.resolver = new Resolver({
      file,
      positionOf: (v) => parsed.positionOf(v),
      pseudo,
      parameter: (name) => this.parameters[name],
      hasResource: (id) => this.resources.has(id),
      ref: (id) => refOf(this, id),
      getAtt: (id, attr) => attributeOf(this, id, attr),
      condition: (name, where) => this.condition(name, where),
      mappings: obj(this.template.Mappings),
      warn: (m) => this.warn(m),
    });
    this.parameters = readParameters(this, options.parameterOverrides ?? {});
  }

  warn(message: string): void {
    if (!this.warnings.includes(message)) this.warnings.push(message);
  }

  pos(value: unknown): Position | undefined {
    return this.parsed.positionOf(value);
  }

  fail(message: string, at: unknown): TemplateError {
    const p = this.pos(at);
    return new TemplateError(message, { file: this.file, line: p?.line, column: p?.column });
  }

  condition(name: string, where: Position | undefined): boolean {
    return this.conditions.value(name, where);
  }

  ofType(types: ReadonlySet<string> | string): [string, Resource][] {
    return [...this.resources].filter(([, r]) =>
      typeof types === 'string' ? r.Type === types : types.has(r.Type),
    );
  }

  props(id: string): TemplateObject {
    const res = this.resources.get(id);
    if (!res) return {};
    return obj(this.resolver.value(res.Properties, this.pos(res.Properties)));
  }

  nameOf(id: string): string {
    const known = this.names.get(id);
    if (known) return known;
    const res = this.resources.get(id);
    if (!res) return id;
    if (this.namesInProgress.has(id))
      throw this.fail(`resource ${id}: its name refers to itself`, res.Properties);
    this.namesInProgress.add(id);
    const name = physicalNameOf(this, id, res);
    this.namesInProgress.delete(id);
    this.names.set(id, name);
    return name;
  }

  arnOf(id: string): string {
    return arnOf(this, id);
  }

  setName(id: string, name: string): void {
    this.names.set(id, name);
  }

  build(): StackModel {
    this.resources = collectResources(this);
    const queues = queueModels(this);
    const functions = functionModels(this);
    const functionByArn = (arn: string): FunctionModel | undefined => {
      const base = arn.split(':').slice(0, 7).join(':');
      return functions.find((f) => f.arn === base || f.functionName === arn);
    };
    applyEventInvokeConfigs(this, functions, functionByArn);
    const eventBuses = eventBusModels(this);
    const rules = ruleModels(this, functions);
    for (const rule of rules) {
      for (const t of rule.targets) {
        t.functionLogicalId = functionByArn(t.arn)?.logicalId;
        t.queueLogicalId = queues.find((q) => q.arn === t.arn)?.logicalId;
        if (!t.functionLogicalId && !t.queueLogicalId) {
          this.warn(
            `${rule.logicalId}: target ${t.id} (${t.arn}) is not a function or queue of this template`,
          );
        }
      }
      if (!eventBuses.some((b) => b.name === rule.eventBusName)) {
        this.warn(`${rule.logicalId}: event bus ${rule.eventBusName} is not defined in this template`);
      }
    }
    const model: StackModel = {
      templatePath: this.file,
      templateDir: path.dirname(this.file),
      region: this.region,
      accountId: this.accountId,
      stackName: this.stackName,
      parameters: Object.fromEntries(Object.entries(this.parameters).map(([k, v]) => [k, asString(v)])),
      functions,
      webSocketApis: webSocketApiModels(this, functionByArn),
      eventBuses,
      rules,
      tables: tableModels(this),
      queues,
      eventSourceMappings: eventSourceMappingModels(this, functions, queues, functionByArn),
      outputs: outputModels(this),
      warnings: this.warnings,
    };
    warnUnemulated(this);
    return model;
  }
}

function uuidFrom(seed: string): string {
  const h = token(`stack/${seed}`, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
