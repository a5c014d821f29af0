import type { JsonObject, JsonValue } from '../model/json.js';
import { isJsonObject } from '../model/json.js';
import { scalarOf } from '../model/node.js';
import { MeteredSandbox } from '../sandbox/metered-sandbox.js';
import { documentBlueId } from '../types/document-id.js';
import type { TypeRegistry } from '../types/type-registry.js';
import { DocumentValidator } from '../validation/document-validator.js';
import { actorPolicyViolation } from './actor-policy.js';
import type { CheckpointRecord } from './checkpoint.js';
import { isNewer, lastRecord, recordOf, withCheckpoint } from './checkpoint.js';
import type { ChannelInfo, ContractSet, HandlerInfo } from './contracts.js';
import { contractsOf } from './contracts.js';
import {
  ancestorsOf,
  boundaryOf,
  childScope,
  relativeScope,
  scopeDocument,
  withScopeDocument,
} from './embedded-scopes.js';
import type { KnownTypes } from './known-types.js';
import { knownTypes } from './known-types.js';
import { pendingTimers } from './pending-timers.js';
import { isTypedAs, matchesPattern, typeIdOf } from './event-pattern.js';
import type {
  AppliedPatch,
  ProcessContext,
  ProcessLimits,
  ProcessorEvent,
  ProcessResult,
  ProcessStatus,
} from './processor-types.js';
import { DEFAULT_LIMITS, DOCUMENT_LIMIT_KEYS } from './processor-types.js';
import { operationRequestOf, requestProblem } from './operation-request.js';
import { Rejection, rejectedStatus } from './rejection.js';
import { checkStateLimits, stringBytes, textBytes } from './state-limits.js';
import { runStep } from './steps/run-step.js';
import type { StepScope } from './steps/step-scope.js';
import { scriptClock, stepsPointer } from './steps/step-scope.js';
import { entryBlueId } from '../types/document-id.js';

/**
 * One scope of the event: the document itself (`path` `''`) or an embedded child (the pointer of
 * its root). Its contracts are read once, when the event first reaches it, so a contract added
 * during the event takes effect from the next one (as in blue-js).
 */
interface ScopeRun {
  path: string;
  contracts: ContractSet;
  /** The scopes of its embedded children, in the order Process Embedded lists them. */
  children: string[];
  /** Its triggered events and document updates, delivered after its incoming event. */
  queue: Delivery[];
  /** What it emitted (and its lifecycle events), for its parent's Embedded Node Channels. */
  bridged: JsonObject[];
  /** Terminated, or cut off by its parent replacing it: no more work this event. */
  inactive: boolean;
}

interface Delivery {
  scope: ScopeRun;
  channel: ChannelInfo;
  event: JsonValue;
  entry: JsonValue;
  /** A direct event's sender (`{actor, source}`), read by Actor Policy like an entry's. */
  by?: JsonObject;
  checkpoint?: CheckpointRecord;
}

const validators = new WeakMap<TypeRegistry, DocumentValidator>();

/**
 * Processes one event against one document (DESIGN.md §4.2). Deterministic: the same
 * document, event and type library give the same result, byte for byte. Nothing is mutated;
 * a rejected result returns the input document itself.
 */
export async function processEvent(
  document: JsonObject,
  event: ProcessorEvent,
  context: ProcessContext,
): Promise<ProcessResult> {
  const run = new EventRun(document, context);
  try {
    return await run.run(event);
  } catch (error) {
    if (!(error instanceof Rejection)) throw error;
    const status = rejectedStatus(error);
    return { document, patches: [], emitted: [], gas: run.gas, status, skipped: [] };
  }
}

class EventRun {
  gas = 0;
  /** Steps run so far, and bytes of patches and emitted events produced (ProcessLimits). */
  private stepsRun = 0;
  private outputBytes = 0;
  private readonly sandbox: MeteredSandbox | undefined;
  private document: JsonObject;
  private readonly patches: AppliedPatch[] = [];
  private readonly emitted: JsonObject[] = [];
  private readonly skipped: string[] = [];
  private readonly scopes = new Map<string, ScopeRun>();
  /** Scopes replaced or removed by their parent during this event. */
  private readonly cutOff: string[] = [];
  private cascaded = 0;
  private readonly limits: ProcessLimits;
  private readonly registry: TypeRegistry;
  private readonly known: KnownTypes;
  private readonly validator: DocumentValidator;
  private terminated: { cause: 'fatal' | 'graceful'; reason: string } | undefined;

