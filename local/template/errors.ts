/** A template that cannot be loaded; the message starts with `file:line:column` when the place is known. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
  readonly file: string;
  readonly line?: number;
  readonly column?: number;

  constructor(message: string, where: { file: string; line?: number; column?: number }) {
    const place =
      where.line === undefined
        ? where.file
        : `${where.file}:${where.line}${where.column ? `:${where.column}` : ''}`;
    super(`${place}: ${message}`);
    this.file = where.file;
    this.line = where.line;
    this.column = where.column;
  }
}
