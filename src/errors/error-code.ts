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
} as const;

/** A stable error code from {@link ERROR_CATALOGUE}. */
export type ErrorCode = keyof typeof ERROR_CATALOGUE;
