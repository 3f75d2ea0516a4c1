import { Command, type ErrorOptions, type HelpContext } from 'commander'

/** Usage errors (an unknown option or command, a missing argument) exit with 2, like most Unix tools. */
export const USAGE_EXIT_CODE = 2

/** 'user add' for the command `gatehouse user add`; '' for the program itself. */
export function commandPath (command: Command): string {
  const names: string[] = []
  for (let c: Command | null = command; c?.parent != null; c = c.parent) names.unshift(c.name())
  return names.join(' ')
}

/**
 * commander's Command with gatehouse's messages: one line naming the command
 * (`gatehouse: unknown option '--emial' for 'user add' (did you mean
 * --email?)`), then where to find its usage, exit code 2.
 */
export class GatehouseCommand extends Command {
  constructor (name?: string) {
    super(name)
    // Errors are thrown to main.ts, which sets the exit code: process.exit could cut a piped output short.
    this.exitOverride()
    // `gatehouse help <command…>` is the program's own command (program.ts): it reaches subcommands too.
    this.helpCommand(false)
  }

  override createCommand (name?: string): GatehouseCommand {
    return new GatehouseCommand(name)
  }

  override error (message: string, options?: ErrorOptions): never {
    const path = commandPath(this)
    const [first = '', ...rest] = message.replace(/^error: /, '').split('\n')
    const suggestion = /\(Did you mean (.+)\?\)/.exec(rest.join(' '))?.[1]
    // commander names the command in some messages ("too many arguments for 'add'. …"): name it once, in full.
    let text = first.replace(/ for '[^']*'/, '')
    if (path !== '') {
      const stop = text.indexOf('. ')
      text = stop < 0 ? `${text} for '${path}'` : `${text.slice(0, stop)} for '${path}'${text.slice(stop)}`
    }
    if (suggestion !== undefined) text += ` (did you mean ${suggestion}?)`
    return super.error(`gatehouse: ${text}\nSee 'gatehouse help${path === '' ? '' : ` ${path}`}'.`, { ...options, exitCode: USAGE_EXIT_CODE })
  }

  /** A command that needs a subcommand and got none: say so before the usage (commander prints only the usage). */
  override help (context?: HelpContext): never
  override help (cb: (str: string) => string): never
  override help (context?: HelpContext | ((str: string) => string)): never {
    if (typeof context === 'object' && context.error === true) {
      const path = commandPath(this)
      process.stderr.write(`gatehouse: missing command${path === '' ? '' : ` for '${path}'`}\n\n`)
    }
    return super.help(context as HelpContext)
  }
}
