// A table as text lines: each column as wide as its widest cell, two spaces between columns.

/** The header's line, then one per row. */
export function textTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join('  ')
      .trimEnd();
  return [header, ...rows].map(line);
}
