/**
 * A `Range: bytes=…` header against a file of `size` bytes (RFC 9110 §14): one range, as
 * players send when seeking (`bytes=1000-`, `bytes=0-499`, `bytes=-500` for the last 500).
 * undefined = serve the whole file (no header, another unit, or several ranges, which a
 * server may ignore); 'unsatisfiable' = a well-formed range that starts past the end (416).
 */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim());
  if (!match) return undefined;
  const [, from, to] = match as unknown as [string, string, string];
  if (from === '' && to === '') return undefined;
  if (from === '') {
    const suffix = Number(to);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(from);
  const end = to === '' ? size - 1 : Math.min(Number(to), size - 1);
  if (start >= size) return 'unsatisfiable';
  if (end < start) return undefined;
  return { start, end };
}
