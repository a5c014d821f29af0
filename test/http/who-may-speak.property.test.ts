import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TestApp } from './support/test-app.js';
import { bearer, JSON_BODY, testApp } from './support/test-app.js';

/**
 * Random posts, appends and reads by three accounts, including attempts on each other's
 * timelines and on the processor's channels, checked against a reference model of who owns
 * what and who takes part in what: no account ever reads or changes what it does not take part
 * in, every message reaches exactly the documents bound to its timeline, and nothing is a 5xx.
 */

type Json = Record<string, unknown>;

/** A channel of a posted document: who it names (an account index, or nobody) and whether it asks for a known timeline. */
interface ChannelPlan {
  names: number | 'nobody';
  timeline?: number;
}

type Action =
  | { kind: 'post'; poster: number; channels: ChannelPlan[]; processor?: 'assigned' | number }
  | { kind: 'append'; actor: number; timeline: number; forged: boolean }
  | { kind: 'readDocument'; actor: number; document: number }
  | { kind: 'readTimeline'; actor: number; timeline: number };

const account = fc.integer({ min: 0, max: 2 });
const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record(
    {
      kind: fc.constant('post' as const),
      poster: account,
      channels: fc.array(
        fc.record(
          { names: fc.oneof(account, fc.constant('nobody' as const)), timeline: fc.nat(40) },
          { requiredKeys: ['names'] },
        ),
        { minLength: 1, maxLength: 2 },
      ),
      processor: fc.oneof(fc.constant('assigned' as const), fc.nat(40)),
    },
    { requiredKeys: ['kind', 'poster', 'channels'] },
  ),
  fc.record({
    kind: fc.constant('append' as const),
    actor: account,
    timeline: fc.nat(40),
    forged: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('append' as const),
    actor: account,
    timeline: fc.nat(40),
    forged: fc.constant(false),
  }),
  fc.record({ kind: fc.constant('readDocument' as const), actor: account, document: fc.nat(20) }),
  fc.record({ kind: fc.constant('readTimeline' as const), actor: account, timeline: fc.nat(40) }),
);

interface ModelDocument {
  id: string;
  participants: Set<number>;
  /** Channel key → timeline id. */
  channels: Map<string, string>;
  seen: number;
}

interface Model {
  /** Known timelines and their owners (an account index, or the processor). */
  timelines: { id: string; owner: number | 'processor' }[];
  documents: ModelDocument[];
}

function documentText(
  plan: Extract<Action, { kind: 'post' }>,
  model: Model,
  nonce: number,
): string {
  const emails = ['a@example.com', 'b@example.com', 'c@example.com'];
  const lines = ['name: Listener', `nonce: ${nonce}`, 'seen: 0', 'contracts:'];
  plan.channels.forEach((channel, index) => {
    lines.push(`  c${index}:`);
    if (channel.names === 'nobody') lines.push('    type: Timeline Channel');
    else lines.push('    type: MyOS Account', `    email: ${emails[channel.names]}`);
    if (channel.timeline !== undefined)
      lines.push(`    timelineId: ${pick(model.timelines, channel.timeline).id}`);
    lines.push(
      `  count${index}:`,
      '    type: Sequential Workflow',
      `    channel: c${index}`,
      '    steps:',
      '      - type: Update Document',
      '        changeset:',
      '          - op: replace',
      '            path: /seen',
      `            val: "\${document('/seen') + 1}"`,
    );
  });
  if (plan.processor !== undefined) {
    lines.push('  paymentProcessor:', '    type: Timeline Channel');
    if (plan.processor !== 'assigned')
      lines.push(`    timelineId: ${pick(model.timelines, plan.processor).id}`);
  }
  return `${lines.join('\n')}\n`;
}

function pick<T>(items: readonly T[], index: number): T {
  return items[index % items.length] as T;
}

/** What the server must answer a post, by the model; `undefined` for a 201. */
function expectedRefusal(
  plan: Extract<Action, { kind: 'post' }>,
  model: Model,
): string | undefined {
  // The server looks at the contracts in key order: c0, c1, then paymentProcessor.
  for (const channel of plan.channels) {
    if (channel.timeline === undefined) continue;
    const timeline = pick(model.timelines, channel.timeline);
    const named = channel.names === 'nobody' ? plan.poster : channel.names;
    if (named !== plan.poster || timeline.owner !== plan.poster) return 'binding_forbidden';
  }
  if (plan.processor !== undefined && plan.processor !== 'assigned') return 'reserved_channel';
  return undefined;
}

