import type { Writable } from 'node:stream'

const WIDTH = 30
const EVERY_MS = 100

/**
 * A progress bar on one line of a terminal (standard error, so standard
 * output stays the command's result), redrawn at most every 100 ms; nothing
 * at all when `output` is not a terminal (a pipe, a file, CI).
 */
export function progressLine (output: Writable & { isTTY?: boolean }, label: string): { update: (done: number, total: number) => void, end: () => void } {
  if (output.isTTY !== true) return { update: () => {}, end: () => {} }
  let last = 0
  let drawn = false
  const draw = (done: number, total: number) => {
    const share = total === 0 ? 1 : done / total
    const filled = Math.round(share * WIDTH)
    output.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${done}/${total}`)
    drawn = true
  }
  return {
    update (done, total) {
      const now = Date.now()
      if (done < total && now - last < EVERY_MS) return
      last = now
      draw(done, total)
    },
    end () { if (drawn) output.write('\n') }
  }
}
