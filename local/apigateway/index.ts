export * from './events';
export * from './gateway';
export { GATEWAY_ID_PATTERN, newGatewayId } from './ids';
export { AWS_LIMITS, CLOSE, type GatewayLimits } from './limits';
export { formatRequestTime } from './request-time';
export * from './route-selection';
export { type LocalCredentials, type SignatureRefusal, SigV4Verifier } from './sigv4-verifier';
