import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/model/json.js';
import { processEvent } from '../../src/processor/process-event.js';
import type {
  ProcessContext,
  ProcessorEvent,
  ProcessResult,
} from '../../src/processor/processor-types.js';
import { defaultTypeRegistry } from '../../src/types/load-library.js';
import { DocumentValidator } from '../../src/validation/document-validator.js';

// Who may call an operation: only through the operation's own channel (as in blue-js), and
// only as the document's Actor Policy allows, judged on the timeline entry the server stamped.
const registry = defaultTypeRegistry();
const validator = new DocumentValidator(registry);
const context: ProcessContext = { registry, validator };

const markCaptured = [
  {
    name: 'Mark',
    type: 'Conversation/Update Document',
    changeset: [{ op: 'replace', path: '/captured', val: true }],
  },
];

/** `capture` on `owner` (timeline `owner-t`), an `intruder` channel, and any extra contracts. */
function document(contracts: JsonObject = {}): JsonObject {
  return {
    name: 'Operation authority',
    captured: false,
    contracts: {
      owner: { type: 'Conversation/Timeline Channel', timelineId: 'owner-t' },
      intruder: { type: 'Conversation/Timeline Channel', timelineId: 'intruder-t' },
      capture: { type: 'Conversation/Operation', channel: 'owner', request: { type: 'Integer' } },
      captureImpl: {
        type: 'Conversation/Sequential Workflow Operation',
        operation: 'capture',
        steps: markCaptured,
      },
      ...contracts,
    },
  };
}

const principalApi = { actor: { accountId: 'acct_1', kind: 'principal' }, source: 'apiCall' };
const agentRequest = { actor: { accountId: 'acct_2', kind: 'agent' }, source: 'documentRequest' };

function call(
  timelineId: string,
  stamp: JsonObject = principalApi,
  operation = 'capture',
  request: unknown = 100,
): ProcessorEvent {
  return {
    kind: 'timeline',
    entry: {
      type: 'Conversation/Timeline Entry',
      timeline: { timelineId },
      timestamp: 1000,
      message: { type: 'Conversation/Operation Request', operation, request } as JsonObject,
      ...stamp,
    },
  };
}

function policy(operations: JsonObject): JsonObject {
  return { actorPolicy: { type: 'Conversation/Actor Policy', operations } };
}

function expectRan(result: ProcessResult): void {
  expect(result.status).toEqual({ kind: 'ok' });
  expect(result.document.captured).toBe(true);
}

function expectRefused(result: ProcessResult, input: JsonObject, reason: string): void {
  expect(result.status).toMatchObject({ kind: 'rejected', code: 'actor_not_allowed' });
  if (result.status.kind === 'rejected') expect(result.status.reason).toContain(reason);
  // Rejected: nothing changed, not even the checkpoint.
  expect(result.document).toBe(input);
  expect(result.patches).toEqual([]);
}

describe('an operation is callable only through its own channel', () => {
  it('runs for a request on the operation channel', async () => {
    expectRan(await processEvent(document(), call('owner-t'), context));
  });

  it('does not run for a request on another channel, even if its handler names that channel', async () => {
    const input = document({
      captureImpl: {
        type: 'Conversation/Sequential Workflow Operation',
        operation: 'capture',
        channel: 'intruder',
        steps: markCaptured,
      },
    });
    const viaHandler = await processEvent(input, call('intruder-t'), context);
    expect(viaHandler.status).toEqual({ kind: 'ok' });
    expect(
      viaHandler.document.captured,
      'capture is declared on owner: the intruder channel named only by the handler must not reach it',
    ).toBe(false);
    expect(viaHandler.patches, 'the handler did not run, so it patched nothing').toEqual([]);
    const viaOperation = await processEvent(input, call('owner-t'), context);
    expect(
      viaOperation.document.captured,
      'a handler bound to another channel than its operation is never bound: it does not run on owner either',
    ).toBe(false);
  });

  it('gives a handler without a channel the operation channel, and an operation without one the handler channel (as blue-js)', async () => {
    const unboundOperation = document({
      capture: { type: 'Conversation/Operation', request: { type: 'Integer' } },
      captureImpl: {
        type: 'Conversation/Sequential Workflow Operation',
        operation: 'capture',
        channel: 'owner',
        steps: markCaptured,
      },
    });
    expectRan(await processEvent(unboundOperation, call('owner-t'), context));
    const other = await processEvent(unboundOperation, call('intruder-t'), context);
    expect(other.document.captured, 'bound to owner through its handler only').toBe(false);
  });

  it('never runs an operation when neither it nor its handler names a channel', async () => {
    const input = document({
      capture: { type: 'Conversation/Operation', request: { type: 'Integer' } },
    });
    for (const timelineId of ['owner-t', 'intruder-t']) {
      const result = await processEvent(input, call(timelineId), context);
      expect(result.document.captured, `unbound operation on ${timelineId}`).toBe(false);
    }
  });
});

