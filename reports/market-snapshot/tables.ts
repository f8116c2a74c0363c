import type { ReportTable } from '../../src/reports/report.js'
import type { MarketSnapshot } from './schema.js'

/** One table per section; a product, alliance or company without rows of its own is one row. */
export function snapshotTables(s: MarketSnapshot): ReportTable[] {
  return [
    {
      name: 'prices',
      title: 'Products and prices',
      columns: [
        { key: 'product', title: 'Product' },
        { key: 'productName', title: 'Name' },
        { key: 'company', title: 'Company' },
        { key: 'component', title: 'Component' },
        { key: 'amount', title: 'Amount', align: 'right' },
        { key: 'currency', title: 'Currency' },
        { key: 'unit', title: 'Unit' },
        { key: 'effectiveFrom', title: 'In effect since' },
        { key: 'eventId', title: 'Event' },
      ],
      rows: s.products.flatMap((p) => {
        const product = { product: p.product, productName: p.name, company: p.company }
        if (p.prices.length === 0) return [product]
        return p.prices.map((price) => ({ ...product, ...price }))
      }),
    },
    {
      name: 'alliance-members',
      title: 'Alliances and members',
      columns: [
        { key: 'alliance', title: 'Alliance' },
        { key: 'allianceName', title: 'Name' },
        { key: 'conveners', title: 'Conveners' },
        { key: 'formedAt', title: 'Formed' },
        { key: 'member', title: 'Member' },
        { key: 'memberName', title: 'Member name' },
        { key: 'since', title: 'Member since' },
      ],
      rows: s.alliances.flatMap((a) => {
        const alliance = {
          alliance: a.alliance,
          allianceName: a.name,
          conveners: a.conveners.join('; '),
          formedAt: a.formedAt,
        }
        if (a.members.length === 0) return [alliance]
        return a.members.map((m) => ({ ...alliance, member: m.member, memberName: m.name, since: m.since }))
      }),
    },
    {
      name: 'companies',
      title: 'Companies: funding and valuation',
      columns: [
        { key: 'company', title: 'Company' },
        { key: 'name', title: 'Name' },
        { key: 'fundingRounds', title: 'Rounds', align: 'right' },
        { key: 'fundingTotal', title: 'Raised', align: 'right' },
        { key: 'fundingCurrency', title: 'Currency' },
        { key: 'valuation', title: 'Latest valuation', align: 'right' },
        { key: 'valuationCurrency', title: 'Valuation currency' },
        { key: 'valuationQualifier', title: 'Qualifier' },
        { key: 'valuationRound', title: 'Valuation round' },
      ],
      rows: s.companies.flatMap((c) => {
        const v = c.latestValuation
        const company = {
          company: c.company,
          name: c.name,
          fundingRounds: c.fundingRounds,
          valuation: v?.value ?? null,
          valuationCurrency: v?.currency ?? null,
          valuationQualifier: v?.qualifier ?? null,
          valuationRound: v?.round ?? null,
        }
        if (c.fundingTotals.length === 0) return [company]
        return c.fundingTotals.map((t) => ({
          ...company,
          fundingTotal: t.amount,
          fundingCurrency: t.currency,
        }))
      }),
    },
    {
      name: 'metrics',
      title: 'Metrics',
      columns: [
        { key: 'entity', title: 'Entity' },
        { key: 'entityName', title: 'Name' },
        { key: 'metric', title: 'Metric' },
        { key: 'value', title: 'Value', align: 'right' },
        { key: 'unit', title: 'Unit' },
        { key: 'qualifier', title: 'Qualifier' },
        { key: 'forPeriod', title: 'For' },
        { key: 'reportedBy', title: 'Reported by' },
        { key: 'effectiveFrom', title: 'Reported' },
      ],
      rows: s.metrics,
    },
    {
      name: 'relations',
      title: 'Relations',
      columns: [
        { key: 'from', title: 'From' },
        { key: 'fromName', title: 'From name' },
        { key: 'kind', title: 'Relation' },
        { key: 'to', title: 'To' },
        { key: 'toName', title: 'To name' },
        { key: 'since', title: 'Since' },
        { key: 'summary', title: 'Summary' },
        { key: 'eventId', title: 'Event' },
      ],
      rows: s.relations,
    },
  ]
}
