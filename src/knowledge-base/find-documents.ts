import { documentId } from './ingest/prepare-document.js';
import type { StoredDocument } from './store/kb-store.js';

/**
 * The documents `ref` names: the one whose id, name or source it is exactly; failing that,
 * those whose name or source ends in it as a path (`售后政策.md` and `sample/售后政策.md` both
 * find `kb-sample/售后政策.md`), so an operator need not type the directory `kb add` stored.
 * More than one result means `ref` is ambiguous: the caller acts on none and lists them.
 *
 * @example
 * findDocuments(index.documents(), '售后政策.md'); // → [the stored 'kb-sample/售后政策.md']
 */
export function findDocuments(documents: readonly StoredDocument[], ref: string): StoredDocument[] {
  const wanted = ref.trim().replace(/\\/g, '/');
  if (!wanted) return [];
  const id = documentId(wanted);
  const exact = documents.find((d) => d.id === wanted || d.id === id || d.name === wanted);
  if (exact) return [exact];
  const bySource = documents.filter((d) => d.source === wanted);
  if (bySource.length > 0) return bySource;
  const suffix = wanted.startsWith('/') ? wanted : `/${wanted}`;
  return documents.filter((d) => d.name.endsWith(suffix) || d.source.endsWith(suffix));
}
