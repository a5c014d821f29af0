import { createHash } from 'node:crypto';
import type { JsonObject } from '../model/json.js';
import type { TimelineContract } from '../processor/bind-participants.js';
import {
  sharedContract,
  timelineContracts,
  withBoundTimelines,
} from '../processor/bind-participants.js';
import type { TypeRegistry } from '../types/type-registry.js';
import type { AccountRecord } from '../store/store-records.js';
import { emailProblem } from './accounts.js';
import type { Outcome } from './outcome.js';
import { failure } from './outcome.js';
import type { WorkingSet } from './working-set.js';

/** A posted document with every timeline channel bound, and who takes part in it. */
export interface BoundDocument {
  document: JsonObject;
  /** The poster and every account a channel is bound to: they may read the document. */
  participants: ReadonlySet<string>;
}

/** What the binding needs of the engine. */
export interface BindingContext {
  registry: TypeRegistry;
  /** The accounts that never take part as participants (the processor, the operator). */
  internalAccounts: ReadonlySet<string>;
  processorAccountId: string;
  /** Creates an account (and its own timeline) for an email named by a document. */
  addAccount: (set: WorkingSet, email: string, at: number) => AccountRecord;
}

/**
 * The server's binding policy at `POST /blue` (DESIGN §7; bindings are the server's to make):
 *
 * - A participant contract (`MyOS Account {email | account}`) gets a **new timeline for this
 *   document**, owned by that participant's account (created with its account when the email
 *   is new). A message on it reaches this document only, so two payments between the same
 *   buyer and shop never see each other's messages.
 * - A timeline channel naming nobody (a `<x>Timeline` without `<x>`, an author's own channel)
 *   gets a new timeline owned by the poster.
 * - A document may supply a `timelineId` only for a timeline the poster owns, on a contract
 *   naming the poster or nobody: a poster may share one of its own timelines across its own
 *   documents on purpose. Any other supplied timeline is `binding_forbidden`, and a timeline
 *   that does not exist reads exactly like one of another account's (no existence leak).
 * - The processor's channels (see `timelineContracts`) always get the processor's timelines;
 *   a document that gives one a timelineId, or names a real account on it, is `reserved_channel`.
 *
 * Timeline ids are named after the poster, the posted content and the contract key, so posting
 * exactly the same content again binds the same timelines: it is the same document, and a
 * blind retry authorises no second payment.
 */
export async function bindDocument(
  set: WorkingSet,
  context: BindingContext,
  posterId: string,
  posted: JsonObject,
  postedId: string,
  at: number,
): Promise<Outcome<BoundDocument>> {
  // The document's own channels and its embedded children's, all bound by the same rules.
  const contracts = timelineContracts(posted, context.registry);
  const timelines = new Map<TimelineContract, string>();
  const participants = new Set<string>([posterId]);
  const timelineFor = async (
    contract: TimelineContract,
    ownerId: string,
  ): Promise<Outcome<string>> => {
    const id = serverTimelineId(posterId, postedId, contract);
    const existing = await set.timeline(id);
    if (existing === undefined) set.createTimeline(id, ownerId, at);
    else if (existing.ownerId !== ownerId)
      return failure(
        'binding_forbidden',
        `timeline ${id} is bound to another participant`,
        contract.pointer,
      );
    return { ok: true, value: id };
  };
  for (const contract of contracts) {
    if (contract.sharesWith !== undefined) continue;
    let bound: Outcome<string>;
    if (contract.reserved) {
      const refused = await reservedProblem(set, context, contract);
      if (refused !== undefined) return refused;
      bound = await timelineFor(contract, context.processorAccountId);
    } else {
      const participant = await participantOf(set, context, contract, posterId, at);
      if (!participant.ok) return participant;
      participants.add(participant.value);
      bound =
        contract.timelineId === undefined
          ? await timelineFor(contract, participant.value)
          : await ownTimeline(set, contract, participant.value, posterId);
    }
    if (!bound.ok) return bound;
    timelines.set(contract, bound.value);
  }
  for (const contract of contracts) {
    if (contract.sharesWith === undefined) continue;
    const partner = sharedContract(contracts, contract);
    const shared = partner === undefined ? undefined : timelines.get(partner);
    if (shared !== undefined) timelines.set(contract, shared);
  }
  return { ok: true, value: { document: withBoundTimelines(posted, timelines), participants } };
}

