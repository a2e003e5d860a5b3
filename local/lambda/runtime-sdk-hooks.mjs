// Module customization hooks (module.register) for an execution environment whose runtime provides
// the AWS SDK: an `@aws-sdk/*` or `@smithy/*` import the function's code does not carry resolves to
// the stack's copy. The function's own copy is tried first, so it wins, as on Lambda.
let parentURL;

export function initialize(data) {
  parentURL = data.parentURL;
}

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !/^@(aws-sdk|smithy)\/[^/]+/.test(specifier)) throw err;
    try {
      return await nextResolve(specifier, { ...context, parentURL });
    } catch {
      // Not in the stack either: the error names the function's file, as Lambda's would.
      throw err;
    }
  }
}
