/**
 * The character rules that signed notes, and so checkpoints, share: a note is valid UTF-8
 * (for a JavaScript string, no lone surrogate, which UTF-8 cannot encode) and holds no ASCII
 * control character (below U+0020) other than the newline. DEL and the C1 controls are
 * allowed, as the spec and the reference implementation allow them.
 *
 * Invariant: both tests are linear in the text and never throw.
 */

const NEWLINE = 0x0a;
const FIRST_PRINTABLE = 0x20;
const LONE_SURROGATE = /\p{Cs}/u;

/** Whether `text` holds a character below U+0020 other than the newline. */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < FIRST_PRINTABLE && code !== NEWLINE) return true;
  }
  return false;
}

/** Whether `text` holds half a surrogate pair, which has no UTF-8 encoding. */
export function hasLoneSurrogate(text: string): boolean {
  // With the u flag a well-formed pair is one code point, so \p{Cs} matches only halves.
  return LONE_SURROGATE.test(text);
}
