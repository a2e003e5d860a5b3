import {
  InvalidEventPatternError,
  matchesEventPattern,
  validateEventPattern,
} from '../../../../local/eventbridge/event-pattern';

// The sample event from the EventBridge user guide, with a few extra detail fields.
const event = {
  version: '0',
  id: 'ddddd4-aaaa-7777-4444-345dd43cc333',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '012345679012',
  time: '2017-10-02T16:24:49Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
  detail: {
    'c-count': 5,
    'd-count': 3,
    'x-limit': 301.8,
    'source-ip': '10.0.0.33',
    'source-ip6': '2001:db8::ff00:42:8329',
    'instance-id': 'i-000000aaaaaa00000',
    state: 'running',
    eventVersion: '',
    responseElements: null,
    enabled: true,
    tags: ['blue', 'green'],
    FileName: 'photos/IMG_001.PNG',
    FilePath: '/usr/lib/libc.so',
    nested: { level: { deep: 'value' } },
    employees: [
      { firstName: 'John', lastName: 'Doe' },
      { firstName: 'Anna', lastName: 'Smith' },
      { firstName: 'Peter', lastName: 'Jones' },
    ],
    empty: [],
  },
};

const matches = (pattern: Record<string, unknown>, e: unknown = event): boolean => {
  validateEventPattern(pattern);
  return matchesEventPattern(pattern, e);
};
const detail = (fields: Record<string, unknown>): Record<string, unknown> => ({ detail: fields });

