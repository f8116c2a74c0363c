import type { Kysely } from 'kysely'

/** The read models a diff compares, in the order its changes are listed. */
export const diffModels = [
  'price',
  'alliance',
  'alliance-member',
  'funding-round',
  'valuation',
  'product',
  'relation',
  'metric',
] as const
export type DiffModel = (typeof diffModels)[number]

/** What identifies a row within its model, e.g. `{ product: 'qwen-long', component: 'input' }`, in this order. */
export type RowKey = Readonly<Record<string, string | null>>

/**
 * A row at a point in time, exactly as its model's query answers it (plain JSON), with the
 * events behind it: at least one, so that every change can name what it came from.
 */
export interface ComparableRow {
  readonly key: RowKey
  readonly row: unknown
  readonly eventIds: readonly string[]
}

/** A point on both time axes; `reportedBy` is the same bound for every point of one diff. */
export interface DiffPoint {
  readonly asOf: Date
  readonly knownAt: Date
  readonly reportedBy?: Date | undefined
}

/** What a diff looks at: the whole market (nothing given), or one company, product or alliance. */
export interface DiffScope {
  readonly company?: string
  readonly product?: string
  readonly alliance?: string
}

/**
 * How one read model takes part in a diff: its rows at a point, within a scope. It lives beside
 * its projection and reads through the projection's own query functions.
 */
/** A diff's points: A, B, and M = (B's asOf, A's knownAt) where it is neither. */
export interface DiffPoints {
  readonly from: DiffPoint
  readonly to: DiffPoint
  readonly middle?: DiffPoint | undefined
}

/** A model's rows at a diff's points; `middle` is given where its points are. */
export interface RowsAtDiffPoints {
  readonly from: ComparableRow[]
  readonly to: ComparableRow[]
  readonly middle?: ComparableRow[] | undefined
}

/**
 * Reads that the comparables of one history share: two models made of the same rows (a company's
 * funding rounds and its valuations) read them once. One is made for each history and goes with it.
 */
export interface SharedReads {
  /** What `read` answers, read once under `key` for everyone who asks. */
  once<T>(key: string, read: () => Promise<T>): Promise<T>
}

export function sharedReads(): SharedReads {
  const reads = new Map<string, Promise<unknown>>()
  return {
    once<T>(key: string, read: () => Promise<T>): Promise<T> {
      const known = reads.get(key)
      if (known) return known as Promise<T>
      const reading = read()
      reads.set(key, reading)
      return reading
    },
  }
}

export interface Comparable {
  readonly model: DiffModel
  /** The read models its rows are read from. */
  readonly readModels: readonly string[]
  rowsAt<DB>(db: Kysely<DB>, at: DiffPoint, scope: DiffScope): Promise<ComparableRow[]>
  /**
   * Its rows at many points at once, in the order of `points`, each as `rowsAt` answers it: a
   * subject's history reads a model at every instant one of the subject's facts took effect.
   * Without it, or where it answers undefined (a scope it does not batch), `rowsAt` is asked
   * once per point.
   */
  rowsAtPoints?<DB>(
    db: Kysely<DB>,
    points: readonly DiffPoint[],
    scope: DiffScope,
    shared: SharedReads,
  ): Promise<ComparableRow[][] | undefined>
  /**
   * Its rows at a diff's points, only for the keys that can differ between A and B: found from the
   * change points that lie between them, in valid time or in what was known, through an index
   * rather than the model's whole state. Every key left out must have the same row at A and B;
   * every key given, its rows exactly as `rowsAt` answers them. Without it, `rowsAt` is asked at
   * each point.
   */
  rowsBetween?<DB>(db: Kysely<DB>, points: DiffPoints, scope: DiffScope): Promise<RowsAtDiffPoints>
}
