export {
  FaultInjector,
  type FaultOptions,
  FaultOptionsError,
  type FaultStats,
  type HttpFault,
} from './fault-injector';
