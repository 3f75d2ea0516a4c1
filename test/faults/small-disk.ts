import { spawnSync } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'

/**
 * A small filesystem of its own (a tmpfs) that a test can fill up: a real
 * ENOSPC for the service's data files. Mounting needs root (CAP_SYS_ADMIN):
 * elsewhere the test is skipped, and fails under GATEHOUSE_REQUIRE_SERVICES=1
 * (CI runs as root on the same kind of machine).
 */
export function mountSmallDisk (t: Test, size = '8m'): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-disk-'))
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir])
  if (mounted.status !== 0) {
    rmSync(dir, { recursive: true, force: true })
    const message = `cannot mount a tmpfs (needs root with CAP_SYS_ADMIN): ${mounted.stderr?.toString().trim() ?? mounted.error?.message}`
    if (process.env.GATEHOUSE_REQUIRE_SERVICES === '1') t.fail(message)
    else t.skip(`${message}: skipped`, () => {})
    return undefined
  }
  t.teardown(() => {
    // Lazy: the service may still hold its files open until its own teardown kills it.
    spawnSync('umount', ['-l', dir])
    rmSync(dir, { recursive: true, force: true })
  })
  return dir
}

/** Writes `file` until the filesystem has no byte left (ENOSPC); delete it to give the space back. */
export function fillDisk (file: string): void {
  const fd = openSync(file, 'w')
  try {
    for (const size of [1 << 20, 1 << 12, 1]) {
      const chunk = Buffer.alloc(size)
      try {
        for (;;) writeSync(fd, chunk)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err
      }
    }
  } finally {
    closeSync(fd)
  }
}
