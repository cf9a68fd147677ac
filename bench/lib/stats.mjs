// Percentiles and formatting for bench numbers.

/** The p-th percentile (0..100) by nearest rank of a non-empty list. */
export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

export const median = (values) => percentile(values, 50);
export const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
export const ms = (value, digits = 2) => `${value.toFixed(digits)} ms`;

/** Prints rows of cells as left-aligned columns, indented. */
export function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  for (const row of rows) console.log('   ' + row.map((c, i) => String(c).padEnd(widths[i])).join('  ').trimEnd());
}
