import { ConfigError, loadConfig } from '../../src/config.js'

/** The ConfigError that `load` (loadConfig by default) throws; anything else fails the test. */
export function configError (load: () => unknown): ConfigError {
  try {
    load()
  } catch (err) {
    if (err instanceof ConfigError) return err
    throw err
  }
  throw new Error('expected a ConfigError')
}

/** The message of the ConfigError that loading `env` throws. */
export function configProblem (env: Record<string, string>, system?: Parameters<typeof loadConfig>[1]): string {
  return configError(() => loadConfig(env, system)).message
}
