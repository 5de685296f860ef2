import type { StoredAttachment, StoredMessage, StoredSource } from './history-store.js';

export type AnswerDetails = Pick<StoredMessage, 'model' | 'sources' | 'flagged' | 'attachments'>;

/**
 * The typed message details (`model`, `sources`, `flagged`, `attachments`) from what a driver read back. Rows written
 * before they were typed kept them in a free-form `meta` object of the same shape, so both
 * read the same; anything malformed is dropped rather than handed to a client. Absent stays
 * absent, so a round trip is deep-equal to what was stored.
 */
export function readAnswerDetails(value: unknown): AnswerDetails {
  const details: AnswerDetails = {};
  if (typeof value !== 'object' || value === null) return details;
  const { model, sources, flagged, attachments } = value as { model?: unknown; sources?: unknown; flagged?: unknown; attachments?: unknown };
  if (typeof model === 'string') details.model = model;
  if (typeof flagged === 'object' && flagged !== null) {
    const { label } = flagged as { label?: unknown };
    details.flagged = { label: typeof label === 'string' ? label : '' };
  }
  if (Array.isArray(sources)) {
    const valid = sources.flatMap(toSource);
    if (valid.length > 0) details.sources = valid;
  }
  if (Array.isArray(attachments)) {
    const valid = attachments.flatMap(toAttachment);
    if (valid.length > 0) details.attachments = valid;
  }
  return details;
}

function toAttachment(item: unknown): StoredAttachment[] {
  if (typeof item !== 'object' || item === null) return [];
  const { kind, uploadId } = item as Record<string, unknown>;
  if ((kind !== 'image' && kind !== 'audio') || typeof uploadId !== 'string') return [];
  return [{ kind, uploadId }];
}

function toSource(item: unknown): StoredSource[] {
  if (typeof item !== 'object' || item === null) return [];
  const { title, source, snippet, score } = item as Record<string, unknown>;
  if (typeof title !== 'string' || typeof source !== 'string') return [];
  return [{ title, source, snippet: typeof snippet === 'string' ? snippet : '', score: typeof score === 'number' ? score : 0 }];
}

/** The details worth storing: undefined when there are none (the column / field stays empty). */
export function answerDetailsOf(message: StoredMessage): AnswerDetails | undefined {
  const details: AnswerDetails = {};
  if (message.model !== undefined) details.model = message.model;
  if (message.sources?.length) details.sources = message.sources;
  if (message.flagged) details.flagged = { label: message.flagged.label };
  if (message.attachments?.length) details.attachments = message.attachments.map(({ kind, uploadId }) => ({ kind, uploadId }));
  return Object.keys(details).length === 0 ? undefined : details;
}
