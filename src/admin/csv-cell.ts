/**
 * One CSV cell (RFC 4180): quoted when it holds a comma, quote, CR or LF, quotes doubled. A cell
 * starting with = + - @ (or a tab / CR, which some spreadsheets skip before one) gets a leading
 * `'`, so Excel shows it as text instead of running it as a formula (CSV injection).
 *
 * @example
 * csvCell('=HYPERLINK("http://x")') // `"'=HYPERLINK(""http://x"")"`
 */
export function csvCell(value: string | number | undefined | null): string {
  if (value === undefined || value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV line, CRLF-terminated as Excel expects. */
export function csvLine(cells: ReadonlyArray<string | number | undefined | null>): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}