  constructor(
    private readonly original: JsonObject,
    private readonly context: ProcessContext,
  ) {
    this.document = original;
    this.limits = lowered({ ...DEFAULT_LIMITS, ...context.limits }, original);
    this.sandbox =
      context.sandbox === undefined ? undefined : new MeteredSandbox(context.sandbox, this.limits);
    this.registry = context.registry;
    this.known = knownTypes(context.registry);
    this.validator = context.validator ?? sharedValidator(context.registry);
  }

  async run(event: ProcessorEvent): Promise<ProcessResult> {
    if (marker(this.original, 'terminated') !== undefined) {
      throw new Rejection('terminated', 'the document has terminated and accepts no more events');
    }
    if (event.kind === 'initialize') await this.initializeScope('');
    else await this.processScope('', event);
    if (this.document !== this.original) {
      checkStateLimits(this.document, this.original, this.patches);
      this.checkValid();
    }
    const status: ProcessStatus = this.terminated
      ? { kind: 'terminated', ...this.terminated }
      : { kind: 'ok' };
    return {
      document: this.document,
      patches: this.patches,
      emitted: this.emitted,
      gas: this.gas,
      status,
      skipped: this.skipped,
    };
  }

  /**
   * The event in one scope: its embedded children first (each initialised first if it is new),
   * then its own channels, then what its children emitted and its own cascade.
   */
  private async processScope(path: string, event: ProcessorEvent): Promise<void> {
    const scope = this.openScope(path);
    if (scope === undefined) return;
    for (const child of scope.children) {
      if (this.terminated || scope.inactive) return;
      const document = this.childDocument(child);
      if (document === undefined) continue;
      this.spend(1);
      if (marker(document, 'initialized') === undefined) await this.initializeScope(child);
      await this.processScope(child, event);
    }
    for (const delivery of this.incoming(scope, event)) {
      if (this.terminated || scope.inactive) break;
      await this.deliver(delivery);
    }
    await this.finalize(scope);
  }

  /** The scope's run, opened when the event first reaches it; undefined if it takes no part. */
  private openScope(path: string): ScopeRun | undefined {
    const open = this.scopes.get(path);
    if (open !== undefined) return open.inactive ? undefined : open;
    if (path !== '' && this.isCutOff(path)) return undefined;
    const document = scopeDocument(this.document, path);
    if (document === undefined) return undefined;
    if (path !== '' && marker(document, 'terminated') !== undefined) return undefined;
    const contracts = contractsOf(document, this.registry);
    const scope: ScopeRun = {
      path,
      contracts,
      children: contracts.embedded.map((child) => childScope(path, child)),
      queue: [],
      bridged: [],
      inactive: false,
    };
    this.scopes.set(path, scope);
    return scope;
  }

  /** An embedded child's document, unless it is absent or was cut off during this event. */
  private childDocument(path: string): JsonObject | undefined {
    return this.isCutOff(path) ? undefined : scopeDocument(this.document, path);
  }

  private isCutOff(path: string): boolean {
    return this.cutOff.some((cut) => path === cut || path.startsWith(`${cut}/`));
  }

  /** A child replaced or removed as a whole by its parent: it and its own children stop. */
  private cut(path: string): void {
    this.cutOff.push(path);
    for (const scope of this.scopes.values()) {
      if (scope.path !== path && !scope.path.startsWith(`${path}/`)) continue;
      scope.inactive = true;
      scope.queue.length = 0;
    }
  }

  private scopeDocument(scope: ScopeRun): JsonObject {
    return scopeDocument(this.document, scope.path) ?? {};
  }

  private setScopeDocument(scope: ScopeRun, document: JsonObject): void {
    this.document = withScopeDocument(this.document, scope.path, document);
  }

