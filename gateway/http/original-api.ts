import type { MiddlewareHandler } from 'hono'
import { appError } from '../../shared/errors.ts'
import { mediaTypeOf } from '../../shared/media.ts'

/**
 * Callers written against the original WhatsApp OTP API (the project this gateway replaces) send
 * its field names, and send form-urlencoded bodies as often as JSON. This middleware turns such a
 * body into the JSON the routes validate: a form is read into an object (with `a[0][b]` nesting,
 * as the original's parser read it), the original's names become ours where ours is absent, and
 * the numbers and booleans a form can only send as text become numbers and booleans.
 */

/**
 * What the routes with a JSON body take: JSON, or a form as the original API took (read into the
 * same fields by originalApiBodies below). Another type is 415 UNSUPPORTED_MEDIA_TYPE naming these.
 */
export const JSON_BODY_TYPES = ['application/json', 'application/x-www-form-urlencoded'] as const

type Body = Record<string, unknown>

const SEND = /^\/api\/messages\/[^/]+\/(text|otp|image|video|audio|document|location|button|list|contact|reaction|poll)$/

/** The original's field names, per route (matched on the path), and the names they stand for here. */
const RENAMES: [RegExp, Record<string, string>][] = [
  [SEND, { phone: 'to' }],
  [/^\/api\/messages\/[^/]+\/text$/, { message: 'text' }],
  [/^\/api\/messages\/[^/]+\/otp$/, { otp: 'code' }],
  [/^\/api\/messages\/[^/]+\/image$/, { imageUrl: 'url' }],
  [/^\/api\/messages\/[^/]+\/video$/, { videoUrl: 'url' }],
  [/^\/api\/messages\/[^/]+\/audio$/, { audioUrl: 'url' }],
  [/^\/api\/messages\/[^/]+\/document$/, { documentUrl: 'url', filename: 'fileName' }],
  [/^\/api\/messages\/[^/]+\/location$/, { locationName: 'name' }],
  [/^\/api\/otp\/verify$/, { phoneNumber: 'to', phone: 'to', otp: 'code' }]
]

/** Fields a form sends as text that the routes take as numbers or booleans. */
const NUMBERS = new Set(['latitude', 'longitude', 'length', 'ttlSeconds'])
const BOOLEANS = new Set(['ptt'])

const UNSAFE_KEYS = new Set(['__proto__', 'prototype', 'constructor'])
const MAX_DEPTH = 6
/** No route's body nests deeper than a list's rows; far deeper JSON could not even be re-serialized. */
const MAX_JSON_DEPTH = 32

/** Whether a parsed JSON value nests deeper than `limit` (walked without recursion). */
const nestsDeeperThan = (value: unknown, limit: number): boolean => {
  const pending: [unknown, number][] = [[value, 0]]
  while (pending.length > 0) {
    const [node, depth] = pending.pop()!
    if (typeof node !== 'object' || node === null) continue
    if (depth >= limit) return true
    for (const child of Object.values(node)) pending.push([child, depth + 1])
  }
  return false
}

/** `a[0][b]=x&a[0][c]=y&tags[]=1` → `{ a: [{ b: 'x', c: 'y' }], tags: ['1'] }`. */
export const formToObject = (text: string): Body => {
  const root: Body = Object.create(null)
  for (const [key, value] of new URLSearchParams(text)) {
    const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key)
    const path = match ? [match[1]!, ...[...match[2]!.matchAll(/\[([^[\]]*)\]/g)].map(m => m[1]!)] : [key]
    if (path.length > MAX_DEPTH || path.some(part => UNSAFE_KEYS.has(part))) throw malformedForm(key)
    let node: Body | unknown[] = root
    path.forEach((part, i) => {
      const last = i === path.length - 1
      const slot = part === '' && Array.isArray(node) ? node.length : part
      const container = node as Record<string | number, unknown>
      if (last) {
        container[slot] = value
        return
      }
      const nextIsIndex = /^\d*$/.test(path[i + 1]!)
      if (container[slot] === undefined) container[slot] = nextIsIndex ? [] : Object.create(null)
      const next = container[slot]
      if (typeof next !== 'object' || next === null) throw malformedForm(key)
      node = next as Body | unknown[]
    })
  }
  return root
}

const malformedForm = (key: string) =>
  appError('VALIDATION_ERROR', 'The form body is malformed', { fields: [{ path: key.slice(0, 64), message: 'Unusable form field name' }] })

const isObject = (value: unknown): value is Body => typeof value === 'object' && value !== null && !Array.isArray(value)

/** `original` becomes `current` unless the body already has `current` (ours wins when both come). */
const rename = (body: Body, original: string, current: string): Body => {
  if (!(original in body)) return body
  const { [original]: value, ...rest } = body
  return current in rest ? rest : { ...rest, [current]: value }
}

