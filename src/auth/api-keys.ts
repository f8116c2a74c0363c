import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import type { Kysely, Selectable } from 'kysely'
import type { ApiKeysTable, Database } from '../db/schema.js'

export const scopes = ['read', 'write', 'admin'] as const
export type Scope = (typeof scopes)[number]

export interface ApiKeyInfo {
  readonly id: string
  readonly name: string
  readonly scopes: readonly Scope[]
  readonly createdAt: string
  readonly lastUsedAt: string | null
  readonly revokedAt: string | null
}

export interface Caller {
  /** The key's id, or `environment` for ADMIN_API_KEY. */
  readonly keyId: string
  readonly scopes: readonly Scope[]
}

/** `admin` implies every scope. */
export function allows(caller: Caller, scope: Scope): boolean {
  return caller.scopes.includes('admin') || caller.scopes.includes(scope)
}

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest()

/** Keys look like `mt_<id, 32 hex>_<secret, 43 base64url>`: the id finds the row, the secret proves it. */
const keyPattern = /^mt_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/

function idOf(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** Creates a key. The key itself is returned only here; the database keeps a hash of its secret. */
export async function createApiKey(
  db: Kysely<Database>,
  name: string,
  keyScopes: readonly Scope[],
): Promise<ApiKeyInfo & { key: string }> {
  const id = randomUUID()
  const secret = randomBytes(32).toString('base64url')
  const row = await db
    .insertInto('api_keys')
    .values({ id, name, scopes: [...new Set(keyScopes)], secret_hash: sha256(secret) })
    .returningAll()
    .executeTakeFirstOrThrow()
  return { ...info(row), key: `mt_${id.replaceAll('-', '')}_${secret}` }
}

export async function listApiKeys(db: Kysely<Database>): Promise<ApiKeyInfo[]> {
  const rows = await db.selectFrom('api_keys').selectAll().orderBy('created_at').execute()
  return rows.map(info)
}

/** Revokes a key; false when there is no such key. Revoking twice keeps the first time. */
export async function revokeApiKey(db: Kysely<Database>, id: string): Promise<boolean> {
  const result = await db
    .updateTable('api_keys')
    .set({ revoked_at: new Date() })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  if (Number(result.numUpdatedRows) > 0) return true
  return (await db.selectFrom('api_keys').select('id').where('id', '=', id).executeTakeFirst()) !== undefined
}

export async function countApiKeys(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('api_keys')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirst()
  return Number(row?.n ?? 0)
}

function info(r: Selectable<ApiKeysTable>): ApiKeyInfo {
  return {
    id: r.id,
    name: r.name,
    scopes: r.scopes as Scope[],
    createdAt: r.created_at.toISOString(),
    lastUsedAt: r.last_used_at?.toISOString() ?? null,
    revokedAt: r.revoked_at?.toISOString() ?? null,
  }
}

/**
 * Checks bearer tokens. Verified keys are remembered for `ttlMs`, so a busy client costs no
 * query per request; a revocation through this process takes effect at once, elsewhere
 * within `ttlMs`. `last_used_at` is written at most once a minute per key.
 */
export class KeyVerifier {
  private readonly verified = new Map<string, { caller: Caller; until: number }>()
  private readonly lastTouched = new Map<string, number>()
  private readonly adminHash: Buffer | undefined

  constructor(
    private readonly db: Kysely<Database>,
    adminApiKey: string | undefined,
    private readonly ttlMs = 5000,
  ) {
    this.adminHash = adminApiKey ? sha256(adminApiKey) : undefined
  }

  async verify(token: string): Promise<Caller | undefined> {
    if (this.adminHash && timingSafeEqual(sha256(token), this.adminHash)) {
      return { keyId: 'environment', scopes: ['admin'] }
    }
    const match = keyPattern.exec(token)
    if (!match) return undefined
    const [, hexId = '', secret = ''] = match
    const id = idOf(hexId)
    const cached = this.verified.get(token)
    if (cached && cached.until > Date.now()) return cached.caller
    const row = await this.db
      .selectFrom('api_keys')
      .select(['id', 'scopes', 'secret_hash', 'revoked_at'])
      .where('id', '=', id)
      .executeTakeFirst()
    if (!row || row.revoked_at !== null || !timingSafeEqual(sha256(secret), row.secret_hash)) return undefined
    const caller: Caller = { keyId: row.id, scopes: row.scopes as Scope[] }
    this.verified.set(token, { caller, until: Date.now() + this.ttlMs })
    this.touch(row.id)
    return caller
  }

  forget(id: string): void {
    for (const [token, entry] of this.verified) if (entry.caller.keyId === id) this.verified.delete(token)
  }

  private touch(id: string): void {
    const now = Date.now()
    if ((this.lastTouched.get(id) ?? 0) > now - 60_000) return
    this.lastTouched.set(id, now)
    void this.db
      .updateTable('api_keys')
      .set({ last_used_at: new Date() })
      .where('id', '=', id)
      .execute()
      .catch(() => {})
  }
}
