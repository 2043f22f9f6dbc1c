// Delimited-text reader (CSV and TSV) for task files. RFC 4180 quoting: a field may be wrapped in '"',
// a '"' inside it is doubled, and quoted fields may span lines (every BBH/FOLIO goal with an "Options:"
// block does). Written here rather than taken from npm because we need the physical line each record
// starts on for error messages, and strict errors instead of silent repair (GSM8K test.csv row 707).
import { UserError } from '../../engine';

export interface DelimitedRecord {
  fields: string[];
  /** 1-based physical line where the record starts. */
  line: number;
}

/**
 * Splits `text` (LF line endings; the loader normalises CRLF) into records. Empty lines between
 * records are skipped, as pandas does. A '"' inside an unquoted field is kept as a literal character;
 * anything but a delimiter or a line end after a closing quote is an error, because it means the
 * quoting is broken and the row boundaries cannot be trusted.
 */
export function parseDelimited(text: string, delimiter: ',' | '\t', file: string): DelimitedRecord[] {
  const records: DelimitedRecord[] = [];
  const n = text.length;
  let i = 0;
  let line = 1;
  while (i < n) {
    if (text[i] === '\n') { // blank line
      i++;
      line++;
      continue;
    }
    const start = line;
    const fields: string[] = [];
    for (;;) {
      let field: string;
      if (text[i] === '"') {
        const openLine = line;
        i++;
        field = '';
        for (;;) {
          const j = text.indexOf('"', i);
          if (j < 0) {
            throw new UserError(`${file}:${openLine}: quoted field never closed (expected a closing '"' before the end of the file)`);
          }
          const seg = text.slice(i, j);
          for (let k = seg.indexOf('\n'); k >= 0; k = seg.indexOf('\n', k + 1)) line++;
          field += seg;
          if (text[j + 1] === '"') { // doubled quote = one literal quote
            field += '"';
            i = j + 2;
            continue;
          }
          i = j + 1;
          break;
        }
        const c = text[i];
        if (i < n && c !== delimiter && c !== '\n') {
          throw new UserError(`${file}:${line}: unexpected ${JSON.stringify(c)} after the closing quote of a quoted field ` +
            `(expected ${delimiter === ',' ? "','" : 'a tab'} or a line end; a '"' inside a quoted field must be doubled)`);
        }
      } else {
        let j = i;
        while (j < n && text[j] !== delimiter && text[j] !== '\n') j++;
        field = text.slice(i, j);
        i = j;
      }
      fields.push(field);
      if (i < n && text[i] === delimiter) {
        i++;
        continue;
      }
      if (i < n) { // the '\n' that ends the record
        i++;
        line++;
      }
      break;
    }
    records.push({ fields, line: start });
  }
  return records;
}
