import { formatTraceHeader, newTraceRoot, parseTraceHeader } from '../../../../local/xray';

describe('the X-Ray trace header', () => {
  it('reads Root, Parent and Sampled in any order and case, as the SDK and Lambda write them', () => {
    expect(
      parseTraceHeader(
        'Sampled=1;root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Lineage=a:1',
      ),
    ).toEqual({ root: '1-5759e988-bd862e3fe1be46a994272793', parent: '53995c3f42cd8ad8', sampled: true });
    expect(parseTraceHeader('Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=0')).toEqual({
      root: '1-5759e988-bd862e3fe1be46a994272793',
      parent: undefined,
      sampled: false,
    });
  });

  it('names no trace when the root is missing or malformed', () => {
    expect(parseTraceHeader(undefined)).toBeUndefined();
    expect(parseTraceHeader('Parent=53995c3f42cd8ad8;Sampled=1')).toBeUndefined();
    expect(parseTraceHeader('Root=1-xyz-123;Sampled=1')).toBeUndefined();
  });

  it('writes what it reads, and mints roots of the epoch-seconds shape', () => {
    const context = { root: newTraceRoot(0x5759e988 * 1000), parent: '53995c3f42cd8ad8', sampled: true };
    expect(context.root).toMatch(/^1-5759e988-[0-9a-f]{24}$/);
    expect(parseTraceHeader(formatTraceHeader(context))).toEqual(context);
  });
});