describe('Actor Policy', () => {
  it('requiresActor: allows that kind, refuses the other and an entry without an actor', async () => {
    const input = document(policy({ capture: { requiresActor: 'principal' } }));
    expectRan(await processEvent(input, call('owner-t', principalApi), context));
    const agent = await processEvent(input, call('owner-t', agentRequest), context);
    expectRefused(agent, input, 'requires actor principal, and the request comes from an agent');
    const anonymous = await processEvent(input, call('owner-t', { source: 'apiCall' }), context);
    expectRefused(anonymous, input, 'carries no principal or agent actor');
  });

  it('requiresActor any: allows principal and agent, refuses no actor', async () => {
    const input = document(policy({ capture: { requiresActor: 'any' } }));
    expectRan(await processEvent(input, call('owner-t', principalApi), context));
    expectRan(await processEvent(input, call('owner-t', agentRequest), context));
    const unknownKind = await processEvent(
      input,
      call('owner-t', { actor: { accountId: 'acct_3', kind: 'robot' } }),
      context,
    );
    expectRefused(unknownKind, input, 'carries no principal or agent actor');
  });

  it('requiresSource: allows that source, refuses another and none', async () => {
    const input = document(policy({ capture: { requiresSource: 'apiCall' } }));
    expectRan(await processEvent(input, call('owner-t', principalApi), context));
    const fromProcessor = await processEvent(input, call('owner-t', agentRequest), context);
    expectRefused(
      fromProcessor,
      input,
      'requires source apiCall, and the request comes from documentRequest',
    );
    const noSource = await processEvent(
      input,
      call('owner-t', { actor: principalApi.actor }),
      context,
    );
    expectRefused(noSource, input, 'requires source apiCall, and the request carries no source');
  });

  it('excludeSource: allows another source, refuses that source and none (as blue-js)', async () => {
    const input = document(policy({ capture: { excludeSource: 'documentRequest' } }));
    expectRan(await processEvent(input, call('owner-t', principalApi), context));
    const excluded = await processEvent(input, call('owner-t', agentRequest), context);
    expectRefused(excluded, input, 'excludes source documentRequest');
    const noSource = await processEvent(input, call('owner-t', {}), context);
    expectRefused(noSource, input, 'carries no source to check');
  });

  it('combines the fields of one rule: every one must hold', async () => {
    const input = document(
      policy({ capture: { requiresActor: 'principal', requiresSource: 'browserSession' } }),
    );
    const wrongSource = await processEvent(input, call('owner-t', principalApi), context);
    expectRefused(wrongSource, input, 'requires source browserSession');
    const browser = { actor: principalApi.actor, source: 'browserSession' };
    expectRan(await processEvent(input, call('owner-t', browser), context));
  });

  it('leaves operations without a rule, and empty rules, unrestricted', async () => {
    const noRule = document(policy({ refund: { requiresActor: 'principal' } }));
    expectRan(await processEvent(noRule, call('owner-t', {}), context));
    const emptyRule = document(policy({ capture: {} }));
    expectRan(await processEvent(emptyRule, call('owner-t', {}), context));
  });

  it('refuses every call when a rule holds a value it does not know', async () => {
    const input = document(policy({ capture: { requiresActor: 'admin' } }));
    const result = await processEvent(input, call('owner-t', principalApi), context);
    expectRefused(result, input, 'declares unsupported requiresActor "admin"');
  });

  it('decides who may call before looking at the request', async () => {
    const input = document(policy({ capture: { requiresActor: 'principal' } }));
    const result = await processEvent(
      input,
      call('owner-t', agentRequest, 'capture', 'x'),
      context,
    );
    expectRefused(result, input, 'requires actor principal');
  });

  it('checks the entry on a channel that delivers only the message', async () => {
    const input = document({
      owner: { type: 'Timeline Channel', timelineId: 'owner-t' },
      ...policy({ capture: { requiresActor: 'principal' } }),
    });
    expectRan(await processEvent(input, call('owner-t', principalApi), context));
    expectRefused(
      await processEvent(input, call('owner-t', agentRequest), context),
      input,
      'agent',
    );
  });

  it('refuses a direct delivery (no entry) when the operation has a rule, allows it otherwise', async () => {
    const direct: ProcessorEvent = {
      kind: 'direct',
      channel: 'internal',
      event: { type: 'Conversation/Operation Request', operation: 'capture', request: 100 },
    };
    const internal = {
      internal: { type: 'Payments/Internal Logic Channel' },
      capture: {
        type: 'Conversation/Operation',
        channel: 'internal',
        request: { type: 'Integer' },
      },
    };
    const ruled = document({
      ...internal,
      ...policy({ capture: { excludeSource: 'browserSession' } }),
    });
    expectRefused(await processEvent(ruled, direct, context), ruled, 'carries no source to check');
    expectRan(await processEvent(document(internal), direct, context));
    // A REST call delivered directly (Classic) says who sent it, and the rule reads that.
    const fromApi: ProcessorEvent = {
      ...direct,
      by: { actor: { accountId: 'acct_m', kind: 'principal' }, source: 'apiCall' },
    };
    expectRan(await processEvent(ruled, fromApi, context));
    const fromBrowser: ProcessorEvent = {
      ...direct,
      by: { ...fromApi.by, source: 'browserSession' },
    } as ProcessorEvent;
    expectRefused(await processEvent(ruled, fromBrowser, context), ruled, 'browserSession');
  });
});