/**
 * The original's names become ours, text numbers and booleans become values; nothing else changes.
 * A body with nothing to change comes back as the same object.
 */
export const toCurrentNames = (path: string, body: Body, fromForm: boolean): Body => {
  let renamed: Body = body
  const set = (key: string, value: unknown) => {
    renamed = { ...renamed, [key]: value }
  }
  for (const [pattern, names] of RENAMES) {
    if (pattern.test(path)) for (const [original, current] of Object.entries(names)) renamed = rename(renamed, original, current)
  }
  // The original took coordinates as numeric strings in JSON too.
  for (const key of Object.keys(renamed)) {
    const value = renamed[key]
    if (typeof value !== 'string') continue
    if ((fromForm || key === 'latitude' || key === 'longitude') && NUMBERS.has(key) && value.trim() !== '' && Number.isFinite(Number(value)))
      set(key, Number(value))
    else if (fromForm && BOOLEANS.has(key) && (value === 'true' || value === 'false')) set(key, value === 'true')
  }
  // Buttons that carry only a text get their ids from their place, as the original made them.
  if (/\/button$/.test(path) && Array.isArray(renamed.buttons)) {
    set(
      'buttons',
      renamed.buttons.map((button, i) => (isObject(button) && !('id' in button) ? { id: `btn_${i + 1}`, ...button } : button))
    )
  }
  // List rows were keyed by `rowId`.
  if (/\/list$/.test(path) && Array.isArray(renamed.sections)) {
    set(
      'sections',
      renamed.sections.map(section =>
        isObject(section) && Array.isArray(section.rows)
          ? { ...section, rows: section.rows.map(row => (isObject(row) ? rename(row, 'rowId', 'id') : row)) }
          : section
      )
    )
  }
  return renamed
}

/** A body sent as a form but written as JSON (`curl -d '{…}'` without a content type) is JSON. */
const jsonSentAsForm = (text: string): Body | undefined => {
  const trimmed = text.trim()
  if (!trimmed.startsWith('{')) return undefined
  try {
    const parsed: unknown = JSON.parse(trimmed)
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Body) : undefined
  } catch {
    return undefined
  }
}

/**
 * On the routes that take a JSON body: a form body (or a JSON one on a send route) is read,
 * given our names, and handed on as JSON. Anything else is left to the route (415, 400).
 */
export const originalApiBodies = (): MiddlewareHandler => async (c, next) => {
  const type = mediaTypeOf(c.req.header('content-type') ?? '')
  const form = type === 'application/x-www-form-urlencoded'
  // Most requests (GETs, other types) stop here without testing a route pattern.
  if (!form && !(type === 'application/json' && RENAMES.some(([pattern]) => pattern.test(c.req.path)))) return next()
  const text = await c.req.text()
  const writtenAsJson = form ? jsonSentAsForm(text) : undefined
  let body: unknown
  if (form) body = writtenAsJson ?? formToObject(text)
  else {
    try {
      body = JSON.parse(text)
    } catch {
      throw appError('INVALID_JSON', 'Request body is not valid JSON')
    }
  }
  if (nestsDeeperThan(body, MAX_JSON_DEPTH)) throw appError('VALIDATION_ERROR', `Request body nests deeper than ${MAX_JSON_DEPTH} levels`)
  // JSON with nothing to rename goes on as it came: the route reads the text read here, cached.
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return form ? forwardJson(c, body, next) : next()
  const current = toCurrentNames(c.req.path, body as Body, form && !writtenAsJson)
  return form || current !== body ? forwardJson(c, current, next) : next()
}

const forwardJson = async (c: Parameters<MiddlewareHandler>[0], body: unknown, next: () => Promise<void>) => {
  const headers = new Headers(c.req.raw.headers)
  headers.set('content-type', 'application/json')
  headers.delete('content-length')
  c.req.raw = new Request(c.req.raw.url, { method: c.req.method, headers, body: JSON.stringify(body) })
  c.req.bodyCache = {}
  await next()
}

type Operations = Record<string, { requestBody?: { content?: Record<string, unknown> } }>

/** The OpenAPI document with every JSON request body also offered as a form, as the routes take it. */
export const withFormBodies = <T extends { paths?: object }>(document: T): T => {
  for (const operations of Object.values((document.paths ?? {}) as Record<string, Operations>)) {
    for (const operation of Object.values(operations)) {
      const content = operation.requestBody?.content
      if (content?.['application/json'] && !content['application/x-www-form-urlencoded'])
        content['application/x-www-form-urlencoded'] = content['application/json']
    }
  }
  return document
}
