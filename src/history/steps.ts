import { compareKeys, keyText } from '../diff/compare.js'
import { jsonEqual } from '../diff/json-equal.js'
import { type ComparableRow, type DiffModel, diffModels, type RowKey } from '../diff/model.js'
import { modelsStepped, type SubjectFact } from './facts.js'
import { planTargetOf } from './plans.js'
import type { HistoryChange } from './schemas.js'

/** A point on both time axes at which a model's rows are read. */
export interface HistoryPoint {
  readonly asOf: Date
  readonly knownAt: Date
}

/** A model's rows at a point, read beforehand for every point `pointsNeeded` names. */
export type RowsAt = (point: HistoryPoint, model: DiffModel) => readonly ComparableRow[]

/** A row's step between two points: its key, and the row before and after (undefined: absent). */
interface Step {
  readonly key: RowKey
  readonly before: ComparableRow | undefined
  readonly after: ComparableRow | undefined
}

const instantBefore = (t: Date): Date => new Date(t.getTime() - 1)

export function pointKey(point: HistoryPoint): string {
  return `${point.asOf.getTime()}/${point.knownAt.getTime()}`
}

/**
 * What was known when a fact's change is told: the history's knownAt for a fact that stands; for a
 * retracted one, the instant before its retraction was recorded — the state as the fact claimed it.
 */
function knowledgeFor(fact: SubjectFact, knownAt: Date): Date {
  return fact.retracted ? instantBefore(fact.retracted.at) : knownAt
}

/** Every point whose rows the history compares: a millisecond before and at each fact's effectiveFrom. */
export function pointsNeeded(facts: readonly SubjectFact[], knownAt: Date): HistoryPoint[] {
  const points = new Map<string, HistoryPoint>()
  const add = (point: HistoryPoint) => points.set(pointKey(point), point)
  for (const fact of facts) {
    const known = knowledgeFor(fact, knownAt)
    add({ asOf: fact.effectiveFrom, knownAt: known })
    if (fact.status === null) add({ asOf: instantBefore(fact.effectiveFrom), knownAt: known })
  }
  return [...points.values()]
}

/**
 * The subject's history: each step of a row, in each of `models`, at the effectiveFrom of one of
 * its facts — a row that differs a millisecond before and at that instant, and that names one of
 * the subject's events. Facts that stand are compared as known at `knownAt`; a retracted fact as
 * known just before its retraction, so that it shows what it claimed and changes no standing
 * step; a planned or announced fact is shown beside the row in effect, which it does not change.
 */
export function historyOf(
  subject: string,
  facts: readonly SubjectFact[],
  models: readonly DiffModel[],
  rowsAt: RowsAt,
  knownAt: Date,
): HistoryChange[] {
  const ours = new Set(facts.map((f) => f.id.toLowerCase()))
  const steps = (t: Date, known: Date, model: DiffModel): Step[] =>
    stepsBetween(
      rowsAt({ asOf: instantBefore(t), knownAt: known }, model),
      rowsAt({ asOf: t, knownAt: known }, model),
    )
  const changes: HistoryChange[] = []

  const standing = facts.filter((f) => f.status === null && f.retracted === null)
  for (const group of byInstant(standing)) {
    const t = (group[0] as SubjectFact).effectiveFrom
    for (const model of models) {
      for (const step of steps(t, knownAt, model)) {
        if (namesAny(step, ours)) changes.push(changeOf(causeOf(step, group, model), model, step))
      }
    }
  }

  for (const fact of facts.filter((f) => f.status === null && f.retracted !== null)) {
    const known = knowledgeFor(fact, knownAt)
    const all = models.flatMap((model) =>
      steps(fact.effectiveFrom, known, model).map((step) => ({ model, step })),
    )
    const own = all.filter(({ step }) => namesAny(step, new Set([fact.id.toLowerCase()])))
    const stepped = modelsStepped(fact.type)
    const chosen = own.length
      ? own
      : all.filter(({ model, step }) => stepped.includes(model) && namesAny(step, ours))
    for (const { model, step } of chosen) changes.push(changeOf(fact, model, step))
  }

  for (const fact of facts.filter((f) => f.status !== null)) {
    const target = planTargetOf(subject, fact)
    if (target === undefined || !models.includes(target.model)) continue
    const rows = rowsAt({ asOf: fact.effectiveFrom, knownAt: knowledgeFor(fact, knownAt) }, target.model)
    const text = keyText(target.key)
    const before = rows.find((r) => keyText(r.key) === text)
    const sibling = rows.find((r) => r.key.product === subject)
    const after = target.after(before?.row ?? sibling?.row)
    changes.push({ ...changeOf(fact, target.model, { key: target.key, before, after: undefined }), after })
  }

  const position = new Map(facts.map((f) => [f.id, f.position]))
  const rank = (model: DiffModel) => diffModels.indexOf(model)
  return changes.sort(
    (a, b) =>
      a.effectiveFrom.localeCompare(b.effectiveFrom) ||
      (position.get(a.eventId) ?? 0) - (position.get(b.eventId) ?? 0) ||
      rank(a.model) - rank(b.model) ||
      compareKeys(a.key, b.key),
  )
}

