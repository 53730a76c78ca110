// A CSV file of numbers as a table (browser-safe: bytes in, arrays out), parsed by
// csv-parse. Rules, in the order they apply:
// - the text must be UTF-8 (a BOM is dropped); cells are trimmed; blank lines are skipped;
// - header: the first row is a header when any of its cells is not a number (or when
//   `header` is forced true; forced false makes every row data);
// - every row has as many cells as the first; a ragged row is a FormatError naming it;
// - `labelColumn` (a header name, or a 0-based index, negative counting from the end) is
//   held out as the label: when every label cell is an integer the classes sort
//   numerically, otherwise they are strings sorted by code unit; labels are class indices;
// - every other cell is a finite decimal number ("1", "-2.5", "3e-4"); an empty or other
//   cell is a DataError naming the row (the file's line number, as a spreadsheet shows it)
//   and the column (name and 0-based index).
import { parse, CsvError } from 'csv-parse/sync';
import { ArgumentError, DataError, FormatError } from '../../errors.js';

export interface CsvOptions {
  /** Force the first row to be (true) or not be (false) a header; detected when absent. */
  header?: boolean;
  /** The column held out as the label: a header name, or an index (0-based; -1 is the last). */
  labelColumn?: string | number;
  /** Cell separator, one character; default ','. */
  delimiter?: string;
}

export interface CsvTable {
  n: number;
  features: number;
  /** n x features, row-major. */
  data: Float64Array;
  /** Names from the header row (without the label column), or "column i" for a file without one. */
  featureNames: string[];
  hasHeader: boolean;
  labels?: Int32Array;
  labelNames?: string[];
}

const NUMBER = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const INTEGER = /^[+-]?[0-9]+$/;

/** Parses `bytes` as a numeric table; `file` names it in errors. */
export function parseCsv(bytes: Uint8Array, file: string, options: CsvOptions = {}): CsvTable {
  const delimiter = options.delimiter ?? ',';
  if (typeof delimiter !== 'string' || delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new ArgumentError(`CSV delimiter must be one character other than a quote or newline, got ${JSON.stringify(delimiter)}`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new FormatError(`${file}: not UTF-8 text; expected a CSV file of numbers`);
  }
  let records: { info: { lines: number }; record: string[] }[];
  try {
    records = parse(text, { bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, info: true, delimiter }) as unknown as typeof records;
  } catch (err) {
    if (err instanceof CsvError) throw new FormatError(`${file}: not a valid CSV file: ${err.message}`, { cause: err });
    throw err;
  }
  if (records.length === 0) throw new DataError(`${file}: the CSV file has no rows`);
  // The line a record starts on: quoted cells may span lines, and info counts to the end.
  const rowOf = (r: number) => {
    const { info, record } = records[r]!;
    let inside = 0;
    for (const cell of record) for (let i = cell.indexOf('\n'); i >= 0; i = cell.indexOf('\n', i + 1)) inside++;
    return info.lines - inside;
  };
  const first = records[0]!.record;
  const hasHeader = options.header ?? first.some((cell) => !NUMBER.test(cell));
  const columns = first.length;
  const names = hasHeader ? first : first.map((_, i) => `column ${i}`);
  const label = labelIndex(options.labelColumn, names, hasHeader, file);
  const start = hasHeader ? 1 : 0;
  const n = records.length - start;
  if (n === 0) throw new DataError(`${file}: the CSV file has a header row and no data rows`);
  const features = columns - (label === undefined ? 0 : 1);
  if (features === 0) throw new DataError(`${file}: no feature columns left after holding out label column ${label} (${JSON.stringify(names[label!])})`);
  const data = new Float64Array(n * features);
  const labelCells: string[] = [];
  const where = (r: number, c: number) => `row ${rowOf(r)}, column ${JSON.stringify(names[c])} (index ${c})`;
  for (let r = start; r < records.length; r++) {
    const cells = records[r]!.record;
    if (cells.length !== columns) {
      throw new FormatError(`${file}: row ${rowOf(r)} has ${cells.length} cells, expected ${columns} (as in row ${rowOf(0)})`);
    }
    let k = (r - start) * features;
    for (let c = 0; c < columns; c++) {
      const cell = cells[c]!;
      if (c === label) {
        if (cell === '') throw new DataError(`${file}: ${where(r, c)}: the label cell is empty`);
        labelCells.push(cell);
        continue;
      }
      if (cell === '') throw new DataError(`${file}: ${where(r, c)}: the cell is empty; expected a number`);
      if (!NUMBER.test(cell)) throw new DataError(`${file}: ${where(r, c)}: ${JSON.stringify(cell.length > 40 ? `${cell.slice(0, 37)}...` : cell)} is not a number`);
      const v = Number(cell);
      if (!Number.isFinite(v)) throw new DataError(`${file}: ${where(r, c)}: ${cell} is outside the float64 range`);
      data[k++] = v;
    }
  }
  const table: CsvTable = { n, features, data, featureNames: names.filter((_, c) => c !== label), hasHeader };
  if (label !== undefined) Object.assign(table, classIndices(labelCells));
  return table;
}

function labelIndex(column: string | number | undefined, names: readonly string[], hasHeader: boolean, file: string): number | undefined {
  if (column === undefined) return undefined;
  if (typeof column === 'number') {
    if (!Number.isInteger(column) || column < -names.length || column >= names.length) {
      throw new ArgumentError(`${file}: label column ${column} is outside the ${names.length} columns (0 .. ${names.length - 1}, or -1 for the last)`);
    }
    return column < 0 ? names.length + column : column;
  }
  if (!hasHeader) throw new ArgumentError(`${file}: label column ${JSON.stringify(column)} is a name but the file has no header row; give an index`);
  const found = names.indexOf(column);
  if (found < 0) throw new ArgumentError(`${file}: no column named ${JSON.stringify(column)}; the header has ${names.slice(0, 20).map((s) => JSON.stringify(s)).join(', ')}${names.length > 20 ? ', ...' : ''}`);
  if (names.indexOf(column, found + 1) >= 0) throw new ArgumentError(`${file}: the header names ${JSON.stringify(column)} twice; give the label column by index`);
  return found;
}

/** Sorted distinct values as class names (numerically when all are integers), and each cell's index. */
export function classIndices(cells: readonly string[]): { labels: Int32Array; labelNames: string[] } {
  const integers = cells.every((c) => INTEGER.test(c) && Number.isSafeInteger(Number(c)));
  const keys = integers ? cells.map((c) => String(Number(c))) : cells;
  const distinct = [...new Set(keys)];
  const labelNames = integers ? distinct.sort((a, b) => Number(a) - Number(b)) : distinct.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const index = new Map(labelNames.map((name, i) => [name, i]));
  return { labels: Int32Array.from(keys, (k) => index.get(k)!), labelNames };
}