describe('matchesEventPattern', () => {
  describe('exact values', () => {
    it('matches a field whose value is in the list (values are ORed)', () => {
      expect(matches({ source: ['aws.ec2'] })).toBe(true);
      expect(matches({ source: ['aws.s3', 'aws.ec2'] })).toBe(true);
      expect(matches({ source: ['aws.s3'] })).toBe(false);
    });

    it('ANDs separate fields, including nested ones', () => {
      expect(matches({ source: ['aws.ec2'], detail: { state: ['running'] } })).toBe(true);
      expect(matches({ source: ['aws.ec2'], detail: { state: ['stopped'] } })).toBe(false);
      expect(matches(detail({ nested: { level: { deep: ['value'] } } }))).toBe(true);
      expect(matches(detail({ nested: { level: { deep: ['other'] } } }))).toBe(false);
    });

    it('is case sensitive and exact for strings', () => {
      expect(matches({ source: ['AWS.EC2'] })).toBe(false);
      expect(matches({ source: ['aws.ec'] })).toBe(false);
    });

    it('matches numbers numerically and never a number against a string', () => {
      expect(matches(detail({ 'c-count': [5] }))).toBe(true);
      expect(matches(detail({ 'c-count': [5.0] }))).toBe(true);
      expect(matches(detail({ 'x-limit': [3.018e2] }))).toBe(true);
      expect(matches(detail({ 'c-count': ['5'] }))).toBe(false);
      expect(matches(detail({ 'c-count': [6] }))).toBe(false);
    });

    it('matches booleans and null by type, keeping null and the empty string apart', () => {
      expect(matches(detail({ enabled: [true] }))).toBe(true);
      expect(matches(detail({ enabled: ['true'] }))).toBe(false);
      expect(matches(detail({ responseElements: [null] }))).toBe(true);
      expect(matches(detail({ responseElements: [''] }))).toBe(false);
      expect(matches(detail({ eventVersion: [''] }))).toBe(true);
      expect(matches(detail({ eventVersion: [null] }))).toBe(false);
    });

    it('does not match a missing field or an object-valued field with a value', () => {
      expect(matches(detail({ missing: ['x'] }))).toBe(false);
      expect(matches({ detail: ['x'] })).toBe(false);
    });
  });

  describe('arrays in the event', () => {
    it('matches when any element matches', () => {
      expect(matches(detail({ tags: ['green'] }))).toBe(true);
      expect(matches(detail({ tags: ['red', 'blue'] }))).toBe(true);
      expect(matches(detail({ tags: ['red'] }))).toBe(false);
      expect(
        matches({ resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'] }),
      ).toBe(true);
    });

    it('matches objects inside an array element by element', () => {
      expect(matches(detail({ employees: { firstName: ['Anna'] } }))).toBe(true);
      expect(matches(detail({ employees: { firstName: ['Anna'], lastName: ['Smith'] } }))).toBe(true);
      // Anna and Jones are in different elements: no single element matches both fields.
      expect(matches(detail({ employees: { firstName: ['Anna'], lastName: ['Jones'] } }))).toBe(false);
    });
  });

  describe('prefix', () => {
    it('matches string values that start with the prefix', () => {
      expect(matches({ time: [{ prefix: '2017-10-02' }] })).toBe(true);
      expect(matches({ time: [{ prefix: '2017-10-03' }] })).toBe(false);
      expect(matches({ region: [{ prefix: 'US-' }] })).toBe(false);
    });

    it('ignores case with the equals-ignore-case form', () => {
      expect(matches({ region: [{ prefix: { 'equals-ignore-case': 'US-' } }] })).toBe(true);
      expect(matches({ region: [{ prefix: { 'equals-ignore-case': 'EU-' } }] })).toBe(false);
    });

    it('never matches a number', () => {
      expect(matches(detail({ 'c-count': [{ prefix: '5' }] }))).toBe(false);
    });
  });

  describe('suffix', () => {
    it('matches string values that end with the suffix', () => {
      expect(matches({ source: [{ suffix: 'ec2' }] })).toBe(true);
      expect(matches(detail({ FileName: [{ suffix: '.png' }] }))).toBe(false);
      expect(matches(detail({ FileName: [{ suffix: '.PNG' }] }))).toBe(true);
    });

    it('ignores case with the equals-ignore-case form', () => {
      expect(matches(detail({ FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] }))).toBe(true);
      expect(matches(detail({ FileName: [{ suffix: { 'equals-ignore-case': '.jpg' } }] }))).toBe(false);
    });
  });

  describe('equals-ignore-case', () => {
    it('matches strings regardless of case', () => {
      expect(matches({ source: [{ 'equals-ignore-case': 'AWS.EC2' }] })).toBe(true);
      expect(matches({ source: [{ 'equals-ignore-case': 'AWS.EC' }] })).toBe(false);
    });

    it('does not match non-string values', () => {
      expect(matches(detail({ enabled: [{ 'equals-ignore-case': 'TRUE' }] }))).toBe(false);
    });
  });

  describe('wildcard', () => {
    it('matches * against any run of characters, including none', () => {
      expect(matches({ 'detail-type': [{ wildcard: 'EC2*Notification' }] })).toBe(true);
      expect(matches({ 'detail-type': [{ wildcard: '*State-change*' }] })).toBe(true);
      expect(matches({ source: [{ wildcard: 'aws.ec2*' }] })).toBe(true);
      expect(matches({ source: [{ wildcard: 'aws.s3*' }] })).toBe(false);
    });

    it('treats regular expression characters literally', () => {
      expect(matches({ source: [{ wildcard: 'aws?ec2' }] })).toBe(false);
      expect(matches({ source: [{ wildcard: 'aws.ec*' }] })).toBe(true);
      expect(matches({ source: [{ wildcard: 'aws.e.2' }] })).toBe(false);
    });

    it('matches a literal asterisk when it is escaped', () => {
      const starEvent = { detail: { name: 'a*b', plain: 'axxb', slash: 'a\\b' } };
      expect(matches(detail({ name: [{ wildcard: 'a\\*b' }] }), starEvent)).toBe(true);
      expect(matches(detail({ plain: [{ wildcard: 'a\\*b' }] }), starEvent)).toBe(false);
      expect(matches(detail({ slash: [{ wildcard: 'a\\\\b' }] }), starEvent)).toBe(true);
    });
  });

  describe('anything-but', () => {
    it('matches any value except a single string or number', () => {
      expect(matches(detail({ state: [{ 'anything-but': 'initializing' }] }))).toBe(true);
      expect(matches(detail({ state: [{ 'anything-but': 'running' }] }))).toBe(false);
      expect(matches(detail({ 'x-limit': [{ 'anything-but': 123 }] }))).toBe(true);
      expect(matches(detail({ 'x-limit': [{ 'anything-but': 301.8 }] }))).toBe(false);
    });

    it('excludes every value of a list', () => {
      expect(matches(detail({ state: [{ 'anything-but': ['stopped', 'overloaded'] }] }))).toBe(true);
      expect(matches(detail({ state: [{ 'anything-but': ['stopped', 'running'] }] }))).toBe(false);
      expect(matches(detail({ 'c-count': [{ 'anything-but': [100, 200, 300] }] }))).toBe(true);
      expect(matches(detail({ 'c-count': [{ 'anything-but': [4, 5] }] }))).toBe(false);
    });

    it('does not match a missing field', () => {
      expect(matches(detail({ missing: [{ 'anything-but': 'x' }] }))).toBe(false);
      expect(matches(detail({ empty: [{ 'anything-but': 'x' }] }))).toBe(false);
    });

    it('matches an array field when any element is not excluded', () => {
      expect(matches(detail({ tags: [{ 'anything-but': 'blue' }] }))).toBe(true);
      expect(matches(detail({ tags: [{ 'anything-but': ['blue', 'green'] }] }))).toBe(false);
    });

    it('only matches numbers with a numeric exclusion', () => {
      expect(matches(detail({ state: [{ 'anything-but': 5 }] }))).toBe(false);
      expect(matches(detail({ 'c-count': [{ 'anything-but': 'five' }] }))).toBe(true);
    });

    it('supports nested prefix, suffix, equals-ignore-case and wildcard', () => {
      expect(matches({ region: [{ 'anything-but': { prefix: 'us-' } }] })).toBe(false);
      expect(matches({ region: [{ 'anything-but': { prefix: 'eu-' } }] })).toBe(true);
      expect(matches(detail({ FileName: [{ 'anything-but': { suffix: '.PNG' } }] }))).toBe(false);
      expect(matches(detail({ FileName: [{ 'anything-but': { suffix: '.jpg' } }] }))).toBe(true);
      expect(matches(detail({ state: [{ 'anything-but': { 'equals-ignore-case': 'RUNNING' } }] }))).toBe(
        false,
      );
      expect(matches(detail({ state: [{ 'anything-but': { 'equals-ignore-case': ['A', 'B'] } }] }))).toBe(
        true,
      );
      expect(matches(detail({ FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] }))).toBe(false);
      expect(matches(detail({ FilePath: [{ 'anything-but': { wildcard: ['*/bin/*', '*.txt'] } }] }))).toBe(
        true,
      );
    });
  });

  describe('numeric', () => {
    it('compares with =, <, <=, >, >=', () => {
      expect(matches(detail({ 'c-count': [{ numeric: ['=', 5] }] }))).toBe(true);
      expect(matches(detail({ 'c-count': [{ numeric: ['=', 4] }] }))).toBe(false);
      expect(matches(detail({ 'd-count': [{ numeric: ['<', 10] }] }))).toBe(true);
      expect(matches(detail({ 'd-count': [{ numeric: ['<', 3] }] }))).toBe(false);
      expect(matches(detail({ 'd-count': [{ numeric: ['<=', 3] }] }))).toBe(true);
      expect(matches(detail({ 'd-count': [{ numeric: ['>', 3] }] }))).toBe(false);
      expect(matches(detail({ 'd-count': [{ numeric: ['>=', 3] }] }))).toBe(true);
      expect(matches(detail({ 'x-limit': [{ numeric: ['=', 3.018e2] }] }))).toBe(true);
    });

    it('matches ranges with open and closed ends', () => {
      expect(matches(detail({ 'c-count': [{ numeric: ['>', 0, '<=', 5] }] }))).toBe(true);
      expect(matches(detail({ 'c-count': [{ numeric: ['>', 0, '<', 5] }] }))).toBe(false);
      expect(matches(detail({ 'c-count': [{ numeric: ['>=', 5, '<', 6] }] }))).toBe(true);
      expect(matches(detail({ 'c-count': [{ numeric: ['>', 5, '<', 6] }] }))).toBe(false);
    });

    it('only matches JSON numbers', () => {
      const e = { detail: { count: '5', flag: true } };
      expect(matches(detail({ count: [{ numeric: ['>', 0] }] }), e)).toBe(false);
      expect(matches(detail({ flag: [{ numeric: ['>', 0] }] }), e)).toBe(false);
      expect(matches(detail({ missing: [{ numeric: ['>', 0] }] }), e)).toBe(false);
    });
  });

  describe('exists', () => {
    it('exists: true matches a present leaf, including null and the empty string', () => {
      expect(matches(detail({ state: [{ exists: true }] }))).toBe(true);
      expect(matches(detail({ responseElements: [{ exists: true }] }))).toBe(true);
      expect(matches(detail({ eventVersion: [{ exists: true }] }))).toBe(true);
      expect(matches(detail({ missing: [{ exists: true }] }))).toBe(false);
    });

    it('exists: false matches a missing field and not a present one', () => {
      expect(matches(detail({ missing: [{ exists: false }] }))).toBe(true);
      expect(matches(detail({ state: [{ exists: false }] }))).toBe(false);
      expect(matches(detail({ responseElements: [{ exists: false }] }))).toBe(false);
    });

    it('only sees leaves: an object-valued field counts as absent', () => {
      expect(matches(detail({ nested: [{ exists: false }] }))).toBe(true);
      expect(matches(detail({ nested: [{ exists: true }] }))).toBe(false);
    });

    it('treats an empty array as absent', () => {
      expect(matches(detail({ empty: [{ exists: false }] }))).toBe(true);
      expect(matches(detail({ empty: [{ exists: true }] }))).toBe(false);
    });

    it('matches exists: false below a missing parent', () => {
      expect(matches({ nothing: { here: [{ exists: false }] } })).toBe(true);
      expect(matches({ nothing: { here: [{ exists: true }] } })).toBe(false);
    });
  });

  describe('cidr', () => {
    it('matches IPv4 addresses inside the block', () => {
      expect(matches(detail({ 'source-ip': [{ cidr: '10.0.0.0/24' }] }))).toBe(true);
      expect(matches(detail({ 'source-ip': [{ cidr: '10.0.0.0/8' }] }))).toBe(true);
      expect(matches(detail({ 'source-ip': [{ cidr: '10.0.1.0/24' }] }))).toBe(false);
      expect(matches(detail({ 'source-ip': [{ cidr: '10.0.0.33/32' }] }))).toBe(true);
    });

    it('matches IPv6 addresses inside the block', () => {
      expect(matches(detail({ 'source-ip6': [{ cidr: '2001:db8::/32' }] }))).toBe(true);
      expect(matches(detail({ 'source-ip6': [{ cidr: '2001:db9::/32' }] }))).toBe(false);
    });

    it('does not match across IP versions or on non-IP values', () => {
      expect(matches(detail({ 'source-ip': [{ cidr: '::/0' }] }))).toBe(false);
      expect(matches(detail({ state: [{ cidr: '0.0.0.0/0' }] }))).toBe(false);
    });
  });

  describe('$or', () => {
    it('matches when any branch matches', () => {
      expect(
        matches({
          source: ['aws.ec2'],
          $or: [{ region: ['eu-west-1'] }, { detail: { state: ['running'] } }],
        }),
      ).toBe(true);
      expect(matches({ $or: [{ region: ['eu-west-1'] }, { detail: { state: ['stopped'] } }] })).toBe(false);
    });

    it('works at nested levels and ANDs with sibling fields', () => {
      expect(
        matches({
          source: ['aws.ec2'],
          detail: { $or: [{ 'c-count': [{ numeric: ['>', 10] }] }, { 'd-count': [{ numeric: ['<', 10] }] }] },
        }),
      ).toBe(true);
      expect(
        matches({
          source: ['aws.s3'],
          detail: { $or: [{ 'c-count': [5] }, { 'd-count': [3] }] },
        }),
      ).toBe(false);
    });

    it('nests inside another $or branch', () => {
      const pattern = {
        $or: [
          { region: ['eu-west-1'] },
          { source: ['aws.ec2'], $or: [{ detail: { state: ['stopped'] } }, { detail: { 'c-count': [5] } }] },
        ],
      };
      expect(matches(pattern)).toBe(true);
    });
  });

  it('matches the complex example from the user guide', () => {
    const pattern = {
      time: [{ prefix: '2017-10-02' }],
      detail: {
        state: [{ 'anything-but': 'initializing' }],
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ 'anything-but': [100, 200, 300] }],
        'source-ip': [{ cidr: '10.0.0.0/8' }],
      },
    };
    expect(matches(pattern)).toBe(true);
    expect(matches({ ...pattern, time: [{ prefix: '2018' }] })).toBe(false);
  });
});

