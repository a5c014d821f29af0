import { BUNDLE_FORMAT, BUNDLE_VERSION } from './bundle-format.js';

const base64 = { type: 'string', pattern: '^[A-Za-z0-9+/]*={0,2}$' } as const;
const count = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;
const positive = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } as const;
const text = { type: 'string', minLength: 1, maxLength: 4096 } as const;
const object = { type: 'object' } as const;

/**
 * The JSON Schema (draft 2020-12) of an export bundle, version 1 (bundle-format.ts says what
 * each field means). docs/export-bundle.schema.json is this, written out; a test keeps the two
 * the same. The schema checks shape only: what the fields must agree on is `paydoc verify`'s.
 */
export const BUNDLE_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://paydoc.dev/schemas/export-bundle-v1.json',
  title: 'paydoc export bundle, version 1',
  type: 'object',
  additionalProperties: false,
  required: [
    'format',
    'version',
    'documentId',
    'exportedAt',
    'genesis',
    'types',
    'inputs',
    'timelines',
    'final',
    'head',
    'keys',
    'cosigners',
  ],
  properties: {
    format: { const: BUNDLE_FORMAT },
    version: { const: BUNDLE_VERSION },
    documentId: text,
    exportedAt: count,
    genesis: object,
    types: { type: 'array', items: object },
    inputs: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['version', 'origin', 'at', 'event', 'result'],
        properties: {
          version: positive,
          origin: { enum: ['input', 'processor'] },
          at: count,
          event: {
            type: 'object',
            required: ['kind'],
            properties: { kind: { enum: ['initialize', 'timeline', 'direct', 'timer'] } },
          },
          entry: {
            type: 'object',
            additionalProperties: false,
            required: ['timelineId', 'sequence', 'blueId', 'signature', 'proof'],
            properties: {
              timelineId: text,
              sequence: positive,
              blueId: text,
              signature: {
                type: 'object',
                additionalProperties: false,
                required: ['keyId', 'value'],
                properties: { keyId: text, value: base64 },
              },
              proof: { type: 'array', maxItems: 64, items: base64 },
            },
          },
          result: {
            type: 'object',
            additionalProperties: false,
            required: ['status', 'patches', 'emitted', 'blueId'],
            properties: {
              status: { type: 'object', required: ['kind'] },
              patches: { type: 'array' },
              emitted: { type: 'array', items: object },
              blueId: text,
            },
          },
        },
      },
    },
    timelines: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['timelineId', 'size', 'checkpoint', 'consistency'],
        properties: {
          timelineId: text,
          size: positive,
          checkpoint: { type: 'string', maxLength: 1_048_576 },
          consistency: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['from', 'proof'],
              properties: {
                from: positive,
                proof: { type: 'array', maxItems: 64, items: base64 },
              },
            },
          },
        },
      },
    },
    final: {
      type: 'object',
      additionalProperties: false,
      required: ['version', 'blueId', 'document'],
      properties: { version: positive, blueId: text, document: object },
    },
    head: { type: 'string', maxLength: 65_536 },
    keys: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['keyId', 'publicKey', 'createdAt', 'retiredAt'],
        properties: {
          keyId: text,
          publicKey: base64,
          createdAt: count,
          retiredAt: { oneOf: [count, { type: 'null' }] },
        },
      },
    },
    cosigners: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['keyId', 'accountId', 'publicKey'],
        properties: { keyId: text, accountId: text, publicKey: base64 },
      },
    },
  },
} as const;
