import type { TemplateError } from './errors';
import type { Resolver } from './intrinsics';
import type { Position, TemplateObject } from './parse-template';

/** A resource of the template after its Condition, SAM Globals and the SAM transform's additions. */
export interface Resource {
  Type: string;
  Properties: TemplateObject;
  Metadata?: TemplateObject;
  /** Created by the SAM transform (e.g. a function's role), not written in the template. */
  implicit?: boolean;
}

/**
 * What the resource kinds and the model extractors read from a template being loaded; the
 * StackBuilder in load-stack.ts implements it.
 */
export interface StackContext {
  readonly file: string;
  readonly region: string;
  readonly accountId: string;
  readonly stackName: string;
  readonly template: TemplateObject;
  readonly resources: ReadonlyMap<string, Resource>;
  readonly resolver: Resolver;
  warn(message: string): void;
  /** A TemplateError at the source position of `at` (a template object or array). */
  fail(message: string, at: unknown): TemplateError;
  pos(value: unknown): Position | undefined;
  /** A resource's properties with their intrinsics resolved. */
  props(id: string): TemplateObject;
  ofType(types: ReadonlySet<string> | string): [string, Resource][];
  /** The physical name: its name property when set, else a CloudFormation-style one. */
  nameOf(id: string): string;
  arnOf(id: string): string;
  /** Records a physical name decided outside the kind table (a SAM rule's RuleName). */
  setName(id: string, name: string): void;
  condition(name: string, where: Position | undefined): boolean;
}
