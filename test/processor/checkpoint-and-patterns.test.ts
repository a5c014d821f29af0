import { describe, expect, it } from 'vitest';
import { isNewer } from '../../src/processor/checkpoint.js';
import { compareCodePoints } from '../../src/processor/compare-keys.js';
import { matchesPattern } from '../../src/processor/event-pattern.js';
import { bindParticipants } from '../../src/processor/bind-participants.js';
import { offlineTimeline } from '../../src/engine/offline-run.js';
import { defaultTypeRegistry } from '../../src/types/load-library.js';

const registry = defaultTypeRegistry();

describe('checkpoints', () => {
  it('orders by sequence when both have one', () => {
    expect(isNewer({ sequence: 3, blueId: 'b' }, { sequence: 2, blueId: 'a' })).toBe(true);
    expect(isNewer({ sequence: 2, blueId: 'b' }, { sequence: 2, blueId: 'a' })).toBe(false);
    expect(
      isNewer(
        { sequence: 1, timestamp: 99, blueId: 'b' },
        { sequence: 2, timestamp: 1, blueId: 'a' },
      ),
    ).toBe(false);
  });

  it('falls back to timestamps, and never accepts the same entry twice', () => {
    expect(isNewer({ timestamp: 5, blueId: 'b' }, { timestamp: 4, blueId: 'a' })).toBe(true);
    expect(isNewer({ timestamp: 4, blueId: 'b' }, { timestamp: 4, blueId: 'a' })).toBe(true);
    expect(isNewer({ timestamp: 3, blueId: 'b' }, { timestamp: 4, blueId: 'a' })).toBe(false);
    expect(isNewer({ timestamp: 9, blueId: 'a' }, { timestamp: 4, blueId: 'a' })).toBe(false);
    expect(isNewer({ blueId: 'a' }, undefined)).toBe(true);
  });
});

describe('event patterns', () => {
  it('match a type or any subtype, and field values', () => {
    const delivered = { type: 'Package Delivered', timestamp: 5, trackingNumber: 'T1' };
    expect(matchesPattern(delivered, { type: 'Package Delivered' }, registry)).toBe(true);
    expect(matchesPattern(delivered, { type: 'Conversation/Event' }, registry)).toBe(
      registry.isSubtype(
        registry.lookup('Package Delivered')!.id,
        registry.lookup('Conversation/Event')!.id,
      ),
    );
    expect(matchesPattern(delivered, { type: 'Provide BTC Key' }, registry)).toBe(false);
    expect(matchesPattern(delivered, { trackingNumber: 'T1' }, registry)).toBe(true);
    expect(matchesPattern(delivered, { trackingNumber: { value: 'T2' } }, registry)).toBe(false);
    expect(matchesPattern({ message: 'x' }, { type: 'Package Delivered' }, registry)).toBe(false);
  });
});

describe('contract ordering', () => {
  it('compares keys by code point', () => {
    expect(['b', 'a', '\u{1F600}', '\uFB33'].sort(compareCodePoints)).toEqual([
      'a',
      'b',
      '\uFB33',
      '\u{1F600}',
    ]);
  });
});

describe('bindParticipants', () => {
  it('binds MyOS accounts, <x>Timeline channels to <x>, and leaves bound channels alone', () => {
    const doc = {
      type: 'Smart Card Payment no API Access',
      amount: 1,
      currency: 'USD',
      token: 'tok_visa',
      contracts: {
        merchant: { type: 'MyOS Account', email: 'shop@example.com' },
        customer: { type: 'MyOS Account', email: 'c@example.com', timelineId: 'fixed' },
      },
    };
    const bound = bindParticipants(doc, registry, offlineTimeline) as {
      contracts: Record<string, { timelineId?: string }>;
    };
    expect(bound.contracts.merchant?.timelineId).toBe('shop@example.com');
    expect(bound.contracts.merchantTimeline?.timelineId).toBe('shop@example.com');
    expect(bound.contracts.customerTimeline?.timelineId).toBe('fixed');
    expect(bound.contracts.customer?.timelineId).toBe('fixed');
    expect(bound.contracts.paymentProcessor?.timelineId).toBe('paymentProcessor');
    expect(bindParticipants(bound, registry, offlineTimeline)).toBe(bound);
  });
});