  /** After its incoming event: its children's emitted events, then its own cascade. */
  private async finalize(scope: ScopeRun): Promise<void> {
    if (scope.children.length > 0) await this.bridge(scope);
    while (scope.queue.length > 0 && !this.terminated && !scope.inactive) {
      this.cascade();
      await this.deliver(scope.queue.shift() as Delivery);
    }
  }

  /** Delivers each child's emitted and lifecycle events to the Embedded Node Channels for it. */
  private async bridge(scope: ScopeRun): Promise<void> {
    const channels = scope.contracts.channels.filter(
      (channel) => channel.kind === 'embedded' && channel.childPath !== undefined,
    );
    for (const child of scope.children) {
      const run = this.scopes.get(child);
      if (run === undefined || run.bridged.length === 0) continue;
      const events = run.bridged.splice(0);
      const listening = channels.filter(
        (channel) => childScope(scope.path, channel.childPath as string) === child,
      );
      for (const event of events) {
        for (const channel of listening) {
          if (this.terminated || scope.inactive) return;
          if (
            channel.pattern !== undefined &&
            !matchesPattern(event, channel.pattern, this.registry)
          )
            continue;
          this.cascade();
          await this.deliver({ scope, channel, event, entry: null });
        }
      }
    }
  }

  private cascade(): void {
    this.cascaded += 1;
    if (this.cascaded > this.limits.cascade) {
      throw new Rejection(
        'cascade_limit',
        `more than ${this.limits.cascade} triggered deliveries for one event`,
      );
    }
  }

  private incoming(scope: ScopeRun, event: ProcessorEvent): Delivery[] {
    switch (event.kind) {
      case 'initialize':
        return [];
      case 'timeline':
        return this.fromTimeline(scope, event.entry, event.entryId);
      case 'direct': {
        // A direct event names a channel of the document itself.
        if (scope.path !== '') return [];
        const channel = scope.contracts.channels.find(
          (candidate) => candidate.key === event.channel,
        );
        if (channel === undefined)
          throw new Rejection('unknown_channel', `the document has no channel '${event.channel}'`);
        return [
          {
            scope,
            channel,
            event: event.event,
            entry: null,
            ...(event.by === undefined ? {} : { by: event.by as unknown as JsonObject }),
          },
        ];
      }
      case 'timer':
        return this.dueTimers(scope, event.timestamp);
    }
  }

  /**
   * Initialises a scope: its embedded children first (as blue-js does), then its own marker and
   * lifecycle event. Its id is the BlueId of the scope as it was before any of that.
   */
  private async initializeScope(path: string): Promise<void> {
    const document = scopeDocument(this.document, path) ?? {};
    if (marker(document, 'initialized') !== undefined) {
      if (path !== '') return;
      throw new Rejection('already_initialized', 'the document is already initialized');
    }
    const documentId = documentBlueId(document, this.registry);
    const scope = this.openScope(path);
    if (scope === undefined) return;
    for (const child of scope.children) {
      if (this.terminated || scope.inactive) return;
      const childDocument = this.childDocument(child);
      if (childDocument === undefined || marker(childDocument, 'initialized') !== undefined)
        continue;
      this.spend(1);
      await this.initializeScope(child);
    }
    this.setScopeDocument(
      scope,
      withMarker(this.scopeDocument(scope), 'initialized', {
        type: 'Core/Processing Initialized Marker',
        documentId,
      }),
    );
    const initiated: JsonObject = { type: 'Core/Document Processing Initiated', documentId };
    // As in blue-js, the document's lifecycle event is among the emitted events, first,
    // whether or not a lifecycle channel listens to it; a child's goes to its parent.
    if (path === '') this.emitted.push(initiated);
    else scope.bridged.push(initiated);
    for (const channel of scope.contracts.channels) {
      if (this.terminated || scope.inactive) return;
      if (channel.kind !== 'lifecycle') continue;
      await this.deliver({ scope, channel, event: initiated, entry: null });
    }
    await this.finalize(scope);
  }

