import { Metrics } from '@aws-lambda-powertools/metrics';

// Its own module so only the functions that publish metrics bundle and initialise Metrics (chat-api
// publishes none). Namespace and service come from the POWERTOOLS_* variables the template sets.
export const metrics = new Metrics();
