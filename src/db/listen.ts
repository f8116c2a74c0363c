import pg from 'pg'

export interface Listener {
  /** True while the LISTEN connection is up: notifications may be missed otherwise. */
  readonly connected: boolean
  close(): Promise<void>
}

/**
 * LISTENs on `channel` over a connection of its own, outside any pool, and reconnects a second
 * after losing it. `onChange(connected)` reports each change of state; a (re)connection means
 * notifications may have been missed while it was down.
 */
export function listen(
  url: string,
  channel: string,
  onNotify: (payload: string | undefined) => void,
  onChange: (connected: boolean, error?: unknown) => void,
): Listener {
  let client: pg.Client | undefined
  let retry: NodeJS.Timeout | undefined
  let closed = false

  const scheduleRetry = () => {
    if (closed || retry) return
    retry = setTimeout(() => {
      retry = undefined
      void connect()
    }, 1000)
  }
  const connect = async () => {
    if (closed) return
    const next = new pg.Client({ connectionString: url, application_name: `market-timeline-${channel}` })
    next.on('notification', (message) => onNotify(message.payload))
    next.on('error', () => {
      /* 'end' follows */
    })
    next.on('end', () => {
      if (client === next) {
        client = undefined
        onChange(false)
      }
      scheduleRetry()
    })
    try {
      await next.connect()
      await next.query(`listen ${pg.escapeIdentifier(channel)}`)
      client = next
      onChange(true)
    } catch (error) {
      onChange(false, error)
      await next.end().catch(() => {})
      scheduleRetry()
    }
  }
  void connect()

  return {
    get connected() {
      return client !== undefined
    },
    async close() {
      closed = true
      clearTimeout(retry)
      await client?.end().catch(() => {})
    },
  }
}