  private fromTimeline(
    scope: ScopeRun,
    entry: JsonObject,
    entryId: string | undefined,
  ): Delivery[] {
    const timeline = entry.timeline;
    const timelineId = isJsonObject(timeline) ? scalarOf(timeline.timelineId) : undefined;
    if (timelineId === undefined) return [];
    let record: CheckpointRecord | undefined;
    const deliveries: Delivery[] = [];
    const document = this.scopeDocument(scope);
    for (const channel of scope.contracts.channels) {
      this.spend(1);
      if (channel.kind !== 'timeline' || channel.timelineId !== String(timelineId)) continue;
      const delivered = channel.deliversMessage ? (entry.message ?? null) : entry;
      if (
        channel.pattern !== undefined &&
        !matchesPattern(delivered, channel.pattern, this.registry)
      )
        continue;
      // The edge gives the id it stored; else it is computed as the server computes it.
      record ??= recordOf(entry, entryId ?? entryBlueId(entry, this.registry));
      if (!isNewer(record, lastRecord(document, channel.key))) {
        this.skipped.push(
          `${scopeLabel(scope, channel.key)}: entry is not newer than the channel's checkpoint`,
        );
        continue;
      }
      deliveries.push({ scope, channel, event: delivered, entry, checkpoint: record });
    }
    return deliveries;
  }

  private dueTimers(scope: ScopeRun, now: number): Delivery[] {
    return pendingTimers(this.scopeDocument(scope), scope.contracts)
      .filter((timer) => timer.deadline <= now)
      .map((timer) => ({
        scope,
        channel: timer.channel,
        event: {
          type: 'Core/Timer Fired',
          deadline: timer.deadline,
          path: timer.channel.path ?? '',
        },
        entry: null,
        checkpoint: timer.record,
      }));
  }

  private async deliver(delivery: Delivery): Promise<void> {
    this.spend(5);
    const contracts = delivery.scope.contracts;
    for (const handler of contracts.handlers) {
      if (this.terminated || delivery.scope.inactive) return;
      if (handler.kind === 'workflow') {
        if (handler.channel !== delivery.channel.key) continue;
        if (
          handler.pattern !== undefined &&
          !matchesPattern(delivery.event, handler.pattern, this.registry)
        )
          continue;
        await this.runHandler(handler, delivery);
      } else if (this.acceptsOperation(handler, delivery, contracts)) {
        await this.runHandler(handler, delivery);
      }
    }
    if (delivery.checkpoint !== undefined) {
      this.setScopeDocument(
        delivery.scope,
        withCheckpoint(
          this.scopeDocument(delivery.scope),
          delivery.channel.key,
          delivery.checkpoint as unknown as JsonValue,
        ),
      );
    }
  }

  /**
   * An Operation Request for this handler's operation, arriving on the operation's channel. A
   * caller the Actor Policy refuses is rejected (`actor_not_allowed`), then a request of the
   * wrong type (`illegal_request`): who may call is decided before what they sent is looked at.
   */
  private acceptsOperation(
    handler: HandlerInfo,
    delivery: Delivery,
    contracts: ContractSet,
  ): boolean {
    const request = operationRequestOf(delivery.event, this.registry, contracts);
    if (request === undefined || scalarOf(request.operation) !== handler.operation) return false;
    const operation = contracts.operations.get(handler.operation ?? '');
    if (operation === undefined) return false;
    if (operationChannelOf(operation, handler) !== delivery.channel.key) return false;
    if (
      handler.pattern !== undefined &&
      !matchesPattern(delivery.event, handler.pattern, this.registry)
    )
      return false;
    const refusal = actorPolicyViolation(
      this.scopeDocument(delivery.scope),
      this.registry,
      handler.operation as string,
      delivery.entry ?? delivery.by ?? null,
    );
    if (refusal !== undefined) {
      throw new Rejection('actor_not_allowed', refusal);
    }
    const problem = requestProblem(
      operation.request,
      request.request,
      this.registry,
      this.validator,
      // The pin names the scope's own document (a child's, for an operation of a child).
      { request, document: this.scopeDocument(delivery.scope) },
    );
    if (problem !== undefined) {
      const message = `operation ${handler.operation}: ${problem}`;
      throw new Rejection('illegal_request', message, undefined, {
        type: 'Payments/Illegal Request',
        code: 'request_type_mismatch',
        message,
      });
    }
    return true;
  }

