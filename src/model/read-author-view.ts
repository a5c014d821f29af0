import { readAuthorViewWith } from './author-view.js';
import { blueId } from './blue-id.js';
import type { JsonValue } from './json.js';

/** The host's hashing, for `document('/x/blueId')`. */
const HOST_OPTIONS = { blueIdOf: blueId };

/**
 * What `document(pointer)` returns to a step, on the host (author-view.ts reads; the guest
 * runtime bundles the same reader, so in-process and supervised steps and `${…}` expressions
 * answer alike). `/x/blueId` is the BlueId of `/x`, computed by model/blue-id.ts: type aliases
 * are hashed as written (the reader has no type registry).
 *
 * @throws Error for a malformed pointer, which the guest reports as the step's error.
 */
export function readAuthorView(root: JsonValue, path: string): JsonValue | undefined {
  return readAuthorViewWith(root, path, HOST_OPTIONS);
}
