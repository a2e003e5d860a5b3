export {
  BuildError,
  type BuildFunctionsOptions,
  type BuiltFunction,
  buildFunctions,
  esbuildOptions,
  splitHandler,
} from './build-functions';
