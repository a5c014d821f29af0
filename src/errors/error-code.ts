/**
 * The one error catalogue. Every expected outcome (a value) and every unexpected failure
 * (a thrown {@link PaydocError}) carries one of these stable codes; clients may switch on them.
 */
export const ERROR_CATALOGUE = {
  // Loading a document (YAML/JSON text → node tree)
  yaml_syntax: 'The text is not well-formed YAML/JSON.',
  yaml_duplicate_key: 'A mapping repeats a key.',
  yaml_unknown_tag: 'A YAML tag that paydoc does not accept (only plain YAML 1.2 core types).',
  yaml_alias_limit: 'Too many anchors/aliases were expanded (alias bomb guard).',
  yaml_too_large: 'The input exceeds the size, depth or node-count limit.',
  yaml_unsafe_integer: 'An unquoted integer beyond ±(2^53−1) would lose precision; quote it.',
  yaml_invalid_key: 'A mapping key that is not a plain scalar.',
  yaml_empty: 'The input holds no document.',
  // Node anatomy and types
  invalid_node: 'A node breaks the Blue node rules (e.g. both value and items).',
  unknown_type: 'A type name or BlueId that the registry does not know.',
  type_conflict: 'A type overlay changes a fixed value or widens a field type.',
  type_cycle: 'Types refer to each other in a cycle.',
  // Validation
  validation_failed: 'The document does not conform to its type.',
  // Files and usage
  file_not_found: 'A file named on the command line could not be read.',
  usage: 'The command was called with the wrong arguments.',
  internal: 'An unexpected failure inside paydoc.',
  // Payments: money
  money_not_integer:
    'An amount or ratio is not an integer number (a float, a string, NaN or Infinity).',
  money_overflow:
    'An amount, or the result of an operation on amounts, is beyond ±(2^53−1) minor units.',
  money_negative: 'A negative amount where only zero or more is allowed.',
  money_unknown_currency:
    'A currency code that paydoc does not know (codes are upper case, e.g. USD).',
  money_currency_mismatch: 'An operation on amounts of different currencies.',
  money_invalid_ratio:
    'A ratio, rate or split that cannot be applied (zero denominator, negative or all-zero ratios).',
  money_invalid_rounding: 'A rounding mode that is not one of the named modes.',
  // Payments: bitcoin keys
  btc_wif_invalid: 'The text is not a WIF private key.',
  btc_wif_checksum: 'A WIF private key whose base58check checksum does not match (a mistyped key).',
  btc_wif_wrong_network: 'A WIF private key of another network than the one required.',
  btc_public_key_invalid:
    'Not a valid secp256k1 public key (bad hex, wrong length, or not on the curve).',
  btc_public_key_uncompressed:
    'An uncompressed public key where segwit requires the 33-byte compressed form.',
  btc_multisig_duplicate_key: 'A multisig wallet given the same public key twice.',
} as const;

/** A stable error code from {@link ERROR_CATALOGUE}. */
export type ErrorCode = keyof typeof ERROR_CATALOGUE;
