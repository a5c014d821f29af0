import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/model/json.js';
import { bindParticipants, timelineContracts } from '../../src/processor/bind-participants.js';
import { contractsOf } from '../../src/processor/contracts.js';
import { scopeChannels } from '../../src/processor/embedded-scopes.js';
import { nextDeadline } from '../../src/processor/pending-timers.js';
import { processEvent } from '../../src/processor/process-event.js';
import { documentBlueId } from '../../src/types/document-id.js';
import { defaultTypeRegistry } from '../../src/types/load-library.js';
import type { TestApp } from '../http/support/test-app.js';
import { bearer, testApp, YAML } from '../http/support/test-app.js';

const registry = defaultTypeRegistry();
const context = { registry };

const lifecycleChild: JsonObject = {
  name: 'Sample Sub Doc',
  contracts: {
    life: { type: 'Core/Lifecycle Event Channel' },
    setA: {
      type: 'Conversation/Sequential Workflow',
      channel: 'life',
      steps: [
        {
          name: 'SetA',
          type: 'Conversation/Update Document',
          changeset: [{ op: 'replace', path: '/a', val: 1 }],
        },
      ],
    },
  },
};

const embedding = (paths: string[]): JsonObject => ({
  type: 'Core/Process Embedded',
  paths,
});

function entry(timelineId: string, timestamp: number, message = 'hi'): JsonObject {
  return {
    type: 'Timeline Entry',
    timeline: { timelineId },
    timestamp,
    message: { type: 'Conversation/Chat Message', message },
  };
}

describe('embedded documents: initialisation', () => {
  it('gives the child its own marker, with the id of the child as posted', async () => {
    const document: JsonObject = {
      name: 'Sample Doc',
      x: lifecycleChild,
      contracts: { embedded: embedding(['/x']) },
    };
    const result = await processEvent(document, { kind: 'initialize' }, context);
    expect(result.status).toEqual({ kind: 'ok' });
    const x = result.document.x as JsonObject;
    expect((x.contracts as JsonObject).initialized).toEqual({
      type: 'Core/Processing Initialized Marker',
      documentId: documentBlueId(lifecycleChild, registry),
    });
    expect(x.a).toBe(1);
    expect((result.document.contracts as JsonObject).initialized).toEqual({
      type: 'Core/Processing Initialized Marker',
      documentId: documentBlueId(document, registry),
    });
    // Only the document's own lifecycle event leaves it.
    expect(result.emitted).toEqual([
      {
        type: 'Core/Document Processing Initiated',
        documentId: documentBlueId(document, registry),
      },
    ]);
    expect(result.patches).toEqual([{ op: 'add', path: '/x/a', val: 1 }]);
  });

  it('leaves a document without Process Embedded as it was', async () => {
    const document: JsonObject = { name: 'Plain', x: lifecycleChild };
    const result = await processEvent(document, { kind: 'initialize' }, context);
    expect((result.document.x as JsonObject).a).toBeUndefined();
    expect(contractsOf(document, registry).embedded).toEqual([]);
  });
});