  /**
   * The handler's contract as its steps see it: an operation handler that names no channel of
   * its own runs on its Operation's, and says so (`currentContract.channel`), as in blue-js.
   */
  private contractAsSeen(handler: HandlerInfo, delivery: Delivery): JsonObject {
    if (handler.kind !== 'operation' || handler.channel !== undefined) return handler.node;
    return { ...handler.node, channel: delivery.channel.key };
  }

  private async runHandler(handler: HandlerInfo, delivery: Delivery): Promise<void> {
    this.spend(10);
    const owner = delivery.scope;
    const scope: StepScope = {
      event: delivery.event,
      entry: delivery.entry,
      steps: {},
      currentContract: this.contractAsSeen(handler, delivery),
      // A child's steps see and patch the child alone: its pointers are relative to its root.
      document: this.scopeDocument(owner),
      stepName: '',
      sandbox: this.sandbox,
      limits: { cpuMs: this.limits.scriptCpuMs, memoryMb: this.limits.scriptMemoryMb },
      clock: scriptClock(delivery.channel, delivery.entry),
    };
    const steps = stepsPointer(owner.path, this.scopeDocument(owner), handler.key);
    const patches: AppliedPatch[] = [];
    const befores: (JsonValue | undefined)[] = [];
    const events: JsonObject[] = [];
    for (const [index, step] of handler.steps.entries()) {
      const name =
        isJsonObject(step) && typeof step.name === 'string' ? step.name : `Step${index + 1}`;
      scope.stepName = name;
      if (steps !== undefined) scope.stepPointer = `${steps}/${index}`;
      this.spend(20);
      this.stepsRun += 1;
      if (this.stepsRun > this.limits.steps)
        throw new Rejection(
          'budget_exceeded',
          `step ${name}: the event would run more than its budget of ${this.limits.steps} steps`,
          name,
        );
      const output = await runStep(step, scope, this.registry, this.known);
      scope.document = output.document;
      for (const patch of output.patches) {
        const size = jsonSize(patch.val);
        this.spend(8 + size.gas);
        this.produce(textBytes(patch.path) + size.bytes, name);
      }
      patches.push(...output.patches);
      befores.push(...output.before);
      if (output.result !== undefined) scope.steps = { ...scope.steps, [name]: output.result };
      for (const event of output.events) {
        const checked = this.checkEmitted(event, name);
        if (isTypedAs(checked, this.known.terminate, this.registry)) {
          // Termination stops the handler at once (blue-js unwinds the run): what its steps
          // did so far stays, the events after this one and the later steps never happen.
          this.commit(owner, scope.document, patches, befores, events);
          this.terminate(owner, checked);
          return;
        }
        events.push(checked);
      }
    }
    this.commit(owner, scope.document, patches, befores, events);
  }

  private checkEmitted(event: JsonValue, stepName: string): JsonObject {
    if (!isJsonObject(event))
      throw new Rejection(
        'invalid_event',
        `step ${stepName}: an emitted event must be a map`,
        stepName,
      );
    const known = this.known;
    if (isTypedAs(event, known.illegalRequest, this.registry)) {
      const message = typeof event.message === 'string' ? event.message : 'illegal request';
      throw new Rejection('illegal_request', message, stepName, event);
    }
    const typeId = typeIdOf(event, this.registry);
    if (typeId !== undefined) {
      const problems = this.validator.validateAs(event, typeId);
      if (problems.length > 0) {
        const where = problems[0]?.pointer ? ` at ${problems[0].pointer}` : '';
        throw new Rejection(
          'invalid_event',
          `step ${stepName}: emitted ${this.registry.nameOf(typeId)} is invalid${where}: ${problems[0]?.message}`,
          stepName,
        );
      }
    }
    const size = jsonSize(event);
    this.spend(4 + size.gas);
    this.produce(size.bytes, stepName);
    return event;
  }