async function check(actions: readonly Action[]): Promise<void> {
  const t: TestApp = await testApp();
  try {
    const keys: string[] = [];
    const model: Model = { timelines: [], documents: [] };
    for (const [index, email] of ['a@example.com', 'b@example.com', 'c@example.com'].entries()) {
      const created = await t.account(email);
      keys.push(created.apiKey);
      model.timelines.push({ id: created.account.timelineId, owner: index });
    }
    const inject = (method: 'GET' | 'POST', url: string, actor: number, payload?: string) =>
      t.app.inject({
        method,
        url,
        headers: { ...bearer(keys[actor] ?? ''), ...JSON_BODY },
        ...(payload === undefined ? {} : { payload }),
      });
    let nonce = 0;
    for (const step of actions) {
      const context = JSON.stringify(step);
      if (step.kind === 'post') {
        nonce += 1;
        // The timelines a plan names are chosen once, against the timelines known before the post.
        const known = [...model.timelines];
        const body = documentText(step, { ...model, timelines: known }, nonce);
        const response = await t.app.inject({
          method: 'POST',
          url: '/blue',
          payload: body,
          headers: { ...bearer(keys[step.poster] ?? ''), 'content-type': 'application/yaml' },
        });
        const refusal = expectedRefusal(step, { ...model, timelines: known });
        if (refusal !== undefined) {
          expect(response.statusCode, context).toBe(400);
          expect((response.json() as { error: Json }).error.code, context).toBe(refusal);
          continue;
        }
        expect(response.statusCode, `${context}\n${response.body}`).toBe(201);
        const state = response.json() as Json;
        const contracts = state.contracts as Record<string, Json>;
        const document: ModelDocument = {
          id: String(contracts.initialized?.documentId),
          participants: new Set([step.poster]),
          channels: new Map(),
          seen: 0,
        };
        step.channels.forEach((channel, index) => {
          const id = String(contracts[`c${index}`]?.timelineId);
          const owner = channel.names === 'nobody' ? step.poster : channel.names;
          document.participants.add(owner);
          document.channels.set(`c${index}`, id);
          if (channel.timeline !== undefined)
            expect(id, context).toBe(pick(known, channel.timeline).id);
          else if (!model.timelines.some((timeline) => timeline.id === id))
            model.timelines.push({ id, owner });
          expect(model.timelines.find((timeline) => timeline.id === id)?.owner, context).toBe(
            owner,
          );
        });
        if (step.processor === 'assigned') {
          const id = String(contracts.paymentProcessor?.timelineId);
          model.timelines.push({ id, owner: 'processor' });
          // Bound to this document: its participants may read it, nobody may write to it.
          document.channels.set('paymentProcessor', id);
        }
        model.documents.push(document);
      } else if (step.kind === 'append') {
        const timeline = pick(model.timelines, step.timeline);
        const message = step.forged
          ? { type: 'Payments/Payment Captured', amountCaptured: 1, amountReleased: 0 }
          : { type: 'Chat Message', message: 'hello' };
        const before = await versions(t, model);
        const response = await inject(
          'POST',
          `/timelines/${timeline.id}/entries`,
          step.actor,
          JSON.stringify({ message }),
        );
        if (step.forged) {
          // Refused for what it says, whichever timeline it names (so it tells nothing of them).
          expect(response.statusCode, context).toBe(422);
          expect((response.json() as { error: Json }).error.code).toBe('reserved_event_type');
        } else if (timeline.owner !== step.actor) {
          expect(response.statusCode, context).toBe(404);
        } else {
          expect(response.statusCode, `${context}\n${response.body}`).toBe(201);
          const reached = ((response.json() as { results: Json[] }).results ?? []).map((result) =>
            String(result.documentId),
          );
          const bound = model.documents.filter((document) =>
            [...document.channels.values()].includes(timeline.id),
          );
          expect(reached.sort(), context).toEqual(bound.map((document) => document.id).sort());
          for (const document of bound)
            document.seen += [...document.channels.values()].filter(
              (id) => id === timeline.id,
            ).length;
        }
        // Only the documents bound to the timeline moved, and only when the append was allowed.
        const after = await versions(t, model);
        model.documents.forEach((document, index) => {
          const moved = after[index] !== before[index];
          const expected =
            response.statusCode === 201 && [...document.channels.values()].includes(timeline.id);
          expect(moved, `${context}: document ${document.id}`).toBe(expected);
        });
      } else if (step.kind === 'readDocument') {
        if (model.documents.length === 0) continue;
        const document = pick(model.documents, step.document);
        const response = await inject('GET', `/blue/${document.id}`, step.actor);
        expect(response.statusCode, context).toBe(
          document.participants.has(step.actor) ? 200 : 404,
        );
      } else {
        const timeline = pick(model.timelines, step.timeline);
        const response = await inject('GET', `/timelines/${timeline.id}/entries`, step.actor);
        const mayRead =
          timeline.owner === step.actor ||
          model.documents.some(
            (document) =>
              document.participants.has(step.actor) &&
              [...document.channels.values()].includes(timeline.id),
          );
        expect(response.statusCode, context).toBe(mayRead ? 200 : 404);
      }
    }
    for (const document of model.documents)
      expect((await t.store.document(document.id))?.state.seen).toBe(document.seen);
  } finally {
    await t.close();
  }
}

async function versions(t: TestApp, model: Model): Promise<(number | undefined)[]> {
  return Promise.all(
    model.documents.map(async (document) => (await t.store.document(document.id))?.version),
  );
}

describe('who may speak, under random posts and appends by three accounts', () => {
  it('never lets an account read or change what it does not take part in, and never answers 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 5, maxLength: 30 }), (actions) =>
        check(actions),
      ),
      { numRuns: 60 },
    );
  }, 120_000);
});
