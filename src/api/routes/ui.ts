import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyPluginAsync } from 'fastify'

/** The timeline explorer: plain ES modules and CSS from ui/, built only on the public API. */
export const uiDirectory = fileURLToPath(new URL('../../../ui/', import.meta.url))

export const uiRoutes: FastifyPluginAsync = async (app) => {
  await app.register(fastifyStatic, { root: uiDirectory, prefix: '/ui/', index: false, schemaHide: true })
  app.get('/', { config: { scope: 'none' }, schema: { hide: true } }, (_request, reply) =>
    reply.sendFile('index.html'),
  )
}
