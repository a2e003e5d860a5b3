import { selectInputPath } from '../../../../local/eventbridge';

describe('selectInputPath', () => {
  const event = { detail: { 'user-name': 'ann', items: [{ id: 1 }, { id: 2 }] }, source: 's' };

  it('selects the whole event, a field and a nested field', () => {
    expect(selectInputPath(event, '$')).toBe(event);
    expect(selectInputPath(event, '$.source')).toBe('s');
    expect(selectInputPath(event, '$.detail.items')).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it('supports array indexes and bracketed names', () => {
    expect(selectInputPath(event, '$.detail.items[1].id')).toBe(2);
    expect(selectInputPath(event, "$.detail['user-name']")).toBe('ann');
  });

  it('yields undefined for a path that selects nothing and throws for one that is not JSONPath', () => {
    expect(selectInputPath(event, '$.detail.missing.deeper')).toBeUndefined();
    expect(() => selectInputPath(event, 'detail.source')).toThrow('not a valid JSONPath');
  });
});
