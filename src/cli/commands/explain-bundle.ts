import type { BundleInput, ExportBundle } from '../../engine/bundle-format.js';
import type { JsonObject, JsonValue } from '../../model/json.js';
import { isJsonObject } from '../../model/json.js';
import { scalarOf } from '../../model/node.js';

/** Fields of a message or an answer worth a reader's eye (what moved, and why). */
const TOLD_FIELDS = [
  'amount',
  'currency',
  'reason',
  'code',
  'message',
  'operation',
  'status',
  'txid',
];

/**
 * `paydoc verify --explain`: a verified bundle as a story, one paragraph per input: when, who
 * said it (an account on its timeline, a REST call, a timer, the payment processor), what it
 * said, what the document's rules did (the fields they changed, the events they emitted), and
 * what moved (the processor's answers: authorised, captured, refunded, paid out, …).
 */
export function explainBundle(bundle: ExportBundle): string {
  const lines = [`The story of ${bundle.documentId}:`];
  for (const input of bundle.inputs) lines.push(...paragraph(input));
  const status = scalarOf(bundle.final.document.status);
  lines.push(
    `In the end: version ${bundle.final.version}${status === undefined ? '' : `, status ${String(status)}`}, BlueId ${bundle.final.blueId}.`,
    '',
  );
  return lines.join('\n');
}

function paragraph(input: BundleInput): string[] {
  const when = new Date(input.at).toISOString();
  const event = input.event;
  const head = `  ${String(input.version).padStart(3)}  ${when}  `;
  const said = (message: JsonValue | undefined) => describe(message);
  let line: string;
  switch (event.kind) {
    case 'initialize':
      line = `${head}the document was posted and initialised`;
      break;
    case 'timeline': {
      const entry = isJsonObject(event.entry) ? event.entry : {};
      const actor = isJsonObject(entry.actor) ? entry.actor : {};
      const who =
        input.origin === 'processor'
          ? 'the payment processor'
          : `${String(actor.accountId ?? 'someone')} (${String(actor.kind ?? '?')})`;
      line = `${head}${who} said on ${input.entry?.timelineId ?? '?'} #${input.entry?.sequence ?? '?'}: ${said(entry.message)}`;
      break;
    }
    case 'direct': {
      const by =
        isJsonObject(event.by) && isJsonObject(event.by.actor) ? event.by.actor : undefined;
      const who =
        input.origin === 'processor'
          ? 'the payment processor'
          : by === undefined
            ? `channel ${String(event.channel)}`
            : `${String(by.accountId)} through the REST API`;
      line = `${head}${who} said: ${said(event.event)}`;
      break;
    }
    case 'timer':
      line = `${head}a timer fired`;
      break;
    default:
      line = `${head}${String(event.kind)}`;
  }
  const result = input.result;
  const lines = [line];
  if (result.status.kind === 'rejected')
    lines.push(`         refused: ${String(result.status.code)}: ${String(result.status.reason)}`);
  const changed = result.patches
    .filter(isJsonObject)
    .map((patch) => `${String(patch.op)} ${String(patch.path)}${valueText(patch.value)}`);
  if (changed.length > 0) lines.push(`         the rules changed ${changed.join(', ')}`);
  if (result.emitted.length > 0)
    lines.push(
      `         and emitted ${result.emitted.map((emitted) => describe(emitted)).join('; ')}`,
    );
  return lines;
}

function describe(message: JsonValue | undefined): string {
  if (!isJsonObject(message ?? null)) return JSON.stringify(message ?? null);
  const node = message as JsonObject;
  const type = scalarOf(node.type) ?? (isJsonObject(node.type) ? (node.type.blueId ?? '?') : '?');
  const fields = TOLD_FIELDS.filter((key) => Object.hasOwn(node, key))
    .map((key) => `${key} ${JSON.stringify(scalarOf(node[key]) ?? node[key])}`)
    .join(', ');
  return `${String(type)}${fields === '' ? '' : ` (${fields})`}`;
}

function valueText(value: JsonValue | undefined): string {
  if (value === undefined) return '';
  const scalar = scalarOf(value);
  if (scalar === undefined || typeof scalar === 'object') return '';
  const text = JSON.stringify(scalar);
  return ` = ${text.length > 40 ? `${text.slice(0, 39)}…` : text}`;
}
