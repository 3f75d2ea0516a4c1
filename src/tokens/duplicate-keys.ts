/**
 * True when some JSON object in `json` names the same member twice (after
 * unescaping, so `"sub"` and `"s\u0075b"` collide). JSON.parse keeps the last
 * one, other parsers the first: a token whose meaning depends on the parser is
 * refused (RFC 7515 §5.2 lets a JWS parser reject duplicate names).
 * Expects text that JSON.parse already accepted.
 */
export function hasDuplicateKeys (json: string): boolean {
  // One entry per open container: the member names seen so far, or null for an array.
  const open: Array<Set<string> | null> = []
  let expectingName = false
  for (let i = 0; i < json.length; i++) {
    const c = json[i]
    if (c === '"') {
      let end = i + 1
      while (end < json.length && json[end] !== '"') end += json[end] === '\\' ? 2 : 1
      const names = open[open.length - 1]
      if (expectingName && names instanceof Set) {
        // A name without escapes is its own text; only an escaped one needs unescaping.
        const raw = json.slice(i + 1, end)
        const name = raw.includes('\\') ? JSON.parse(json.slice(i, end + 1)) as string : raw
        if (names.has(name)) return true
        names.add(name)
        expectingName = false
      }
      i = end
    } else if (c === '{') {
      open.push(new Set())
      expectingName = true
    } else if (c === '[') {
      open.push(null)
      expectingName = false
    } else if (c === '}' || c === ']') {
      open.pop()
      expectingName = false
    } else if (c === ',') {
      expectingName = open[open.length - 1] instanceof Set
    }
  }
  return false
}

/** How many strings (member names and string values) a parsed JSON value holds. */
function stringsIn (value: unknown): number {
  if (typeof value === 'string') return 1
  if (value === null || typeof value !== 'object') return 0
  let count = 0
  if (Array.isArray(value)) {
    for (const item of value) count += stringsIn(item)
    return count
  }
  for (const name of Object.keys(value)) count += 1 + stringsIn((value as Record<string, unknown>)[name])
  return count
}

/**
 * hasDuplicateKeys for a text JSON.parse turned into `value`, cheaply when it
 * can. In a text without a backslash every quote delimits a string, and
 * JSON.parse keeps one string per quoted string of the text except where a
 * repeated member name replaced an earlier member (its name and its value are
 * dropped). So when `value` holds half as many strings as the text has
 * quotes, no name was repeated; otherwise the full scan decides.
 */
export function hasDuplicateKeysParsed (json: string, value: unknown): boolean {
  if (json.includes('\\')) return hasDuplicateKeys(json)
  let quotes = 0
  for (let at = json.indexOf('"'); at !== -1; at = json.indexOf('"', at + 1)) quotes++
  return quotes === 2 * stringsIn(value) ? false : hasDuplicateKeys(json)
}
