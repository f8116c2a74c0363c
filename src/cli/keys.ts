import { parseArgs } from 'node:util'
import { createApiKey, listApiKeys, revokeApiKey, type Scope, scopes } from '../auth/api-keys.js'
import { commandConfig, openForCommand } from './open.js'

const usage = `Manage API keys in the configured database (DATABASE_URL, or the embedded one in DATA_DIR).

  npm run keys -- create --name NAME --scopes read,write,admin   prints the new key once
  npm run keys -- list                                           keys without key material
  npm run keys -- revoke ID                                      the key is refused from then on`

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { name: { type: 'string' }, scopes: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
})
const [command, argument] = positionals

function fail(message: string): never {
  console.error(`${message}\n\n${usage}`)
  process.exit(2)
}

if (values.help || !command) {
  console.log(usage)
  process.exit(values.help ? 0 : 2)
}
if (!['create', 'list', 'revoke'].includes(command)) fail(`unknown command '${command}'`)
const requested = (values.scopes ?? '').split(',').filter(Boolean)
if (command === 'create') {
  if (!values.name) fail('create needs --name')
  if (requested.length === 0 || !requested.every((s) => (scopes as readonly string[]).includes(s))) {
    fail('create needs --scopes, a comma list of read, write, admin')
  }
}
if (command === 'revoke' && !/^[0-9a-f-]{36}$/.test(argument ?? '')) fail('revoke needs the key id')

const runtime = await openForCommand(commandConfig('keys'), 'keys')
try {
  const { db } = runtime.database
  if (command === 'create') {
    const key = await createApiKey(db, values.name as string, requested as Scope[])
    console.log(`created key ${key.id} (${key.name}: ${key.scopes.join(', ')})`)
    console.log(`key: ${key.key}`)
    console.log('It is shown only now; the service keeps only a hash of it.')
  } else if (command === 'list') {
    for (const key of await listApiKeys(db)) {
      const state = key.revokedAt ? `revoked ${key.revokedAt}` : `last used ${key.lastUsedAt ?? 'never'}`
      console.log(`${key.id}  ${key.name}  ${key.scopes.join(',')}  created ${key.createdAt}  ${state}`)
    }
  } else if (await revokeApiKey(db, argument as string)) {
    console.log(`revoked ${argument}`)
  } else {
    console.error(`no key ${argument}`)
    process.exitCode = 1
  }
} finally {
  await runtime.close()
}
