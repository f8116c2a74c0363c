import type { Kysely } from 'kysely'
import type PgBoss from 'pg-boss'
import type { WebhookConfig } from '../config.js'
import type { Database } from '../db/schema.js'
import { recordSettlements, type Settlement, type SettlementLog } from './settlements.js'

const FLUSH_BATCH = 200
const FLUSH_DELAY_MS = 10

export interface SettlementBatchesOptions {
  readonly db: Kysely<Database>
  readonly boss: PgBoss
  readonly config: WebhookConfig
  readonly log: SettlementLog
  /** After each batch written: how many of its settlements are recorded. */
  readonly recorded: (count: number) => void
}

export interface SettlementBatches {
  settle(settlement: Settlement): void
  /** Writes every settlement waiting, and waits for the write under way. */
  drain(): Promise<void>
}

/**
 * Gathers settled jobs and writes them a batch at a time (at 200, or 10 ms after the first),
 * one write at a time. What the database could not take is kept and tried again a second later.
 */
export function settlementBatches(options: SettlementBatchesOptions): SettlementBatches {
  const { db, boss, config, log } = options
  const settled: Settlement[] = []
  let flushing: Promise<void> | undefined
  let flushTimer: NodeJS.Timeout | undefined

  const settle = (settlement: Settlement) => {
    settled.push(settlement)
    if (settled.length >= FLUSH_BATCH) void flush()
    else flushTimer ??= setTimeout(() => void flush(), FLUSH_DELAY_MS)
  }

  const flush = async (): Promise<void> => {
    clearTimeout(flushTimer)
    flushTimer = undefined
    if (flushing) {
      await flushing
      if (settled.length > 0) return flush()
      return
    }
    const batch = settled.splice(0)
    if (batch.length === 0) return
    flushing = recordSettlements(db, boss, config, batch, log)
      .catch((error: unknown) => {
        log.error({ err: error }, 'could not record webhook attempts; trying again')
        return batch
      })
      .then(async (unrecorded) => {
        options.recorded(batch.length - unrecorded.length)
        if (unrecorded.length === 0) return
        settled.unshift(...unrecorded)
        await new Promise((resolve) => setTimeout(resolve, 1000))
      })
      .finally(() => {
        flushing = undefined
      })
    await flushing
    if (settled.length > 0 && !flushTimer) flushTimer = setTimeout(() => void flush(), FLUSH_DELAY_MS)
  }

  return {
    settle,
    async drain() {
      await flush()
      await flushing
    },
  }
}
