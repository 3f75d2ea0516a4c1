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
