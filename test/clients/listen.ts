import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'

/** Puts a built app on a free 127.0.0.1 port (build() closes it in teardown) and returns its base URL. */
export async function listen (app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  return `http://127.0.0.1:${port}`
}
