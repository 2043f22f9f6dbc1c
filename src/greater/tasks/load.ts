// Loads a task file into question/label rows, each with its source line. Formats: .csv, .tsv, .jsonl,
// and .json — which is a JSON array (or {"examples": [...]}) or, as in GReaTer's data/BBH/*.json, really
// a CSV file (ALGORITHM §1); the content decides. Column names are auto-detected or given explicitly.
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { UserError } from '../../engine';
import { parseDelimited } from './csv';
import { readInputText } from './inputFile';
import { JsonRow, parseJsonDocument, parseJsonLines } from './jsonRows';

export type DatasetFormat = 'csv' | 'tsv' | 'jsonl' | 'json';

export interface Example {
  /** 0-based position among the file's data rows. */
  index: number;
  /** 1-based line in the file where the row starts. */
  line: number;
  question: string;
  /** Gold answer as written in the file (GSM8K "…#### 1,234" already reduced to "1234"). */
  label: string;
}

export interface Dataset {
  /** Path as given by the caller; used in every message. */
  file: string;
  /** File name without extension, e.g. "date_understanding" — presets are chosen by it. */
  name: string;
  format: DatasetFormat;
  /** sha256 of the file bytes, for run.json. */
  sha256: string;
  columns: string[];
  questionField: string;
  answerField: string;
  examples: Example[];
}

export interface LoadOptions {
  questionField?: string;
  answerField?: string;
  /** Largest dataset accepted, in MiB (default DEFAULT_MAX_INPUT_MB). */
  maxMb?: number;
}

/** Auto-detection order for the question and answer columns (case-insensitive). */
export const QUESTION_FIELDS = ['goal', 'question', 'input', 'prompt'];
export const ANSWER_FIELDS = ['final_target', 'answer', 'target', 'label', 'output'];

const EXTENSIONS: Record<string, DatasetFormat> = { '.csv': 'csv', '.tsv': 'tsv', '.jsonl': 'jsonl', '.json': 'json' };

interface RawRow {
  line: number;
  get(column: string): unknown;
}

/** Column list for messages; a file with thousands of keys must not make a thousand-word error. */
function listColumns(columns: string[]): string {
  if (columns.length === 0) return '(none)';
  return columns.slice(0, 20).join(', ') + (columns.length > 20 ? ` and ${columns.length - 20} more` : '');
}

function pickField(explicit: string | undefined, candidates: string[], columns: string[], role: string, flag: string, file: string): string {
  if (explicit !== undefined) {
    if (columns.includes(explicit)) return explicit;
    throw new UserError(`${file}: no column '${explicit}' for the ${role} (${flag}); columns found: ${listColumns(columns)}`);
  }
  for (const c of candidates) {
    const hit = columns.find((col) => col.trim().toLowerCase() === c);
    if (hit !== undefined) return hit;
  }
  throw new UserError(`${file}: cannot tell which column holds the ${role}; expected one of ${candidates.join(', ')}, ` +
    `columns found: ${listColumns(columns)} — pass ${flag} <column>`);
}

/** GSM8K answers end with a line "#### 42" (thousands commas allowed): the number is the label. */
function gsm8kFinal(answer: string): string {
  const m = /(?:^|\n)####\s*([^\n]*?)\s*$/.exec(answer);
  if (!m) return answer;
  const v = m[1].replace(/,/g, '');
  return /^[-−]?\d+(\.\d+)?$/.test(v) ? v : m[1];
}

function cellText(v: unknown, column: string, line: number, file: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === undefined || v === null) {
    throw new UserError(`${file}:${line}: field '${column}' is ${v === null ? 'null' : 'missing'} (expected a string)`);
  }
  throw new UserError(`${file}:${line}: field '${column}' is ${Array.isArray(v) ? 'an array' : 'an object'} (expected a string or a number)`);
}

function delimitedRows(text: string, delimiter: ',' | '\t', file: string): { columns: string[]; rows: RawRow[] } {
  const records = parseDelimited(text, delimiter, file);
  if (records.length === 0) throw new UserError(`${file}: the file is empty (expected a header line and at least one data row)`);
  const columns = records[0].fields;
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c)) throw new UserError(`${file}:${records[0].line}: column '${c}' appears twice in the header`);
    seen.add(c);
  }
  const rows = records.slice(1).map((r): RawRow => {
    if (r.fields.length !== columns.length) {
      throw new UserError(`${file}:${r.line}: expected ${columns.length} fields (${columns.join(', ')}), found ${r.fields.length}` +
        ` — check the quoting of this row (a field with ${delimiter === ',' ? 'a comma, ' : ''}a quote or a line break must be wrapped in '"', inner quotes doubled)`);
    }
    return { line: r.line, get: (c) => r.fields[columns.indexOf(c)] };
  });
  return { columns, rows };
}

