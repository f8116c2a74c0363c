import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Catalogue } from './catalogue/catalogue.js'
import type { EventInput } from './catalogue/envelope.js'
import { compileAppendValidator } from './catalogue/validation.js'
import { InvalidInput } from './errors.js'
import type { EventStore } from './store/event-store.js'

export const defaultSeedsDir = fileURLToPath(new URL('../seeds/', import.meta.url))

export interface SeedReport {
  readonly file: string
  readonly events: number
  readonly appended: number
}

/**
 * Seed files in name order, compared without their `.json`: a file sorts before the files whose
 * names extend its own, so `market-corrections.json` loads after `market.json` (plain string order
 * puts it first, since "-" sorts before ".").
 */
export function seedFileOrder(files: readonly string[]): string[] {
  const stem = (file: string) => file.slice(0, -'.json'.length)
  return [...files].sort((a, b) => (stem(a) < stem(b) ? -1 : stem(a) > stem(b) ? 1 : 0))
}

/**
 * Loads every `*.json` file of `dir`, in `seedFileOrder` — each the body of a `POST /v1/events` — through the same
 * validation and store as the API. Events carry fixed ids, so loading twice adds nothing.
 */
export async function loadSeeds(
  store: EventStore,
  catalogue: Catalogue,
  dir: string = defaultSeedsDir,
): Promise<SeedReport[]> {
  const validate = compileAppendValidator(catalogue)
  const files = seedFileOrder((await readdir(dir)).filter((name) => name.endsWith('.json')))
  const reports: SeedReport[] = []
  for (const file of files) {
    const body: unknown = JSON.parse(await readFile(path.join(dir, file), 'utf8'))
    const errors = validate(body)
    if (errors.length) throw new InvalidInput(`seed file ${file} is invalid`, errors)
    const { events } = body as { events: EventInput[] }
    const result = await store.append(events)
    reports.push({ file, events: events.length, appended: result.appended })
  }
  return reports
}