  /** The handler succeeded: its effects become the document's, and its updates and events cascade. */
  private commit(
    scope: ScopeRun,
    document: JsonObject,
    patches: AppliedPatch[],
    befores: (JsonValue | undefined)[],
    events: JsonObject[],
  ): void {
    if (scope.children.length > 0) this.checkBoundaries(scope, patches);
    this.setScopeDocument(scope, document);
    this.patches.push(
      ...(scope.path === ''
        ? patches
        : patches.map((patch) => ({ ...patch, path: `${scope.path}${patch.path}` }))),
    );
    // A change is seen by the Document Update channels of its scope and of every scope
    // around it, each with the path from its own root (as in blue-js).
    const watching =
      scope.path === ''
        ? [scope]
        : [
            scope,
            ...ancestorsOf(scope.path, [...this.scopes.keys()]).map(
              (path) => this.scopes.get(path) as ScopeRun,
            ),
          ];
    for (const target of watching) {
      if (target.inactive) continue;
      const prefix = relativeScope(target.path, scope.path);
      const watchers = target.contracts.channels.filter(
        (channel) => channel.kind === 'update' && channel.path !== undefined,
      );
      patches.forEach((patch, index) => {
        const path = `${prefix}${patch.path}`;
        for (const channel of watchers) {
          if (!watches(channel.path as string, path)) continue;
          const update: JsonObject = { type: 'Core/Document Update', op: patch.op, path };
          const before = befores[index];
          if (before !== undefined) update.before = before;
          if (patch.val !== undefined) update.after = patch.val;
          target.queue.push({ scope: target, channel, event: update, entry: null });
        }
      });
    }
    const triggered = scope.contracts.channels.filter((channel) => channel.kind === 'triggered');
    for (const event of events) {
      // Only the document's own events leave it; a child's go to its parent's channels.
      if (scope.path === '') this.emitted.push(event);
      else scope.bridged.push(event);
      for (const channel of triggered) {
        if (
          channel.pattern === undefined ||
          matchesPattern(event, channel.pattern, this.registry)
        ) {
          scope.queue.push({ scope, channel, event, entry: null });
        }
      }
    }
  }

  /**
   * A scope may not write inside its embedded children (blue-js: a boundary violation); it may
   * replace or remove a child as a whole, which cuts the child off for the rest of the event.
   */
  private checkBoundaries(scope: ScopeRun, patches: readonly AppliedPatch[]): void {
    for (const patch of patches) {
      const boundary = boundaryOf(patch.path, scope.contracts.embedded);
      if (boundary === undefined) continue;
      if ('inside' in boundary)
        throw new Rejection(
          'boundary_violation',
          `${scope.path === '' ? 'the document' : scope.path} may not change ${scope.path}${patch.path}: it is inside the embedded document ${scope.path}${boundary.inside}, which only that document changes`,
        );
      for (const child of boundary.at) this.cut(childScope(scope.path, child));
    }
  }

  private terminate(scope: ScopeRun, event: JsonObject): void {
    const cause = scalarOf(event.cause) === 'fatal' ? 'fatal' : 'graceful';
    const reason = String(scalarOf(event.reason) ?? '');
    // blue-js reports the termination as an emitted event: `{type, cause, reason}`, the reason
    // left out when there is none.
    const reported: JsonObject = {
      type: 'Core/Document Processing Terminated',
      cause,
      ...(reason === '' ? {} : { reason }),
    };
    const terminatedMarker: JsonObject = {
      type: 'Core/Processing Terminated Marker',
      cause,
      reason,
    };
    if (scope.path === '') {
      this.terminated = { cause, reason };
      this.emitted.push(reported);
      this.document = withMarker(this.document, 'terminated', terminatedMarker);
      return;
    }
    // A child ends alone: its parent hears of it through its Embedded Node Channel, and later
    // events pass the child by.
    scope.inactive = true;
    scope.queue.length = 0;
    scope.bridged.push(reported);
    this.setScopeDocument(
      scope,
      withMarker(this.scopeDocument(scope), 'terminated', terminatedMarker),
    );
  }

  private checkValid(): void {
    const problems = this.validator.revalidate(this.document, this.original);
    if (problems.length > 0) {
      const first = problems[0];
      throw new Rejection(
        'validation_failed',
        `the document would become invalid: ${first?.message}${first?.pointer ? ` (at ${first.pointer})` : ''}`,
      );
    }
  }

