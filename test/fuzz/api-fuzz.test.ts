import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import fc from 'fast-check'
import { SignJWT } from 'jose'
import { hs256Key } from '../../gateway/auth/hs256-key.ts'
import { mintToken } from '../../gateway/auth/mint-token.ts'
import { SCOPES } from '../../gateway/auth/scopes.ts'
import type { Scope } from '../../gateway/auth/scopes.ts'
import { recordCodesSent, recordSensitive } from '../support/log-audit.ts'
import { mediaSamples } from '../support/media-fixtures.ts'
import { documentsJson, routesOf } from '../support/openapi-document.ts'
import type { OpenApiDocument, Route } from '../support/openapi-document.ts'
import { routeRequests } from '../support/openapi-fuzz.ts'
import type { FuzzRequest } from '../support/openapi-fuzz.ts'
import type { RouteContext } from '../support/openapi-fuzz-values.ts'
import { startProcessStack } from '../support/process-stack.ts'
import { codeOf, escapeRegExp, isEnvelope, requestText, running } from './fuzz-answers.ts'
import { LINKED, MEDIA_LINKED, ROUTES, THROWAWAY } from './fuzz-routes.ts'
import type { Answered, Failure, Outcome } from './fuzz-answers.ts'
import type { ProcessStack } from '../support/process-stack.ts'

/** Replay a run with FUZZ_SEED=<the seed it printed>. */
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31)
const MAX_REQUESTS = 1_500
const TIME_LIMIT_MS = 25_000
const IN_FLIGHT = 8
const ANSWER_WITHIN_MS = 10_000

/** Numbers the emulator treats as reachable contacts, typed as people type them. */
const RECIPIENTS = ['081234567890', '6281234567891', '+62 812-3456-7892']

