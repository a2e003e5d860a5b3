export { TemplateError } from './errors';
export { loadStack } from './load-stack';
export type * from './types';
