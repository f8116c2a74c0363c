import { type Kysely, sql } from 'kysely'
import type { Database } from '../db/schema.js'
import { logHead } from '../store/sql/head.js'

export interface ProjectionStatus {
  readonly name: string
  readonly position: number
  readonly headPosition: number
  readonly lag: number
  readonly status: 'running' | 'failing' | 'rebuilding'
  readonly lastError: string | null
  readonly lastErrorAt: string | null
  readonly generation: number
  readonly rebuild: {
    readonly generation: number
    readonly position: number
    readonly jobId: string | null
  } | null
}

export async function projectionStatuses(db: Kysely<Database>): Promise<ProjectionStatus[]> {
  const { rows } = await sql<{
    name: string
    status: 'running' | 'failing'
    last_error: string | null
    last_error_at: Date | null
    live_generation: number
    building_generation: number | null
    rebuild_job_id: string | null
    position: number
    rebuild_position: number | null
    head: number
  }>`
    select p.name, p.status, p.last_error, p.last_error_at, p.live_generation, p.building_generation,
           p.rebuild_job_id, live.position, building.position as rebuild_position,
           ${logHead} as head
      from projections p
      join projection_checkpoints live on live.name = p.name and live.generation = p.live_generation
      left join projection_checkpoints building on building.name = p.name and building.generation = p.building_generation
     order by p.name
  `.execute(db)
  return rows.map((r) => ({
    name: r.name,
    position: r.position,
    headPosition: r.head,
    lag: Math.max(0, r.head - r.position),
    status: r.status === 'failing' ? 'failing' : r.building_generation !== null ? 'rebuilding' : 'running',
    lastError: r.last_error,
    lastErrorAt: r.last_error_at?.toISOString() ?? null,
    generation: r.live_generation,
    rebuild:
      r.building_generation === null
        ? null
        : { generation: r.building_generation, position: r.rebuild_position ?? 0, jobId: r.rebuild_job_id },
  }))
}