describe('embedded documents: paths are the child’s own', () => {
  it('writes a child’s /y under the child, never the parent’s /y', async () => {
    const document: JsonObject = {
      y: 0,
      child: {
        contracts: {
          timeline: { type: 'Conversation/Timeline Channel', timelineId: 'c' },
          write: {
            type: 'Conversation/Sequential Workflow',
            channel: 'timeline',
            steps: [
              {
                type: 'Conversation/Update Document',
                changeset: [{ op: 'replace', path: '/y', val: "${document('/y') ?? 41}" }],
              },
            ],
          },
        },
      },
      contracts: { embedded: embedding(['child']) },
    };
    const initialized = await processEvent(document, { kind: 'initialize' }, context);
    const result = await processEvent(
      initialized.document,
      { kind: 'timeline', entry: entry('c', 1000) },
      context,
    );
    expect(result.status).toEqual({ kind: 'ok' });
    expect(result.document.y).toBe(0);
    expect((result.document.child as JsonObject).y).toBe(41);
    expect(result.patches).toEqual([{ op: 'add', path: '/child/y', val: 41 }]);
  });

  it('takes a contract a child adds to its own contracts from the next event on', async () => {
    const document: JsonObject = {
      child: {
        n: 0,
        contracts: {
          timeline: { type: 'Conversation/Timeline Channel', timelineId: 'c' },
          addHandler: {
            type: 'Conversation/Sequential Workflow',
            channel: 'timeline',
            steps: [
              {
                type: 'Conversation/Update Document',
                changeset: [
                  {
                    op: 'add',
                    path: '/contracts/count',
                    val: {
                      type: 'Conversation/Sequential Workflow',
                      channel: 'timeline',
                      steps: [
                        {
                          type: 'Conversation/Update Document',
                          changeset: [{ op: 'replace', path: '/n', val: 1 }],
                        },
                      ],
                    },
                  },
                ],
              },
            ],
          },
        },
      },
      contracts: { embedded: embedding(['/child']) },
    };
    const initialized = await processEvent(document, { kind: 'initialize' }, context);
    const first = await processEvent(
      initialized.document,
      { kind: 'timeline', entry: entry('c', 1000) },
      context,
    );
    expect((first.document.child as JsonObject).n).toBe(0);
    const second = await processEvent(
      first.document,
      { kind: 'timeline', entry: entry('c', 2000) },
      context,
    );
    expect((second.document.child as JsonObject).n).toBe(1);
  });
});

describe('embedded documents: timers', () => {
  it('tells the scheduler of a child’s deadline, and of none once the child has terminated', () => {
    const child: JsonObject = {
      expiresAt: 5000,
      contracts: { deadline: { type: 'Core/Timer Channel', path: '/expiresAt' } },
    };
    const document: JsonObject = {
      expiresAt: 9000,
      child,
      contracts: {
        deadline: { type: 'Core/Timer Channel', path: '/expiresAt' },
        embedded: embedding(['/child']),
      },
    };
    expect(nextDeadline(document, contractsOf(document, registry))).toBe(5000);
    const ended: JsonObject = {
      ...document,
      child: {
        ...child,
        contracts: {
          ...(child.contracts as JsonObject),
          terminated: { type: 'Core/Processing Terminated Marker', cause: 'graceful' },
        },
      },
    };
    expect(nextDeadline(ended, contractsOf(ended, registry))).toBe(9000);
  });
});

const courierChild: JsonObject = {
  delivered: false,
  contracts: {
    courier: { type: 'MyOS Account', email: 'courier@example.com' },
    courierTimeline: { type: 'Timeline Channel' },
  },
};

