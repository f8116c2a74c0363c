import http from 'node:http'
import type { AddressInfo } from 'node:net'

/** A receiver for the fan-out benchmark, in a process of its own: answers 204 and counts. */
let received = 0
const server = http.createServer((req, res) => {
  req.resume()
  req.on('end', () => {
    received++
    res.writeHead(204)
    res.end()
  })
})
server.keepAliveTimeout = 30_000
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`)
})
process.on('message', () => process.send?.(received))
process.on('disconnect', () => process.exit(0))
