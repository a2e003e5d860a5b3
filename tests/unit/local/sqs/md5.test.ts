import { md5OfMessageAttributes } from '../../../../local/sqs';

describe('md5OfMessageAttributes', () => {
  it('matches the digest SQS returns for two string attributes', () => {
    // Vector from a ReceiveMessage response captured from SQS (LocalStack's serializer tests).
    expect(
      md5OfMessageAttributes({
        Hello: { DataType: 'String', StringValue: 'There' },
        General: { DataType: 'String', StringValue: 'Kenobi' },
      }),
    ).toBe('fca026605781cb4126a1e9044df24232');
  });

  it('does not depend on the order the attributes are given in', () => {
    const a = md5OfMessageAttributes({
      a: { DataType: 'String', StringValue: '1' },
      b: { DataType: 'Number', StringValue: '2' },
    });
    const b = md5OfMessageAttributes({
      b: { DataType: 'Number', StringValue: '2' },
      a: { DataType: 'String', StringValue: '1' },
    });
    expect(a).toBe(b);
  });

  it('distinguishes binary from string values', () => {
    const asString = md5OfMessageAttributes({ x: { DataType: 'String', StringValue: 'AQID' } });
    const asBinary = md5OfMessageAttributes({ x: { DataType: 'Binary', BinaryValue: 'AQID' } });
    expect(asString).not.toBe(asBinary);
  });

  it('is absent when there are no attributes', () => {
    expect(md5OfMessageAttributes({})).toBeUndefined();
  });
});
