import { createClientRegistry, type ClientRegistry } from '../clients/client-registry.js'
import { withStore } from './with-store.js'

/** Opens the store, runs `fn` with the client registry (the admin API's rules), closes the store. */
export async function withClients<T> (fn: (clients: ClientRegistry) => Promise<T>): Promise<T> {
  return await withStore(async store => await fn(createClientRegistry({ store })))
}
