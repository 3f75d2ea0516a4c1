import { CommanderError } from 'commander'
import { ConfigError } from '../config.js'
import { ServiceError } from '../errors.js'
import { USAGE_EXIT_CODE } from './command.js'
import { KeyFileExistsError } from './keys.js'
import { PasswordMismatchError } from './read-password.js'
import { buildProgram } from './program.js'

/** The exit code for what a command threw; its message has been written to standard error. */
function report (err: unknown): number {
  if (err instanceof CommanderError) {
    // commander has printed the help or the usage error already.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0
    return err.code === 'commander.help' ? USAGE_EXIT_CODE : err.exitCode
  }
  if (err instanceof ConfigError || err instanceof KeyFileExistsError) process.stderr.write(`${err.message}\n`)
  else if (err instanceof ServiceError || err instanceof PasswordMismatchError) process.stderr.write(`error: ${err.message}\n`)
  else process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`)
  return 1
}

// `gatehouse --help | head`: the reader has gone, so there is nobody left to tell.
process.stdout.on('error', (err: NodeJS.ErrnoException) => { if (err.code !== 'EPIPE') throw err })

const program = buildProgram(text => { process.stdout.write(`${text}\n`) })
program.parseAsync(process.argv.slice(2), { from: 'user' }).then(
  () => {},
  (err: unknown) => { process.exitCode = report(err) }
)
