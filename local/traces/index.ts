export { createTraceView, TRACES_PATH } from './trace-view';
export { printTraces, TracesUnavailableError } from './traces-command';
export { formatTrace } from './waterfall-text';