describe('validateEventPattern', () => {
  const invalid: Array<[string, unknown]> = [
    ['a pattern that is not an object', ['source']],
    ['an empty pattern', {}],
    ['a leaf that is not an array', { source: 'aws.ec2' }],
    ['a leaf that is a number', { detail: { count: 5 } }],
    ['an empty leaf array', { source: [] }],
    ['a nested array value', { source: [['a']] }],
    ['an unknown operator', { source: [{ contains: 'ec2' }] }],
    ['two operators in one object', { source: [{ prefix: 'a', suffix: 'b' }] }],
    ['a prefix that is not a string', { source: [{ prefix: 5 }] }],
    ['a suffix with an unknown nested operator', { source: [{ suffix: { wildcard: 'a' } }] }],
    ['exists that is not a boolean', { source: [{ exists: 'true' }] }],
    ['numeric that is not an array', { n: [{ numeric: 5 }] }],
    ['numeric with an unknown operator', { n: [{ numeric: ['!=', 5] }] }],
    ['numeric with a string value', { n: [{ numeric: ['>', '5'] }] }],
    ['numeric with too many terms', { n: [{ numeric: ['=', 5, '<', 6] }] }],
    ['numeric with a reversed range', { n: [{ numeric: ['>', 10, '<', 5] }] }],
    ['numeric with a second lower bound', { n: [{ numeric: ['>', 1, '>', 5] }] }],
    ['numeric beyond the supported range', { n: [{ numeric: ['>', 6e9] }] }],
    ['anything-but with a mixed list', { s: [{ 'anything-but': ['a', 1] }] }],
    ['anything-but with null', { s: [{ 'anything-but': null }] }],
    ['anything-but with an unsupported operator', { s: [{ 'anything-but': { numeric: ['>', 1] } }] }],
    ['anything-but with an empty prefix', { s: [{ 'anything-but': { prefix: '' } }] }],
    ['a malformed cidr', { ip: [{ cidr: '10.0.0.0' }] }],
    ['a cidr with a bad prefix length', { ip: [{ cidr: '10.0.0.0/33' }] }],
    ['a wildcard with consecutive asterisks', { s: [{ wildcard: 'a**b' }] }],
    ['a wildcard with a bad escape', { s: [{ wildcard: 'a\\b' }] }],
    ['$or that is not an array', { $or: { a: ['x'] } }],
    ['$or with a single branch', { $or: [{ a: ['x'] }] }],
    ['$or with a non-object branch', { $or: [{ a: ['x'] }, ['b']] }],
    ['an operator name used as a field inside $or', { $or: [{ prefix: ['x'] }, { a: ['y'] }] }],
  ];

  it.each(invalid)('rejects %s', (_name, pattern) => {
    expect(() => validateEventPattern(pattern)).toThrow(InvalidEventPatternError);
  });

  it('names the problem in an EventBridge-style message', () => {
    expect(() => validateEventPattern({ source: 'aws.ec2' })).toThrow(
      'Event pattern is not valid. Reason: "source" must be an object or an array',
    );
  });

  it('accepts every documented operator', () => {
    const pattern = {
      source: ['a', 1, true, null, { prefix: 'p' }, { prefix: { 'equals-ignore-case': 'P' } }],
      a: [{ suffix: 's' }, { suffix: { 'equals-ignore-case': 'S' } }, { 'equals-ignore-case': 'x' }],
      b: [{ wildcard: 'a*b\\*c' }, { exists: false }, { cidr: '2001:db8::/32' }, { cidr: '10.0.0.0/8' }],
      c: [{ numeric: ['>=', 0, '<', 5] }, { numeric: ['=', -1.5] }, { numeric: ['<=', 3] }],
      d: [
        { 'anything-but': 'x' },
        { 'anything-but': 5 },
        { 'anything-but': [1, 2] },
        { 'anything-but': { prefix: 'p' } },
        { 'anything-but': { suffix: 's' } },
        { 'anything-but': { 'equals-ignore-case': ['a', 'b'] } },
        { 'anything-but': { wildcard: '*x*' } },
      ],
      $or: [{ e: ['1'] }, { f: { g: ['2'] } }],
    };
    expect(() => validateEventPattern(pattern)).not.toThrow();
  });
});
