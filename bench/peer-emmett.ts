import { dumbo } from '@event-driven-io/dumbo'
import { getPostgreSQLEventStore, readMessagesBatch } from '@event-driven-io/emmett-postgresql'

/**
 * Emmett's PostgreSQL event store, the peer the benchmark compares with, driven through its
 * public API: appendToStream for writes, readMessagesBatch (what its consumers use) for the
 * global read.
 */
export interface PeerStore {
  appendSingle(stream: string, data: Record<string, unknown>): Promise<void>
  appendBatch(stream: string, data: ReadonlyArray<Record<string, unknown>>): Promise<void>
  /** Reads the whole log in pages of `pageSize`; returns how many messages it read. */
  readAll(pageSize: number): Promise<number>
  close(): Promise<void>
}

export async function openEmmett(connectionString: string): Promise<PeerStore> {
  const store = getPostgreSQLEventStore(connectionString, { schema: { autoMigration: 'CreateOrUpdate' } })
  await store.schema.migrate()
  const pool = dumbo({ connectionString })
  return {
    async appendSingle(stream, data) {
      await store.appendToStream(stream, [{ type: 'price.changed', data }])
    },
    async appendBatch(stream, data) {
      await store.appendToStream(
        stream,
        data.map((d) => ({ type: 'price.changed', data: d })),
      )
    },
    async readAll(pageSize) {
      let read = 0
      let after = 0n
      for (;;) {
        const batch = await readMessagesBatch(pool.execute, { after, batchSize: pageSize })
        read += batch.messages.length
        if (batch.messages.length === 0 || !batch.areMessagesLeft) return read
        after = batch.currentGlobalPosition
      }
    },
    async close() {
      await store.close()
      await pool.close()
    },
  }
}
