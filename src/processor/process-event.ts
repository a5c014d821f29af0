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
import { Rejection } from './rejection.js';
import { checkStateLimits, stringBytes, textBytes } from './state-limits.js';
import { runStep } from './steps/run-step.js';
import type { StepScope } from './steps/step-scope.js';

interface Delivery {
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
    const status: ProcessStatus = {
      kind: 'rejected',
      code: error.code,
      reason: error.reason,
      ...(error.step !== undefined ? { step: error.step } : {}),
      ...(error.event !== undefined ? { event: error.event } : {}),
    };
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
  private readonly queue: Delivery[] = [];
  private readonly limits: ProcessLimits;
  private readonly registry: TypeRegistry;
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
    this.validator = context.validator ?? sharedValidator(context.registry);
  }

  async run(event: ProcessorEvent): Promise<ProcessResult> {
    if (marker(this.original, 'terminated') !== undefined) {
      throw new Rejection('terminated', 'the document has terminated and accepts no more events');
    }
    for (const delivery of this.incoming(event)) {
      if (this.terminated) break;
      await this.deliver(delivery);
    }
    let cascaded = 0;
    while (this.queue.length > 0 && !this.terminated) {
      cascaded += 1;
      if (cascaded > this.limits.cascade) {
        throw new Rejection(
          'cascade_limit',
          `more than ${this.limits.cascade} triggered deliveries for one event`,
        );
      }
      await this.deliver(this.queue.shift() as Delivery);
    }
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

  private incoming(event: ProcessorEvent): Delivery[] {
    const contracts = this.contracts();
    switch (event.kind) {
      case 'initialize':
        return this.initialize(contracts);
      case 'timeline':
        return this.fromTimeline(contracts, event.entry, event.entryId);
      case 'direct': {
        const channel = contracts.channels.find((candidate) => candidate.key === event.channel);
        if (channel === undefined)
          throw new Rejection('unknown_channel', `the document has no channel '${event.channel}'`);
        return [
          {
            channel,
            event: event.event,
            entry: null,
            ...(event.by === undefined ? {} : { by: event.by as unknown as JsonObject }),
          },
        ];
      }
      case 'timer':
        return this.dueTimers(contracts, event.timestamp);
    }
  }

  private initialize(contracts: ContractSet): Delivery[] {
    if (marker(this.document, 'initialized') !== undefined) {
      throw new Rejection('already_initialized', 'the document is already initialized');
    }
    const documentId = documentBlueId(this.document, this.registry);
    this.document = withMarker(this.document, 'initialized', {
      type: 'Core/Processing Initialized Marker',
      documentId,
    });
    const initiated: JsonObject = { type: 'Core/Document Processing Initiated', documentId };
    // As in blue-js, the lifecycle event is among the emitted events, first, whether or not a
    // lifecycle channel listens to it.
    this.emitted.push(initiated);
    return contracts.channels
      .filter((channel) => channel.kind === 'lifecycle')
      .map((channel) => ({ channel, event: initiated, entry: null }));
  }

  private fromTimeline(
    contracts: ContractSet,
    entry: JsonObject,
    entryId: string | undefined,
  ): Delivery[] {
    const timeline = entry.timeline;
    const timelineId = isJsonObject(timeline) ? scalarOf(timeline.timelineId) : undefined;
    if (timelineId === undefined) return [];
    let record: CheckpointRecord | undefined;
    const deliveries: Delivery[] = [];
    for (const channel of contracts.channels) {
      this.spend(1);
      if (channel.kind !== 'timeline' || channel.timelineId !== String(timelineId)) continue;
      const delivered = channel.deliversMessage ? (entry.message ?? null) : entry;
      if (
        channel.pattern !== undefined &&
        !matchesPattern(delivered, channel.pattern, this.registry)
      )
        continue;
      record ??= recordOf(entry, entryId);
      if (!isNewer(record, lastRecord(this.document, channel.key))) {
        this.skipped.push(`${channel.key}: entry is not newer than the channel's checkpoint`);
        continue;
      }
      deliveries.push({ channel, event: delivered, entry, checkpoint: record });
    }
    return deliveries;
  }

  private dueTimers(contracts: ContractSet, now: number): Delivery[] {
    return pendingTimers(this.document, contracts)
      .filter((timer) => timer.deadline <= now)
      .map((timer) => ({
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
    const contracts = this.contracts();
    for (const handler of contracts.handlers) {
      if (this.terminated) return;
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
      this.document = withCheckpoint(
        this.document,
        delivery.channel.key,
        delivery.checkpoint as unknown as JsonValue,
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
      this.document,
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
    const scope: StepScope = {
      event: delivery.event,
      entry: delivery.entry,
      steps: {},
      currentContract: this.contractAsSeen(handler, delivery),
      document: this.document,
      stepName: '',
      sandbox: this.sandbox,
      limits: { cpuMs: this.limits.scriptCpuMs, memoryMb: this.limits.scriptMemoryMb },
    };
    const patches: AppliedPatch[] = [];
    const befores: (JsonValue | undefined)[] = [];
    const events: JsonObject[] = [];
    for (const [index, step] of handler.steps.entries()) {
      const name =
        isJsonObject(step) && typeof step.name === 'string' ? step.name : `Step${index + 1}`;
      scope.stepName = name;
      this.spend(20);
      this.stepsRun += 1;
      if (this.stepsRun > this.limits.steps)
        throw new Rejection(
          'budget_exceeded',
          `step ${name}: the event would run more than its budget of ${this.limits.steps} steps`,
          name,
        );
      const output = await runStep(step, scope, this.registry, this.contracts().known);
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
        if (isTypedAs(checked, this.contracts().known.terminate, this.registry)) {
          // Termination stops the handler at once (blue-js unwinds the run): what its steps
          // did so far stays, the events after this one and the later steps never happen.
          this.commit(scope.document, patches, befores, events);
          this.terminate(checked);
          return;
        }
        events.push(checked);
      }
    }
    this.commit(scope.document, patches, befores, events);
  }

  private checkEmitted(event: JsonValue, stepName: string): JsonObject {
    if (!isJsonObject(event))
      throw new Rejection(
        'invalid_event',
        `step ${stepName}: an emitted event must be a map`,
        stepName,
      );
    const known = this.contracts().known;
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
    document: JsonObject,
    patches: AppliedPatch[],
    befores: (JsonValue | undefined)[],
    events: JsonObject[],
  ): void {
    this.document = document;
    this.patches.push(...patches);
    const channels = this.contracts().channels;
    const watchers = channels.filter(
      (channel) => channel.kind === 'update' && channel.path !== undefined,
    );
    patches.forEach((patch, index) => {
      for (const channel of watchers) {
        if (!watches(channel.path as string, patch.path)) continue;
        const update: JsonObject = { type: 'Core/Document Update', op: patch.op, path: patch.path };
        const before = befores[index];
        if (before !== undefined) update.before = before;
        if (patch.val !== undefined) update.after = patch.val;
        this.queue.push({ channel, event: update, entry: null });
      }
    });
    const triggered = channels.filter((channel) => channel.kind === 'triggered');
    for (const event of events) {
      this.emitted.push(event);
      for (const channel of triggered) {
        if (
          channel.pattern === undefined ||
          matchesPattern(event, channel.pattern, this.registry)
        ) {
          this.queue.push({ channel, event, entry: null });
        }
      }
    }
  }

  private terminate(event: JsonObject): void {
    const cause = scalarOf(event.cause) === 'fatal' ? 'fatal' : 'graceful';
    const reason = String(scalarOf(event.reason) ?? '');
    this.terminated = { cause, reason };
    // blue-js reports the termination as an emitted event: `{type, cause, reason}`, the reason
    // left out when there is none.
    this.emitted.push({
      type: 'Core/Document Processing Terminated',
      cause,
      ...(reason === '' ? {} : { reason }),
    });
    this.document = withMarker(this.document, 'terminated', {
      type: 'Core/Processing Terminated Marker',
      cause,
      reason,
    });
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

  private contracts(): ContractSet {
    return contractsOf(this.document, this.registry);
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
 * the handler's. Where neither has one, blue-js rejects the document on load; here the
 * operation is simply not callable, as Conversation/Operation says an absent channel means
 * "not bound to a channel yet" (the server may bind it later).
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
