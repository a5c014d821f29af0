import type { TypeRegistry } from '../types/type-registry.js';

const NAMES = {
  channel: 'Core/Channel',
  handler: 'Core/Handler',
  marker: 'Core/Marker',
  timelineChannel: 'Conversation/Timeline Channel',
  messageTimelineChannel: 'Payments/Timeline Channel',
  internalChannel: 'Payments/Internal Logic Channel',
  restChannel: 'Payments/REST API Channel',
  lifecycleChannel: 'Core/Lifecycle Event Channel',
  triggeredChannel: 'Core/Triggered Event Channel',
  updateChannel: 'Core/Document Update Channel',
  timerChannel: 'Core/Timer Channel',
  workflow: 'Conversation/Sequential Workflow',
  operationWorkflow: 'Conversation/Sequential Workflow Operation',
  operation: 'Conversation/Operation',
  actorPolicy: 'Conversation/Actor Policy',
  operationRequest: 'Conversation/Operation Request',
  javascriptCode: 'Conversation/JavaScript Code',
  updateDocument: 'Conversation/Update Document',
  triggerEvent: 'Conversation/Trigger Event',
  illegalRequest: 'Payments/Illegal Request',
  processorAnswer: 'Payments/Processor Answer',
  terminate: 'Core/Document Processing Terminated',
} as const;

/** The BlueIds of the types the processor gives meaning to, looked up once per registry. */
export type KnownTypes = { readonly [K in keyof typeof NAMES]: string };

const cache = new WeakMap<TypeRegistry, KnownTypes>();

export function knownTypes(registry: TypeRegistry): KnownTypes {
  let known = cache.get(registry);
  if (known === undefined) {
    const entries = Object.entries(NAMES).map(([key, name]) => [
      key,
      registry.lookup(name)?.id ?? `missing:${name}`,
    ]);
    known = Object.fromEntries(entries) as KnownTypes;
    cache.set(registry, known);
  }
  return known;
}
