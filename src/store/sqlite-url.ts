/**
 * The file a `sqlite:` DATABASE_URL names: `sqlite:/abs/file`,
 * `sqlite:///abs/file`, or a path relative to the working directory
 * (`sqlite:data/x.sqlite`, `sqlite://data/x.sqlite`). Undefined for any other URL.
 */
export function sqliteFileOf (url: string): string | undefined {
  if (!url.startsWith('sqlite:')) return undefined
  const rest = url.slice('sqlite:'.length)
  return rest.startsWith('//') ? rest.slice(2) : rest
}
