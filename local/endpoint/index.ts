export * from './aws-endpoint';
export { createStaticSite } from './static-site';