function jsonRows(rows: JsonRow[], file: string): { columns: string[]; rows: RawRow[] } {
  const columns: string[] = [];
  const seen = new Set<string>();
  const out = rows.map((r): RawRow => {
    if (r.value === null || typeof r.value !== 'object' || Array.isArray(r.value)) {
      throw new UserError(`${file}:${r.line}: expected a JSON object with question and answer fields, got ${r.value === null ? 'null' : Array.isArray(r.value) ? 'an array' : typeof r.value}`);
    }
    const obj = r.value as Record<string, unknown>;
    for (const k of Object.keys(obj)) if (!seen.has(k)) { seen.add(k); columns.push(k); }
    return { line: r.line, get: (c) => obj[c] };
  });
  return { columns, rows: out };
}

/** Decides the container from the extension, and for .json from the content (BBH's CSV-in-.json). */
function sniff(text: string, ext: string): DatasetFormat {
  const fmt = EXTENSIONS[ext];
  if (fmt !== 'json') return fmt;
  const first = text.trimStart()[0];
  if (first === '[') return 'json';
  if (first === '{') {
    // One object per line is JSON Lines even under a .json name; a single object holding an
    // "examples" array is a document.
    const firstLine = text.trimStart().split('\n')[0];
    try {
      const row = JSON.parse(firstLine) as Record<string, unknown>;
      const isContainer = Array.isArray(row.examples) || Array.isArray(row.data);
      return isContainer && !text.trim().includes('\n') ? 'json' : 'jsonl';
    } catch {
      return 'json';
    }
  }
  return 'csv';
}

/** A dataset file's table before any column is chosen: what a column mapper shows. */
export interface DatasetTable {
  format: DatasetFormat;
  columns: string[];
  /** number of data rows */
  total: number;
  /** the first `rows` data rows, every column as text (objects as JSON) */
  head: Record<string, string>[];
}

function readRaw(file: string, opts: LoadOptions) {
  const ext = path.extname(file).toLowerCase();
  if (!(ext in EXTENSIONS)) {
    throw new UserError(`${file}: unsupported file type '${ext || '(none)'}' (expected .csv, .tsv, .jsonl or .json)`);
  }
  const read = readInputText(file, { what: 'dataset', maxMb: opts.maxMb, limitFlag: '--max-task-mb' });
  const bytes = read.bytes;
  // CRLF/CR → LF, so every parser below sees one line convention.
  const text = read.text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const format = sniff(text, ext);
  if (text.trim() === '') throw new UserError(`${file}: the file is empty (expected ${format === 'jsonl' || format === 'json' ? 'JSON rows with a question and an answer' : 'a header line and at least one data row'})`);

  const { columns, rows } =
    format === 'csv' ? delimitedRows(text, ',', file)
      : format === 'tsv' ? delimitedRows(text, '\t', file)
        : jsonRows(format === 'jsonl' ? parseJsonLines(text, file) : parseJsonDocument(text, file), file);
  if (rows.length === 0) {
    throw new UserError(`${file}: no examples (expected at least one data row${format === 'csv' || format === 'tsv' ? ' after the header' : ''})`);
  }

  return { format, columns, rows, bytes };
}

/** The file's columns and first rows, whatever they are named (no question/answer column needed). */
export function readDatasetTable(file: string, rows = 5, opts: LoadOptions = {}): DatasetTable {
  const raw = readRaw(file, opts);
  const text = (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v));
  return {
    format: raw.format, columns: raw.columns, total: raw.rows.length,
    head: raw.rows.slice(0, rows).map((r) => Object.fromEntries(raw.columns.map((c) => [c, text(r.get(c))]))),
  };
}

export function loadDataset(file: string, opts: LoadOptions = {}): Dataset {
  const { format, columns, rows, bytes } = readRaw(file, opts);
  const questionField = pickField(opts.questionField, QUESTION_FIELDS, columns, 'question', '--question-field', file);
  const answerField = pickField(opts.answerField, ANSWER_FIELDS, columns, 'answer', '--answer-field', file);
  if (questionField === answerField) {
    throw new UserError(`${file}: question and answer would both come from column '${questionField}'; pass --question-field and --answer-field`);
  }

  const examples = rows.map((r, index): Example => {
    const question = cellText(r.get(questionField), questionField, r.line, file);
    const label = gsm8kFinal(cellText(r.get(answerField), answerField, r.line, file)).trim();
    if (question.trim() === '') throw new UserError(`${file}:${r.line}: empty question in column '${questionField}' (expected text)`);
    if (label === '') throw new UserError(`${file}:${r.line}: empty answer in column '${answerField}' (expected the gold answer)`);
    return { index, line: r.line, question, label };
  });

  return {
    file,
    name: path.basename(file, path.extname(file)),
    format,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    columns,
    questionField,
    answerField,
    examples,
  };
}