  /** Counts bytes of patches and emitted events against the event's budget. */
  private produce(bytes: number, stepName: string): void {
    this.outputBytes += bytes;
    if (this.outputBytes > this.limits.outputBytes)
      throw new Rejection(
        'budget_exceeded',
        `step ${stepName}: the event would produce more than its budget of ${this.limits.outputBytes} bytes of changes and events`,
        stepName,
      );
  }

  private spend(units: number): void {
    this.gas += units;
    if (this.gas > this.limits.gas)
      throw new Rejection('gas_exhausted', `the event needs more than ${this.limits.gas} gas`);
  }
}

function sharedValidator(registry: TypeRegistry): DocumentValidator {
  let validator = validators.get(registry);
  if (validator === undefined) {
    validator = new DocumentValidator(registry);
    validators.set(registry, validator);
  }
  return validator;
}

/**
 * The channel through which `handler` may run its operation: the operation's own channel
 * (blue-js `channelsCompatible`). A handler naming another channel is never bound, so a
 * party the operation does not list cannot call it through the handler. As in blue-js, a
 * handler without a channel takes the operation's, and an operation without a channel takes
 * the handler's. Where neither has one, the document is refused on load, as in blue-js
 * (validation/contract-rules.ts); undefined here is only for a document that skipped it.
 */
function operationChannelOf(operation: JsonObject, handler: HandlerInfo): string | undefined {
  const own = channelKey(scalarOf(operation.channel));
  const handlers = channelKey(handler.channel);
  if (own !== undefined && handlers !== undefined && own !== handlers) return undefined;
  return own ?? handlers;
}

/** A channel key as blue-js reads one: trimmed text; empty means none. */
function channelKey(value: JsonValue | undefined): string | undefined {
  return typeof value === 'string' && value.trim().length > 0 ? value.trim() : undefined;
}

/** A channel as `skipped` names it: a child's with the child's pointer. */
function scopeLabel(scope: ScopeRun, key: string): string {
  return scope.path === '' ? key : `${scope.path} ${key}`;
}

/** A watcher of `watched` sees changes at, below or above it. */
function watches(watched: string, changed: string): boolean {
  return (
    changed === watched || changed.startsWith(`${watched}/`) || watched.startsWith(`${changed}/`)
  );
}

function marker(document: JsonObject, name: string): JsonValue | undefined {
  return isJsonObject(document.contracts) ? document.contracts[name] : undefined;
}

function withMarker(document: JsonObject, name: string, value: JsonObject): JsonObject {
  const contracts = isJsonObject(document.contracts) ? document.contracts : {};
  return { ...document, contracts: { ...contracts, [name]: value } };
}

/** A value's gas (a unit per 16 characters, at least one for a scalar) and its JSON's bytes. */
function jsonSize(value: JsonValue | undefined): { gas: number; bytes: number } {
  if (value === undefined) return { gas: 0, bytes: 0 };
  if (typeof value === 'number' || typeof value === 'boolean' || value === null)
    return { gas: 1, bytes: String(value).length };
  if (typeof value === 'string')
    return { gas: Math.ceil(value.length / 16), bytes: stringBytes(value) };
  const text = JSON.stringify(value);
  return { gas: Math.ceil(text.length / 16), bytes: textBytes(text) };
}

// --- Per-document limits -------------------------------------------------------------------------

/**
 * The limits for an event to `document`: the processor's, lowered by the document's own
 * `contracts.processingLimits` marker where it asks for less. Only downward: a document cannot
 * give itself more than the processor allows.
 */
function lowered(limits: ProcessLimits, document: JsonObject): ProcessLimits {
  const contracts = document.contracts;
  const marker = isJsonObject(contracts) ? contracts.processingLimits : undefined;
  if (!isJsonObject(marker)) return limits;
  let out = limits;
  for (const key of DOCUMENT_LIMIT_KEYS) {
    const value = Object.hasOwn(marker, key) ? scalarOf(marker[key]) : undefined;
    if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0 && value < out[key])
      out = { ...out, [key]: value };
  }
  return out;
}
