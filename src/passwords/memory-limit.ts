import { readFileSync } from 'node:fs'
import { totalmem } from 'node:os'

const readLimit = (path: string): number | undefined => {
  try {
    const text = readFileSync(path, 'utf8').trim()
    const bytes = Number(text)
    // cgroup v2 writes "max" and v1 a huge number (about 2^63) for "no limit".
    return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined
  } catch {
    return undefined
  }
}

/** The memory this process may use: its cgroup's limit (v2, then v1) when set, else the machine's RAM. */
export function memoryLimitBytes (): number {
  const cgroup = readLimit('/sys/fs/cgroup/memory.max') ?? readLimit('/sys/fs/cgroup/memory/memory.limit_in_bytes')
  return Math.min(cgroup ?? Infinity, totalmem())
}
