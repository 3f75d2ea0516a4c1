#!/usr/bin/env node
// The `gatehouse` command (package.json "bin"): the CLI, the same in a clone
// and in the container. In a clone it compiles first when the sources are newer
// than dist/; the image has no sources and runs dist/ as built.
import { existsSync } from 'node:fs'

const sources = new URL('../src/', import.meta.url)
if (existsSync(sources)) {
  const { ensureBuild } = await import('../scripts/ensure-build.mjs')
  ensureBuild()
}
await import('../dist/src/cli/main.js')
