import path from 'node:path';
import { loadStack } from '../../local/template';
import { NAIVE_FUNCTION_ID, writeDerivedTemplate } from '../lib/derived-template';

describe('the derived bench template', () => {
  it("loads, with the naive function on Lambda's 900 s timeout beside the broadcaster's own", async () => {
    const derived = writeDerivedTemplate('template.yaml', path.resolve('bench/naive'));

    const model = await loadStack(derived.path);

    const timeoutOf = (id: string) => model.functions.find((fn) => fn.logicalId === id)?.timeoutSeconds;
    // The broadcaster's Timeout is a !Ref: the copy must not keep that tag on its literal 900.
    expect(timeoutOf(NAIVE_FUNCTION_ID)).toBe(900);
    expect(timeoutOf(derived.broadcasterId)).toBe(30);
  });
});
