export {
  FAULT_SHARES,
  FaultInjector,
  type FaultOptions,
  FaultOptionsError,
  type FaultStats,
  type HttpFault,
} from './fault-injector';
