export { startXraySink, type XraySink } from './xray-sink';