describe('embedded documents: binding participants', () => {
  it('lists a child’s timeline channels with its scope, sharing within the child', () => {
    const document: JsonObject = {
      child: courierChild,
      contracts: {
        courier: { type: 'MyOS Account', email: 'shop@example.com' },
        embedded: embedding(['/child']),
      },
    };
    const contracts = timelineContracts(document, registry);
    expect(contracts.map((contract) => contract.pointer)).toEqual([
      '/contracts/courier',
      '/child/contracts/courier',
      '/child/contracts/courierTimeline',
    ]);
    expect(contracts[2]).toMatchObject({ scope: '/child', sharesWith: 'courier' });
    const bound = bindParticipants(document, registry, (contract) => contract.email ?? 'none');
    const boundChild = (bound.child as JsonObject).contracts as JsonObject;
    expect((boundChild.courier as JsonObject).timelineId).toBe('courier@example.com');
    // The child's <x>Timeline shares the child's <x>, not the parent's.
    expect((boundChild.courierTimeline as JsonObject).timelineId).toBe('courier@example.com');
    expect(((bound.contracts as JsonObject).courier as JsonObject).timelineId).toBe(
      'shop@example.com',
    );
  });

  describe('at POST /blue', () => {
    let t: TestApp;
    let shop: { key: string; homeTimeline: string };
    let courierKey: string;
    beforeAll(async () => {
      t = await testApp();
      const created = await t.account('shop@example.com');
      shop = { key: created.apiKey, homeTimeline: created.account.timelineId };
      courierKey = (await t.account('courier@example.com')).apiKey;
    });
    afterAll(async () => {
      await t.close();
    });

    const post = (body: string) =>
      t.app.inject({
        method: 'POST',
        url: '/blue',
        payload: body,
        headers: { ...bearer(shop.key), ...YAML },
      });

    const yaml = (courierExtra: string) => `name: Parcel
child:
  delivered: false
  contracts:
    courier:
      type: MyOS Account
      email: courier@example.com${courierExtra}
    report:
      type: Conversation/Sequential Workflow
      channel: courier
      steps:
        - type: Conversation/Update Document
          changeset:
            - op: replace
              path: /delivered
              val: true
contracts:
  embedded:
    type: Core/Process Embedded
    paths:
      - /child
`;

    it("refuses a child's participant bound to the poster's own timeline", async () => {
      const response = await post(yaml(`\n      timelineId: ${shop.homeTimeline}`));
      expect(response.statusCode).toBe(400);
      const error = (response.json() as { error: Record<string, unknown> }).error;
      expect(error.code).toBe('binding_forbidden');
      expect(error.param).toBe('/child/contracts/courier/timelineId');
    });

    it("binds a child's participant to a new timeline of the participant's", async () => {
      const response = await post(yaml(''));
      expect(response.statusCode).toBe(201);
      const document = response.json() as { child: { contracts: Record<string, JsonObject> } };
      const timelineId = String(document.child.contracts.courier?.timelineId);
      const timeline = await t.store.timeline(timelineId);
      const courier = await t.store.accountByEmail('courier@example.com');
      expect(timeline?.ownerId).toBe(courier?.id);
      expect(timelineId).not.toBe(shop.homeTimeline);
      expect(document.child.contracts.initialized).toBeDefined();

      // The courier speaks on its timeline; the child's workflow runs on the server.
      const entry = await t.app.inject({
        method: 'POST',
        url: `/timelines/${timelineId}/entries`,
        payload: { message: { type: 'Conversation/Chat Message', message: 'delivered' } },
        headers: bearer(courierKey),
      });
      expect(entry.statusCode).toBe(201);
      const id = String(
        (document as unknown as { contracts: { initialized: { documentId: string } } }).contracts
          .initialized.documentId,
      );
      const after = await t.app.inject({
        method: 'GET',
        url: `/blue/${id}`,
        headers: bearer(shop.key),
      });
      expect((after.json() as { child: { delivered: boolean } }).child.delivered).toBe(true);
    });
  });
});

describe('embedded documents: the channels the service subscribes to', () => {
  it('lists a running child’s channels with its scope, and none of a terminated child', () => {
    const child = (terminated: boolean): JsonObject => ({
      contracts: {
        timeline: { type: 'Conversation/Timeline Channel', timelineId: 'child-tl' },
        ...(terminated
          ? { terminated: { type: 'Core/Processing Terminated Marker', cause: 'graceful' } }
          : {}),
      },
    });
    const document = (terminated: boolean): JsonObject => ({
      child: child(terminated),
      contracts: {
        timeline: { type: 'Conversation/Timeline Channel', timelineId: 'root-tl' },
        embedded: embedding(['/child']),
      },
    });
    const listed = (terminated: boolean) =>
      scopeChannels(document(terminated), registry).map(
        ({ scope, channel }) => `${scope}:${channel.timelineId ?? ''}`,
      );
    expect(listed(false)).toEqual([':root-tl', '/child:child-tl']);
    expect(listed(true)).toEqual([':root-tl']);
  });
});
