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
 * Loads every `*.json` file of `dir` — each the body of a `POST /v1/events` — through the same
 * validation and store as the API. Events carry fixed ids, so loading twice adds nothing.
 */
export async function loadSeeds(
  store: EventStore,
  catalogue: Catalogue,
  dir: string = defaultSeedsDir,
): Promise<SeedReport[]> {
  const validate = compileAppendValidator(catalogue)
  const files = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort()
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
