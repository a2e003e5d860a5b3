export { FaultInjector, type FaultOptions, type FaultStats, type HttpFault } from './fault-injector';
