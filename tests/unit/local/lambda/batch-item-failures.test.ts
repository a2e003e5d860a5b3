import { batchItemFailures } from '../../../../local/lambda/sqs-event-source';

// The success and failure conditions of a ReportBatchItemFailures response
// (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html).
describe('a partial batch response', () => {
  const batch = new Set(['a', 'b', 'c']);

  it.each([
    ['a null response', null],
    ['an undefined response', undefined],
    ['an empty response', {}],
    ['a null list', { batchItemFailures: null }],
    ['an empty list', { batchItemFailures: [] }],
  ])('is a complete success for %s', (_what, payload) => {
    expect(batchItemFailures(payload, batch)).toEqual(new Set());
  });

  it('returns exactly the records it names', () => {
    expect(batchItemFailures({ batchItemFailures: [{ itemIdentifier: 'b' }] }, batch)).toEqual(
      new Set(['b']),
    );
  });

  it.each([
    ['an empty itemIdentifier', { batchItemFailures: [{ itemIdentifier: '' }] }, /empty, null or missing/],
    ['a null itemIdentifier', { batchItemFailures: [{ itemIdentifier: null }] }, /empty, null or missing/],
    ['a misspelt key', { batchItemFailures: [{ itemId: 'a' }] }, /empty, null or missing/],
    [
      'an id not in the batch',
      { batchItemFailures: [{ itemIdentifier: 'z' }] },
      /z is not a message of the batch/,
    ],
    ['a list that is not a list', { batchItemFailures: 'a' }, /not a list/],
    ['a response that is not an object', 'a', /not an object/],
  ])('fails the whole batch for %s', (_what, payload, reason) => {
    expect(batchItemFailures(payload, batch)).toEqual(expect.stringMatching(reason));
  });
});