describe('the public API under generated requests (fast-check, from the OpenAPI document)', () => {
  let stack: ProcessStack
  let routes: Route[]
  let outcomes: Outcome[] = []
  /** Set when a process ended during the run: the requests just answered or in flight then. */
  let exited: { name: 'gateway' | 'host'; suspects: FuzzRequest[] } | undefined
  const otpMessageIds = new Set<string>()

  /** What the server could only have taken from itself: a match that the request also contains is an echo. */
  let leakPatterns: { what: string; pattern: RegExp }[]
  /**
   * Health and the metrics show an admin where each host is (the operator's own addresses,
   * documented): those are the places an answer may name one, and only to that token.
   */
  const shownToAdmin = (outcome: Answered): string => {
    const authorization = Object.entries(outcome.request.headers).find(([name]) => name.toLowerCase() === 'authorization')?.[1] ?? ''
    const claims = (() => {
      try {
        return JSON.parse(Buffer.from(authorization.replace(/^Bearer /, '').split('.')[1] ?? '', 'base64url').toString('utf8')) as { scope?: unknown }
      } catch {
        return {}
      }
    })()
    const admin = (typeof claims.scope === 'string' ? claims.scope.split(' ') : Array.isArray(claims.scope) ? claims.scope : []).includes('admin')
    if (!admin) return outcome.body
    if (outcome.request.route === 'GET /metrics') return outcome.body.replace(/,url="[^"]*"/g, ',url="(shown to admin)"')
    if (outcome.request.route !== 'GET /api/health') return outcome.body
    return outcome.body.replace(/"url":"[^"]*"/g, '"url":"(shown to admin)"')
  }

  const leaksIn = (outcome: Answered): string[] => {
    const sent = requestText(outcome.request)
    const body = shownToAdmin(outcome)
    return leakPatterns.flatMap(({ what, pattern }) =>
      [...body.matchAll(pattern)].filter(match => !sent.includes(match[0])).map(match => `${what}: ${JSON.stringify(match[0].slice(0, 80))}`)
    )
  }

  const describeRequest = (request: FuzzRequest) =>
    `${request.method} ${request.path.slice(0, 200)} (${request.kind})${request.detail ? ` [${request.detail.slice(0, 200)}]` : ''}`

  /** Fails listing each kind of failure once (what was odd about the request, the answer, the routes), with one example. */
  const assertNone = (failures: Failure[], promise: string) => {
    if (failures.length === 0) return
    const kinds = new Map<string, { count: number; routes: Set<string>; example: Failure }>()
    for (const failure of failures) {
      const key = `${failure.outcome.request.kind} → ${failure.problem}`
      const kind = kinds.get(key) ?? { count: 0, routes: new Set<string>(), example: failure }
      kind.count++
      kind.routes.add(failure.outcome.request.route)
      kinds.set(key, kind)
    }
    const lines = [...kinds].slice(0, 40).map(([key, { count, routes, example }]) => {
      const answer = 'body' in example.outcome ? `\n    answered ${example.outcome.body.slice(0, 300)}` : ''
      const where = [...routes].slice(0, 5).join(', ') + (routes.size > 5 ? ` and ${routes.size - 5} more routes` : '')
      return `  ${key} (×${count}, ${where})\n    e.g. ${describeRequest(example.outcome.request)}${answer}`
    })
    assert.fail(
      `${promise}: broken by ${failures.length} of the requests, ${kinds.size} kinds of failure (seed ${SEED}; replay with FUZZ_SEED=${SEED})\n${lines.join('\n')}${kinds.size > 40 ? `\n  and ${kinds.size - 40} more kinds` : ''}`
    )
  }

  /** What a stream sends in its first half second; then the client hangs up. */
  const firstMomentOf = async (response: Response): Promise<string> => {
    const reader = response.body!.getReader()
    const decoder = new TextDecoder()
    let text = ''
    const hangUp = setTimeout(() => void reader.cancel(), 500)
    try {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        text += decoder.decode(value, { stream: true })
      }
    } catch {}
    clearTimeout(hangUp)
    return text
  }
  const send = async (request: FuzzRequest): Promise<Outcome> => {
    let prepared: Request
    try {
      prepared = new Request(`${stack.url}${request.path}`, {
        method: request.method,
        headers: request.headers,
        redirect: 'manual',
        signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
        ...(request.body === undefined ? {} : { body: request.body })
      })
    } catch (error) {
      // Header values or URLs that fetch itself refuses never reach the gateway.
      return { request, skipped: (error as Error).message }
    }
    try {
      const response = await fetch(prepared)
      // An event stream does not end: what it sends in its first moments stands for its body.
      if (response.ok && response.headers.get('content-type')?.startsWith('text/event-stream')) {
        return { request, status: response.status, body: await firstMomentOf(response) }
      }
      return { request, status: response.status, body: await response.text() }
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause
      const timedOut = (error as Error).name === 'TimeoutError'
      // A kept-alive connection closed under a request is often the doing of the request before it on that connection.
      const closed = cause?.code === 'UND_ERR_SOCKET' ? ' under it; an earlier request on the connection may have left it unusable' : ''
      return {
        request,
        failure: timedOut
          ? `no answer within ${ANSWER_WITHIN_MS / 1000} s`
          : `connection failed (${cause?.code ?? ''}: ${cause?.message ?? (error as Error).message})${closed}`
      }
    }
  }

  /** Sends the requests in order, a few at a time, until they run out, time does, or a process ends. */
  const sendAll = async (requests: FuzzRequest[]) => {
    const results: Outcome[] = []
    const deadline = Date.now() + TIME_LIMIT_MS
    let next = 0
    const inFlight = new Set<FuzzRequest>()
    const recent: FuzzRequest[] = []
    const worker = async () => {
      while (next < requests.length && Date.now() < deadline && !exited) {
        const request = requests[next++]!
        inFlight.add(request)
        const outcome = await send(request)
        inFlight.delete(request)
        results.push(outcome)
        recent.push(request)
        if (recent.length > IN_FLIGHT) recent.shift()
        // Everything after a crash would fail for the crash's sake: stop, and name what was in flight.
        const gone = (['host', 'gateway'] as const).find(name => !running(stack.processes.pid(name)))
        if (gone && !exited) exited = { name: gone, suspects: [...recent, ...inFlight] }
        if ('status' in outcome && outcome.status === 201 && outcome.request.route === 'POST /api/messages/{sessionId}/otp') {
          const messageId = (JSON.parse(outcome.body) as { data?: { messageId?: string } }).data?.messageId
          if (messageId) otpMessageIds.add(messageId)
        }
      }
    }
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker))
    return results
  }

  /** Tokens that must not get in, each recorded for the log audit like every token we mint. */
  const badAuthorizations = async (admin: string) => {
    const secret = stack.processes.env.JWT_SECRET!
    const now = Math.floor(Date.now() / 1000)
    const expired = await new SignJWT({ scope: 'admin' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt(now - 600)
      .setExpirationTime(now - 300)
      .sign(hs256Key(secret))
    const otherSecret = await mintToken({ secret: 'not-the-gateway-secret-0123456789abcdef', scopes: ['admin'], ttlSeconds: 900 })
    const scopeless = await mintToken({ secret, scopes: ['nonsense' as Scope], ttlSeconds: 900 })
    const [header, payload, signature] = admin.split('.') as [string, string, string]
    const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`
    const flipped = `${header}.${payload}.${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`
    recordSensitive(expired, otherSecret, scopeless, unsigned, flipped)
    return [
      'Bearer',
      'Bearer %00',
      `Basic ${Buffer.from('admin:admin').toString('base64')}`,
      admin,
      `Bearer ${admin}, Bearer ${admin}`,
      `Bearer ${header}.${payload}`,
      `Bearer ${flipped}`,
      `Bearer ${unsigned}`,
      `Bearer ${expired}`,
      `Bearer ${otherSecret}`,
      `Bearer ${scopeless}`,
      `Bearer ${'a'.repeat(3_000)}`,
      `BEARER ${admin}`,
      `Bearer  ${admin}`
    ]
  }

  before(async () => {
    stack = await startProcessStack()
    for (const [i, sessionId] of [...LINKED, MEDIA_LINKED].entries()) await stack.linkSession(sessionId, `628150000000${i + 1}`)
    for (const sessionId of THROWAWAY) assert.equal((await stack.call('POST', '/api/sessions/create', { body: { sessionId } })).status, 201)
    // Existing things for the path parameters to name: an OTP and its message, a QR page link.
    const otp = (await stack.call('POST', '/api/messages/fuzz-1/otp', { body: { to: RECIPIENTS[0] } })).body.data as { otpId: string; messageId: string }
    const link = (await stack.call('POST', '/api/sessions/fuzz-1/qr-link')).body.data as { path: string }
    const linkQuery = new URL(link.path, stack.url).searchParams

    const doc = (await (await fetch(`${stack.url}/api/openapi.json`)).json()) as OpenApiDocument
    routes = routesOf(doc)
    const scoped = Object.fromEntries(await Promise.all(SCOPES.map(async scope => [scope, await stack.token(scope)] as const))) as Record<Scope, string>
    const badAuthorization = await badAuthorizations(stack.admin)
    const webhookSecret = `whsec_${randomBytes(32).toString('base64')}`
    recordSensitive(webhookSecret)
    const samples = await mediaSamples()
    // A few KB is enough for the content check to recognise each file.
    const files = Object.fromEntries(
      Object.entries(samples).map(([field, s]) => [field, { bytes: field === 'image' ? s.bytes : s.bytes.subarray(0, 4_096), type: s.mimetype, name: s.name }])
    )

    const contextOf = (route: Route): RouteContext => {
      const policy = ROUTES[route.name] ?? {}
      return {
        known: {
          sessionId: policy.sessions ?? LINKED,
          otpId: [otp.otpId],
          messageId: [otp.messageId],
          to: RECIPIENTS,
          phoneNumber: RECIPIENTS,
          number: [...RECIPIENTS, 'not-a-number'],
          expires: [linkQuery.get('expires') ?? ''],
          signature: [linkQuery.get('signature') ?? ''],
          secret: [webhookSecret]
        },
        // Mostly admin (it implies every scope), else the route's own scope, or any when it needs none.
        tokens: policy.scope
          ? [
              { token: stack.admin, weight: 3 },
              { token: scoped[policy.scope], weight: 2 }
            ]
          : SCOPES.map(scope => ({ token: scoped[scope], weight: 1 })),
        badAuthorization,
        files
      }
    }
    const requests = fc.sample(fc.oneof(...routes.map(route => routeRequests(doc, route, contextOf(route)))), { seed: SEED, numRuns: MAX_REQUESTS })

    leakPatterns = [
      { what: 'a stack trace', pattern: /(?:\n|\\n)\s+at [^\n]*?:\d+:\d+/g },
      { what: 'an exception message', pattern: /\b(?:TypeError|ReferenceError|RangeError|SyntaxError)\b|Cannot read propert/g },
      { what: 'SQL', pattern: /\b(?:SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b|SQLITE_\w*/g },
      { what: 'a file path', pattern: /\/work\/|\/home\/|\/tmp\/|node_modules|\.ts:\d+/g },
      {
        what: 'an internal URL',
        pattern: new RegExp(
          [stack.processes.env.HOST_URL!, `127.0.0.1:${stack.processes.env.HOST_PORT}`, new URL(stack.processes.env.WA_WEBSOCKET_URL!).host, '/internal/']
            .map(escapeRegExp)
            .join('|'),
          'g'
        )
      }
    ]

    const started = performance.now()
    outcomes = await sendAll(requests)
    const seconds = (performance.now() - started) / 1000
    const answered = outcomes.filter((o): o is Answered => 'status' in o)
    const sent = outcomes.filter(o => !('skipped' in o)).length
    const pastAuth = answered.filter(o => o.status !== 401 && o.status !== 403).length
    const byStatus = new Map<number, number>()
    for (const { status } of answered.toSorted((a, b) => a.status - b.status)) byStatus.set(status, (byStatus.get(status) ?? 0) + 1)
    const statuses = [...byStatus].map(([status, count]) => `${status}×${count}`)
    // The test runner prints this as a TAP comment: `# fuzz: ...`.
    console.log(`fuzz: ${sent} requests in ${seconds.toFixed(1)} s, ${Math.round((100 * pastAuth) / Math.max(answered.length, 1))}% past auth, seed ${SEED}`)
    console.log(`fuzz statuses: ${statuses.join(' ')}; ${sent - answered.length} unanswered, ${outcomes.length - sent} refused by fetch itself`)
  })

  after(async () => {
    // The log audit also checks that no code the fuzz had sent shows up in a log.
    if (stack) recordCodesSent(stack.sim.sent.filter(m => otpMessageIds.has(m.id)))
    await stack?.stop()
  })

  it('knows the scope of every documented route and reaches each of them', () => {
    assert.deepEqual(
      routes.map(r => r.name).filter(name => !(name in ROUTES)),
      [],
      'routes missing from ROUTES'
    )
    // A run cut short by a crash reaches fewer; the last test names the crash.
    if (exited) return
    const reached = new Set(outcomes.filter(o => 'status' in o).map(o => o.request.route))
    assert.deepEqual(
      routes.map(r => r.name).filter(name => !reached.has(name)),
      [],
      `routes no request reached (seed ${SEED})`
    )
  })

  it('answers every request, and never with a 5xx', () => {
    assertNone(
      outcomes.flatMap((outcome): Failure[] =>
        'failure' in outcome
          ? [{ outcome, problem: outcome.failure }]
          : 'status' in outcome && outcome.status >= 500
            ? [{ outcome, problem: `${outcome.status} ${codeOf(outcome.body)}` }]
            : []
      ),
      'every request gets an answer below 500'
    )
  })

  it('answers every error with the envelope and a stable code', () => {
    const routeNamed = new Map(routes.map(r => [r.name, r]))
    assertNone(
      outcomes
        .filter((o): o is Answered => 'status' in o && o.status >= 400)
        .filter(o => documentsJson(routeNamed.get(o.request.route)!, o.status) && !isEnvelope(o.body))
        .map(outcome => ({ outcome, problem: `${outcome.status} without an error envelope` })),
      'every error is { success: false, message, error: { code } }'
    )
  })

  it('shows no stack trace, exception, SQL, file path or internal URL in any answer', () => {
    assertNone(
      outcomes
        .filter((o): o is Answered => 'status' in o)
        .flatMap(outcome => leaksIn(outcome).map(leak => ({ outcome, problem: `${outcome.status} with ${leak}` }))),
      "no answer shows the server's insides"
    )
  })

  it('lets at least half of the requests past authentication, into validation and the handlers', () => {
    const answered = outcomes.filter((o): o is Answered => 'status' in o)
    const pastAuth = answered.filter(o => o.status !== 401 && o.status !== 403).length
    assert.ok(answered.length > 0 && pastAuth >= answered.length / 2, `${pastAuth} of ${answered.length} requests got past auth (seed ${SEED})`)
  })

  it('keeps the gateway and the session host running', async () => {
    if (exited)
      assert.fail(
        `the ${exited.name} process ended during the run (seed ${SEED}; replay with FUZZ_SEED=${SEED}); just answered or in flight then:\n${exited.suspects.map(r => `  ${describeRequest(r)}`).join('\n')}`
      )
    for (const name of ['gateway', 'host'] as const) {
      const pid = stack.processes.pid(name)
      assert.ok(pid, `${name} has a pid`)
      assert.doesNotThrow(() => process.kill(pid, 0), `the ${name} process is gone (seed ${SEED})`)
    }
    const health = await fetch(`${stack.url}/api/health`)
    assert.equal(health.status, 200)
    assert.equal(((await health.json()) as { data: { host: string } }).data.host, 'ok', `the session host does not answer (seed ${SEED})`)
  })
})
