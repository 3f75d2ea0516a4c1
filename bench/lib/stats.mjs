/** Small numeric and formatting helpers for the bench report. */

export function median (values) {
  const sorted = values.filter(v => Number.isFinite(v)).sort((a, b) => a - b)
  if (sorted.length === 0) return NaN
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

export function round (value, digits = 0) {
  const factor = 10 ** digits
  return Math.round(value * factor) / factor
}

/** Renders rows (arrays of cells) as an aligned plain-text table with a header rule. */
export function table (header, rows) {
  const all = [header, ...rows].map(row => row.map(cell => String(cell)))
  const widths = header.map((_, i) => Math.max(...all.map(row => row[i].length)))
  const line = row => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')
  return [line(all[0]), widths.map(w => '-'.repeat(w)).join('  '), ...all.slice(1).map(line)].join('\n')
}
