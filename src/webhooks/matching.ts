import type { Catalogue } from '../catalogue/catalogue.js'

/** What a subscription asks for, resolved against the catalogue once. */
export interface SubscriptionFilter {
  readonly id: string
  readonly types: ReadonlySet<string>
  /** Empty: every subject. */
  readonly subjects: ReadonlySet<string>
}

export interface MatchableEvent {
  readonly position: number
  readonly type: string
  readonly subject: string
}

/** Type patterns (`price.*`, `*`, exact names) become the catalogue's type names. */
export function subscriptionFilter(
  catalogue: Catalogue,
  subscription: { id: string; types: readonly string[]; subjects: readonly string[] },
): SubscriptionFilter {
  return {
    id: subscription.id,
    types: new Set(subscription.types.flatMap((pattern) => catalogue.typesMatching(pattern))),
    subjects: new Set(subscription.subjects),
  }
}

export function matches(filter: SubscriptionFilter, event: MatchableEvent): boolean {
  return filter.types.has(event.type) && (filter.subjects.size === 0 || filter.subjects.has(event.subject))
}
