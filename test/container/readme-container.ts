import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { rebase, shBlocksOf } from '../clients/walkthrough.js'
import { BUILD, GLOBAL, RUN } from './podman.js'

export const SECTION = '## Container'

/** The ```sh blocks of the README's Container section, in order. */
export const extractContainerBlocks = (markdown: string): string[] => shBlocksOf(markdown, SECTION)

/**
 * The README's commands run as printed, with two translations, both outside
 * the printed text but one:
 * - `docker` is a script on PATH that runs podman with CI's flags
 *   (test/container/podman.ts): `docker build` → `podman build --isolation
 *   chroot --network host --format docker`, `docker run` → `podman run
 *   --runtime runc --ulimit … --network host`, anything else → `podman`.
 * - On the host network nothing is published: `docker run` drops `-p H:C`
 *   and passes `-e PORT=<free port>` instead, and the printed
 *   `http://localhost:8000` URLs are pointed at that port (the only change
 *   to the printed text, as in the curl walk-through test).
 */
export function writeDockerShim (dir: string): void {
  const words = (args: string[]) => args.join(' ')
  const script = `#!/usr/bin/env bash
set -euo pipefail
sub=$1; shift
case $sub in
  build) exec podman ${words(GLOBAL)} ${words(BUILD)} "$@" ;;
  run)
    args=()
    while (($#)); do
      case $1 in
        -p|--publish) shift 2 ;;
        *) args+=("$1"); shift ;;
      esac
    done
    exec podman ${words(GLOBAL)} ${words(RUN)} -e "PORT=$GATEHOUSE_TEST_PORT" "\${args[@]}" ;;
  *) exec podman ${words(GLOBAL)} "$sub" "$@" ;;
esac
`
  writeFileSync(join(dir, 'docker'), script)
  chmodSync(join(dir, 'docker'), 0o755)
}

/** One bash script of all blocks, so variables carry over; each block announces itself on stderr. */
export function containerScript (blocks: string[], port: number): string {
  return blocks
    .map((block, i) => `echo "### container block ${i + 1}" >&2\n${rebase(block, `http://localhost:${port}`)}`)
    .join('\n')
}
