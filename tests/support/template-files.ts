import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadStack, type StackModel, TemplateError } from '../../local/template';

/**
 * Loads templates written from strings, each to its own file in a temporary directory, the way
 * the local stack reads a template.yaml: for the template loader's unit tests.
 */
export function templateFiles(prefix: string) {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  let n = 0;

  /** Writes a template to a temporary file and loads it. */
  const load = (source: string, options?: Parameters<typeof loadStack>[1]): Promise<StackModel> => {
    const file = path.join(dir, `t${n++}.yaml`);
    writeFileSync(file, source);
    return loadStack(file, options);
  };

  /** The TemplateError the template is refused with (anything else, or no error, fails the test). */
  const loadError = async (source: string): Promise<TemplateError> => {
    try {
      await load(source);
    } catch (err) {
      if (err instanceof TemplateError) return err;
      throw err;
    }
    throw new Error('expected a TemplateError');
  };

  return { dir, load, loadError };
}
