import assert from 'node:assert/strict';
import { test } from 'node:test';
import { csvCell, csvLine } from './csv-cell.js';

test('plain cells stay as they are; empty for absent values', () => {
  assert.equal(csvCell('退货政策'), '退货政策');
  assert.equal(csvCell(42), '42');
  assert.equal(csvCell(undefined), '');
  assert.equal(csvCell(null), '');
});

test('commas, quotes and line breaks are quoted, quotes doubled', () => {
  assert.equal(csvCell('a,b'), '"a,b"');
  assert.equal(csvCell('说"好"'), '"说""好"""');
  assert.equal(csvCell('一\n二'), '"一\n二"');
  assert.equal(csvCell('一\r\n二'), '"一\r\n二"');
});

test('formula starters are defused with a leading quote (CSV injection)', () => {
  for (const text of ['=1+1', '+86 123', '-2', '@SUM(A1)', '\t=1', '\r=1']) {
    assert.ok(csvCell(text).replace(/^"/, '').startsWith("'"), text);
  }
  assert.equal(csvCell('=HYPERLINK("http://x","y")'), `"'=HYPERLINK(""http://x"",""y"")"`);
  assert.equal(csvCell('a=b'), 'a=b', 'only a leading starter matters');
  assert.equal(csvCell(-5), '-5', 'numbers we write ourselves are numbers');
});

test('a line joins its cells and ends with CRLF', () => {
  assert.equal(csvLine(['a', undefined, 'b,c']), 'a,,"b,c"\r\n');
});
