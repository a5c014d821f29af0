/** JSON Schemas of the HTTP surface, for route documentation (bodies are YAML or JSON text). */

export const JSON_OBJECT = { type: 'object', additionalProperties: true } as const;

export const ERROR_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['type', 'code', 'message'],
      properties: {
        type: { type: 'string' },
        code: { type: 'string', description: 'A stable code from the error catalogue' },
        message: { type: 'string', description: 'With line:col when a YAML/JSON body is at fault' },
        param: { type: 'string' },
        problems: { type: 'array', items: JSON_OBJECT },
      },
    },
  },
} as const;

export const ID_PARAMS = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string' } },
} as const;

export const ENTRY_BODY = {
  type: 'object',
  required: ['message'],
  properties: {
    message: {
      type: 'object',
      additionalProperties: true,
      description: 'What the owner says: usually a typed event (type: Package Delivered, …)',
    },
    sequence: {
      type: 'integer',
      minimum: 1,
      description: 'Optional: the sequence the client expects this entry to get (409 otherwise)',
    },
    prevEntry: {
      type: 'string',
      description: 'Optional: the BlueId the client expects as the current head (409 otherwise)',
    },
  },
} as const;

export const OPERATION_BODY = {
  type: 'object',
  additionalProperties: true,
  properties: {
    amount: { type: 'integer', minimum: 1, description: 'Minor units (cents); omit for the whole' },
    reason: { type: 'string' },
  },
} as const;
