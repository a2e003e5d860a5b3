import {
  checkQuirks,
  describeQuirks,
  QuirkOptionsError,
  quirksFromEnvironment,
} from '../../../../local/quirks';

describe('quirk options', () => {
  it('are all off by default, and the banner names none', () => {
    expect(quirksFromEnvironment('')).toEqual({});
    expect(describeQuirks({})).toEqual([]);
  });

  it('are named in the banner when on', () => {
    expect(
      describeQuirks({
        gsiLagMs: 500,
        lostDisconnectShare: 0.25,
        eventDuplicateShare: 0.1,
        eventJitterMs: 200,
      }),
    ).toEqual([
      'GSI lag 500 ms',
      '$disconnect lost for 25% of drops',
      'EventBridge delivers 10% of events twice',
      'EventBridge deliveries unordered (0-200 ms jitter)',
    ]);
  });

  it('reject a share outside 0..1 and a negative delay', () => {
    expect(() => checkQuirks({ lostDisconnectShare: 1.5 })).toThrow(QuirkOptionsError);
    expect(() => checkQuirks({ eventDuplicateShare: -0.1 })).toThrow(/eventDuplicateShare must be a share/);
    expect(() => checkQuirks({ gsiLagMs: -1 })).toThrow(/gsiLagMs must be a number of milliseconds/);
    expect(() => checkQuirks({ eventJitterMs: Number.NaN })).toThrow(QuirkOptionsError);
  });

  it("come from LOCAL_STACK_QUIRKS with the start flags' names", () => {
    expect(
      quirksFromEnvironment('gsi-lag=500, lost-disconnect=0.3,event-duplicates=0.2,event-jitter=50'),
    ).toEqual({
      gsiLagMs: 500,
      lostDisconnectShare: 0.3,
      eventDuplicateShare: 0.2,
      eventJitterMs: 50,
    });
    expect(() => quirksFromEnvironment('gsi-lag')).toThrow(/LOCAL_STACK_QUIRKS: "gsi-lag" is not one of/);
    expect(() => quirksFromEnvironment('slow=1')).toThrow(QuirkOptionsError);
    expect(() => quirksFromEnvironment('lost-disconnect=2')).toThrow(/between 0 and 1/);
  });
});
