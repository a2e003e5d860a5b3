import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

// One instance of each per execution environment, shared by every module of a function. Service
// name, log level and metrics namespace come from the POWERTOOLS_* variables the template sets.
export const logger = new Logger();
export const tracer = new Tracer();
export const metrics = new Metrics();
