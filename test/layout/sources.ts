import { readdirSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'

/** The repository root, for the layout tests. */
export const ROOT = resolve(import.meta.dirname, '..', '..')

/** Every .ts file below `folder`, as paths relative to ROOT. */
export function sources (folder: string): string[] {
  const dir = join(ROOT, folder)
  return readdirSync(dir).flatMap(name => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sources(relative(ROOT, path))
    return name.endsWith('.ts') ? [relative(ROOT, path)] : []
  })
}
