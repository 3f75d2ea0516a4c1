import { loadConfig, readEnvironment, type Config } from '../config.js'
import { openStore, type Store } from '../store/store.js'

/** Opens the store the service's configuration names, runs `fn` with it, closes the store. */
export async function withStore<T> (fn: (store: Store, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig(readEnvironment())
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 })
  try {
    return await fn(store, config)
  } finally {
    await store.close()
  }
}
