const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
// Digits are produced five at a time: 58^5 = 656,356,768, and limb × 256 + carry stays far
// below 2^53, so plain numbers hold every intermediate exactly.
const LIMB = 58 ** 5;
const DIGITS_PER_LIMB = 5;
const CODES = Array.from(ALPHABET, (char) => char.charCodeAt(0));
const ONE = '1'.charCodeAt(0);

/** Base58 with the Bitcoin alphabet (base58btc), leading zero bytes as '1'. */
export function base58Encode(bytes: Uint8Array): string {
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros += 1;
  // Little-endian limbs in base 58^5.
  const limbs: number[] = [];
  for (let i = zeros; i < bytes.length; i += 1) {
    let carry = bytes[i] as number;
    for (let j = 0; j < limbs.length; j += 1) {
      const x = (limbs[j] as number) * 256 + carry;
      carry = Math.floor(x / LIMB);
      limbs[j] = x - carry * LIMB;
    }
    while (carry > 0) {
      const next = Math.floor(carry / LIMB);
      limbs.push(carry - next * LIMB);
      carry = next;
    }
  }
  const codes: number[] = [];
  for (let j = 0; j < limbs.length; j += 1) {
    let limb = limbs[j] as number;
    const last = j === limbs.length - 1;
    for (let k = 0; k < DIGITS_PER_LIMB && (!last || limb > 0); k += 1) {
      codes.push(CODES[limb % 58] as number);
      limb = Math.floor(limb / 58);
    }
  }
  for (let k = 0; k < zeros; k += 1) codes.push(ONE);
  codes.reverse();
  return String.fromCharCode(...codes);
}
