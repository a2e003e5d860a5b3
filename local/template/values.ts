import { asString } from './intrinsics';
import type { TemplateObject, TemplateValue } from './parse-template';

// Readers for resolved template values: a property of the wrong shape reads as absent, and the
// extractor that needs it decides whether that is a warning or an error.

export const isObject = (v: unknown): v is TemplateObject =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

export const obj = (v: unknown): TemplateObject => (isObject(v) ? v : {});

export const str = (v: unknown): string | undefined =>
  v === undefined || v === null ? undefined : asString(v as TemplateValue);

export const num = (v: unknown, fallback: number): number => {
  const n = v === undefined || v === null || v === '' ? Number.NaN : Number(v);
  return Number.isFinite(n) ? n : fallback;
};