/**
 * What names a channel's timeline: its key for the document's own (so the timelines of
 * existing documents keep their ids), its pointer after a NUL for an embedded child's. A key
 * written to look like that names a channel of the same document, and a timeline of another
 * owner is refused (binding_forbidden), so a clash can never cross accounts.
 */
function bindingName(contract: TimelineContract): string {
  return contract.scope === undefined ? contract.key : `\u0000${contract.pointer}`;
}

/**
 * The timeline the server makes for a channel of a posted document (see {@link bindDocument}):
 * `paydoc id --initialized --account` binds with it to predict the server's document id.
 */
export function serverTimelineId(
  posterId: string,
  postedId: string,
  contract: TimelineContract,
): string {
  return documentTimelineId(posterId, postedId, bindingName(contract));
}

/** The timeline of one channel of one posted document (see {@link bindDocument}). */
export function documentTimelineId(posterId: string, postedId: string, key: string): string {
  const digest = createHash('sha256').update(`${posterId}\n${postedId}\n${key}`).digest('hex');
  return `tl_${digest.slice(0, 20)}`;
}

/** The account a participant contract names (created for a new email), or the poster. */
async function participantOf(
  set: WorkingSet,
  context: BindingContext,
  contract: TimelineContract,
  posterId: string,
  at: number,
): Promise<Outcome<string>> {
  if (contract.email !== undefined) {
    const problem = emailProblem(contract.email);
    if (problem !== undefined)
      return failure(
        'binding_forbidden',
        `contract ${contract.key} names no participant the server can bind: ${problem}`,
        `${contract.pointer}/email`,
      );
    // The server's own accounts are all @paydoc.internal, which emailProblem refuses.
    const account =
      (await set.accountByEmail(contract.email)) ?? context.addAccount(set, contract.email, at);
    return { ok: true, value: account.id };
  }
  if (contract.account !== undefined) {
    const account = await set.accountById(contract.account);
    if (account === undefined || context.internalAccounts.has(account.id))
      return failure(
        'binding_forbidden',
        `contract ${contract.key} names account ${contract.account}, which is no account a document can bind (name a participant by email, or by an acct_… id)`,
        `${contract.pointer}/account`,
      );
    return { ok: true, value: account.id };
  }
  return { ok: true, value: posterId };
}

/** A supplied timelineId: only the poster's own timeline, on a contract naming the poster. */
async function ownTimeline(
  set: WorkingSet,
  contract: TimelineContract,
  participantId: string,
  posterId: string,
): Promise<Outcome<string>> {
  const pointer = `${contract.pointer}/timelineId`;
  if (participantId !== posterId)
    return failure(
      'binding_forbidden',
      `contract ${contract.key} names another account and a timelineId: the server binds a participant to a new timeline of its own; leave timelineId out`,
      pointer,
    );
  const timeline =
    contract.timelineId === undefined ? undefined : await set.timeline(contract.timelineId);
  if (timeline === undefined || timeline.ownerId !== posterId)
    return failure(
      'binding_forbidden',
      `contract ${contract.key}: you own no timeline ${contract.timelineId ?? ''}; a document may bind only a timeline its poster owns (leave timelineId out to get a new one)`,
      pointer,
    );
  return { ok: true, value: timeline.id };
}

/** A processor channel that names a timeline or a real account. */
async function reservedProblem(
  set: WorkingSet,
  context: BindingContext,
  contract: TimelineContract,
): Promise<Outcome<never> | undefined> {
  const named =
    contract.timelineId !== undefined
      ? 'timelineId'
      : contract.email !== undefined
        ? 'email'
        : contract.account !== undefined &&
            (await set.accountById(contract.account)) !== undefined &&
            contract.account !== context.processorAccountId
          ? 'account'
          : undefined;
  if (named === undefined) return undefined;
  return failure(
    'reserved_channel',
    `contract ${contract.key} is the payment processor's channel: the server assigns its timeline, so it may not name a ${named}`,
    `${contract.pointer}/${named}`,
  );
}
