import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/model/json.js';
import { isNewer, lastRecord } from '../../src/processor/checkpoint.js';
import { processEvent } from '../../src/processor/process-event.js';
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

describe("contracts, checkpoints and patterns named like Object.prototype's members", () => {
  const NAMES = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__'];

  it('deliver, checkpoint and match under those names, and skip a duplicate', async () => {
    for (const name of NAMES) {
      const document: JsonObject = {
        seen: 0,
        contracts: {
          [name]: { type: 'Conversation/Timeline Channel', timelineId: 't' },
          [`${name}2`]: {
            type: 'Conversation/Sequential Workflow',
            channel: name,
            event: { message: { [name]: { value: 'yes' } } },
            steps: [
              {
                type: 'Update Document',
                changeset: [{ op: 'replace', path: '/seen', val: "${document('/seen') + 1}" }],
              },
            ],
          },
        },
      };
      const entry = (message: JsonObject, sequence: number) => ({
        kind: 'timeline' as const,
        entry: { timeline: { timelineId: 't' }, sequence, timestamp: 1000, message },
      });
      const first = await processEvent(document, entry({ [name]: 'yes' }, 1), { registry });
      expect(first.status, name).toEqual({ kind: 'ok' });
      expect(first.document.seen).toBe(1);
      expect(lastRecord(first.document, name)?.sequence).toBe(1);
      const unmatched = await processEvent(first.document, entry({ other: 'yes' }, 2), {
        registry,
      });
      expect(unmatched.status).toEqual({ kind: 'ok' });
      expect(unmatched.document.seen).toBe(1);
      const again = await processEvent(unmatched.document, entry({ [name]: 'yes' }, 2), {
        registry,
      });
      expect(again.skipped).toHaveLength(1);
      expect(again.document.seen).toBe(1);
    }
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
