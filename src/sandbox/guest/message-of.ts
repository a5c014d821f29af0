import { caught } from './guard.js';

/**
 * What a thrown value says: `Name: message` for an error (just the message for a plain
 * Error), else the value as text. Guest getters may run here; what they throw passes the guard.
 */
export function messageOf(error: unknown): string {
  try {
    if (error !== null && typeof error === 'object') {
      const message: unknown = (error as { message?: unknown }).message;
      if (typeof message === 'string') {
        const name: unknown = (error as { name?: unknown }).name;
        return typeof name === 'string' && name !== '' && name !== 'Error'
          ? `${name}: ${message}`
          : message;
      }
    }
    return String(error);
  } catch (inner) {
    caught(inner);
    return 'a value that cannot be shown was thrown';
  }
}