/** The rows that differ between two states of a model, by key and by deep equality of their JSON. */
function stepsBetween(from: readonly ComparableRow[], to: readonly ComparableRow[]): Step[] {
  if (from === to) return []
  // The same row at the same place in both states is the same key, unchanged (keys are unique in a
  // state): a model's rows at consecutive instants mostly share such a run from the start.
  let same = 0
  while (same < from.length && same < to.length && from[same] === to[same]) same++
  const before = new Map(from.slice(same).map((r) => [textOf(r.key), r]))
  const after = new Map(to.slice(same).map((r) => [textOf(r.key), r]))
  const steps: Step[] = []
  for (const text of new Set([...before.keys(), ...after.keys()])) {
    const b = before.get(text)
    const a = after.get(text)
    if (b && a && jsonEqual(b.row, a.row)) continue
    steps.push({ key: (a ?? b)?.key as RowKey, before: b, after: a })
  }
  return steps
}

/** Rows recur across a history's points (a model's rows at many instants): each key's text once. */
const keyTexts = new WeakMap<RowKey, string>()
function textOf(key: RowKey): string {
  const known = keyTexts.get(key)
  if (known !== undefined) return known
  const text = keyText(key)
  keyTexts.set(key, text)
  return text
}

function namesAny(step: Step, ids: ReadonlySet<string>): boolean {
  return [...(step.before?.eventIds ?? []), ...(step.after?.eventIds ?? [])].some((id) =>
    ids.has(id.toLowerCase()),
  )
}

/**
 * Which of the facts taking effect at one instant brought a step: the one its new row names,
 * else the one its old row names, else one of a type that steps the model, else the last.
 */
function causeOf(step: Step, group: readonly SubjectFact[], model: DiffModel): SubjectFact {
  const named = (row: ComparableRow | undefined) =>
    group.find((f) => row?.eventIds.some((id) => id.toLowerCase() === f.id.toLowerCase()))
  return (
    named(step.after) ??
    named(step.before) ??
    group.findLast((f) => modelsStepped(f.type).includes(model)) ??
    (group.at(-1) as SubjectFact)
  )
}

/** Facts grouped by effectiveFrom, each group in log order. */
function byInstant(facts: readonly SubjectFact[]): SubjectFact[][] {
  const groups = new Map<number, SubjectFact[]>()
  for (const f of facts) {
    const t = f.effectiveFrom.getTime()
    groups.set(t, [...(groups.get(t) ?? []), f])
  }
  return [...groups.values()].map((g) => g.sort((a, b) => a.position - b.position))
}

function changeOf(fact: SubjectFact, model: DiffModel, step: Step): HistoryChange {
  return {
    effectiveFrom: fact.effectiveFrom.toISOString(),
    precision: fact.precision,
    model,
    key: step.key,
    before: step.before?.row ?? null,
    after: step.after?.row ?? null,
    eventId: fact.id,
    recordedAt: fact.recordedAt.toISOString(),
    source: fact.source,
    retracted: fact.retracted
      ? {
          at: fact.retracted.at.toISOString(),
          reason: fact.retracted.reason,
          eventId: fact.retracted.eventId,
        }
      : null,
    planned: fact.status !== null,
    status: fact.status,
  }
}
