const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
// log(256) / log(58): how many base-58 digits one byte needs, rounded up.
const DIGITS_PER_BYTE = 1.38;

/** Base58 with the Bitcoin alphabet (base58btc), leading zero bytes as '1'. */
export function base58Encode(bytes: Uint8Array): string {
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros += 1;
  const size = Math.ceil((bytes.length - zeros) * DIGITS_PER_BYTE) + 1;
  const digits = new Uint8Array(size);
  let length = 0;
  for (let i = zeros; i < bytes.length; i += 1) {
    let carry = bytes[i] as number;
    let j = 0;
    for (let k = size - 1; (carry !== 0 || j < length) && k >= 0; k -= 1, j += 1) {
      carry += 256 * (digits[k] as number);
      digits[k] = carry % 58;
      carry = (carry / 58) | 0;
    }
    length = j;
  }
  let start = size - length;
  while (start < size && digits[start] === 0) start += 1;
  let out = '1'.repeat(zeros);
  for (let i = start; i < size; i += 1) out += ALPHABET[digits[i] as number];
  return out;
}
