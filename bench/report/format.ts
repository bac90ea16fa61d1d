/** Number formats and tables shared by the report's sections, as plain text and as markdown. */

export function fmt(value: number, digits = 1): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export const fmtInt = (value: number): string => fmt(value, 0);

/** A ratio with two decimals: how many times one figure is another. */
export const fmtRatio = (value: number): string => fmt(value, 2);

/** Latencies span microseconds to seconds: three significant digits, at most three decimals. */
export function fmtMs(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : value >= 1 ? 2 : 3;
  return fmt(value, digits);
}

/** CPU time over wall time, where 100% is one core. */
export const percentOfCore = (cpuS: number, seconds: number): string => (Number.isFinite(cpuS) ? `${fmt((cpuS / seconds) * 100, 0)}%` : 'n/a');

export interface Table {
  columns: string[];
  rows: string[][];
  /** Leading columns that hold names rather than figures: left-aligned. */
  labelColumns: number;
  /** Columns shown in bold in markdown: the figures a reader should look at first. */
  bold?: number[];
}

export function textTable(table: Table): string[] {
  const widths = table.columns.map((title, i) => Math.max(title.length, ...table.rows.map((cells) => (cells[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((cell, i) => (i < table.labelColumns ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(table.columns), ...table.rows.map(line)];
}

export function markdownTable(table: Table): string[] {
  const bold = new Set(table.bold ?? []);
  const align = table.columns.map((_, i) => (i < table.labelColumns ? '---' : '---:'));
  return [
    `| ${table.columns.join(' | ')} |`,
    `|${align.join('|')}|`,
    ...table.rows.map((cells) => `| ${cells.map((cell, i) => (bold.has(i) && cell !== 'n/a' && cell !== '–' ? `**${cell}**` : cell)).join(' | ')} |`),
  ];
}
