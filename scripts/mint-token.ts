// Operator CLI: prints one signed HS256 token on stdout, nothing else, so it can be piped.
//   npm run token -- --scope "otp:send otp:verify" --sessions shop-1,shop-2 --ttl 30d [--sub name]
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { mintToken, parseTtl } from '../gateway/auth/mint-token.ts'
import { SCOPES, type Scope } from '../gateway/auth/scopes.ts'

const USAGE = `Usage: npm run token -- --scope "<scopes>" --ttl <30d|12h|15m|3600> [--sessions id1,id2] [--sub name]

  --scope     space- or comma-separated; one or more of: ${SCOPES.join(', ')}
  --ttl       token lifetime: days (d), hours (h), minutes (m) or seconds
  --sessions  limit the token to these session IDs (default: every session)
  --sub       subject recorded in the token, e.g. the client's name

The secret comes from JWT_SECRET, else from jwtSecret in \${DATA_DIR:-./data}/secrets.json.
JWT_ISSUER and JWT_AUDIENCE, when set, are written into the token.`

class UsageError extends Error {}

function list(value: string): string[] {
  return value.split(/[\s,]+/).filter(item => item !== '')
}

function parseScopeList(value: string): Scope[] {
  const known: readonly string[] = SCOPES
  const items = list(value)
  const unknown = items.filter(item => !known.includes(item))
  if (unknown.length > 0) throw new UsageError(`Unknown scope: ${unknown.join(', ')}`)
  if (items.length === 0) throw new UsageError('--scope needs at least one scope')
  return items as Scope[]
}

function readSecret(env: NodeJS.ProcessEnv): string {
  if (env.JWT_SECRET) return env.JWT_SECRET
  const file = join(env.DATA_DIR || './data', 'secrets.json')
  if (!existsSync(file)) {
    throw new UsageError(`No JWT secret: set JWT_SECRET or provide jwtSecret in ${file}`)
  }
  let secrets: unknown
  try {
    secrets = JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    throw new UsageError(`${file} is not valid JSON`)
  }
  const secret = typeof secrets === 'object' && secrets !== null ? (secrets as Record<string, unknown>).jwtSecret : undefined
  if (typeof secret !== 'string' || secret === '') {
    throw new UsageError(`No JWT secret: ${file} has no jwtSecret string; set JWT_SECRET instead`)
  }
  return secret
}

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      scope: { type: 'string' },
      sessions: { type: 'string' },
      ttl: { type: 'string' },
      sub: { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  if (values.help) return undefined
  if (values.scope === undefined) throw new UsageError('--scope is required')
  if (values.ttl === undefined) throw new UsageError('--ttl is required')

  const input: Parameters<typeof mintToken>[0] = {
    secret: readSecret(env),
    scopes: parseScopeList(values.scope),
    ttlSeconds: parseTtl(values.ttl)
  }
  if (values.sessions !== undefined) input.sessions = list(values.sessions)
  if (values.sub !== undefined) input.subject = values.sub
  if (env.JWT_ISSUER) input.issuer = env.JWT_ISSUER
  if (env.JWT_AUDIENCE) input.audience = env.JWT_AUDIENCE
  return mintToken(input)
}

try {
  const token = await main(process.argv.slice(2), process.env)
  if (token === undefined) process.stdout.write(`${USAGE}\n`)
  else process.stdout.write(`${token}\n`)
} catch (error) {
  process.stderr.write(isOperatorError(error) ? `mint-token: ${error.message}\n\n${USAGE}\n` : `${error instanceof Error ? error.stack : String(error)}\n`)
  process.exitCode = 1
}

// Bad arguments and bad input carry messages written for the operator (none echoes the secret);
// anything else is a bug and is shown as is.
function isOperatorError(error: unknown): error is Error {
  if (error instanceof UsageError || error instanceof RangeError) return true
  const code = (error as { code?: unknown } | null)?.code
  return error instanceof TypeError && typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')
}
