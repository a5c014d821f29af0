import { describe, expect, it } from 'vitest';
import { timelineContracts, withTimelines } from '../../src/processor/bind-participants.js';
import { defaultTypeRegistry } from '../../src/types/load-library.js';

const registry = defaultTypeRegistry();

function byKey(document: Record<string, unknown>) {
  return new Map(
    timelineContracts(document as never, registry).map((contract) => [contract.key, contract]),
  );
}

describe('timelineContracts: which channels are the processor’s', () => {
  it('marks what the type says (managedBy), paymentProcessor in any document, and REST proxies', () => {
    const smart = byKey({
      type: 'Smart Card Payment',
      amount: 1,
      currency: 'USD',
      token: 'tok_visa',
      contracts: { merchant: { type: 'MyOS Account', email: 'shop@example.com' } },
    });
    expect(smart.get('paymentProcessor')?.reserved).toBe(true);
    expect(smart.get('paymentProcessorMerchantTimeline')?.reserved).toBe(true);
    expect(smart.get('merchant')?.reserved).toBe(false);
    expect(smart.get('merchantTimeline')).toMatchObject({
      reserved: false,
      sharesWith: 'merchant',
    });
    const untyped = byKey({
      name: 'Mine',
      contracts: {
        paymentProcessor: { type: 'Timeline Channel' },
        mine: { type: 'Timeline Channel' },
        api: { type: 'REST API Channel', proxy: 'mine' },
      },
    });
    expect(untyped.get('paymentProcessor')?.reserved).toBe(true);
    expect(untyped.get('mine')?.reserved).toBe(true);
  });

  it('reads the mark from the type: an instance cannot take it away', () => {
    const invoice = byKey({
      type: 'Bitcoin Invoice',
      contracts: {
        bitcoinNetwork: { type: 'Timeline Channel', managedBy: 'nobody', timelineId: 'tl_mine' },
      },
    });
    expect(invoice.get('bitcoinNetwork')).toMatchObject({ reserved: true, timelineId: 'tl_mine' });
  });

  it('a processor channel named <x>Timeline never shares the participant <x>', () => {
    const contracts = byKey({
      name: 'Proxy on a participant',
      contracts: {
        merchant: { type: 'MyOS Account', email: 'shop@example.com' },
        merchantTimeline: { type: 'Timeline Channel' },
        api: { type: 'REST API Channel', proxy: 'merchantTimeline' },
      },
    });
    expect(contracts.get('merchantTimeline')?.reserved).toBe(true);
    expect(contracts.get('merchantTimeline')?.sharesWith).toBeUndefined();
  });

  it('treats keys as data: a contract named constructor or toString is just a channel', () => {
    const contracts = byKey({
      name: 'Odd names',
      contracts: {
        constructor: { type: 'MyOS Account', email: 'a@example.com' },
        toString: { type: 'Timeline Channel' },
      },
    });
    expect(contracts.get('constructor')?.email).toBe('a@example.com');
    expect(contracts.get('toString')?.reserved).toBe(false);
  });
});

describe('withTimelines', () => {
  it('writes timelineIds into the own contracts, keeping one already there', () => {
    const document = {
      name: 'D',
      contracts: {
        a: { type: 'Timeline Channel', timelineId: 'kept' },
        b: { type: 'Timeline Channel' },
      },
    };
    const bound = withTimelines(
      document,
      new Map([
        ['a', 'new-a'],
        ['b', 'new-b'],
        ['c', 'new-c'],
      ]),
    );
    expect(bound.contracts).toEqual({
      a: { type: 'Timeline Channel', timelineId: 'kept' },
      b: { type: 'Timeline Channel', timelineId: 'new-b' },
      c: { timelineId: 'new-c' },
    });
    expect(withTimelines(bound, new Map([['a', 'x']]))).toBe(bound);
  });
});
