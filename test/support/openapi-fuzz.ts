import fc from 'fast-check'
import type { Arbitrary } from 'fast-check'

/**
 * Requests generated from the gateway's own OpenAPI document, for the API fuzz test: for every
 * operation, mostly valid requests with one or two things wrong (a field of the wrong type, a huge
 * or deeply nested value, a malformed or truncated body, an odd content type, path parameter or
 * header), so that most of them reach validation and the handlers rather than bouncing off auth.
 */

export type JsonSchema = {
  type?: string
  properties?: Record<string, JsonSchema>
  required?: string[]
  items?: JsonSchema
  minItems?: number
  maxItems?: number
  minLength?: number
  maxLength?: number
  pattern?: string
  format?: string
  enum?: unknown[]
  example?: unknown
  minimum?: number
  maximum?: number
  anyOf?: JsonSchema[]
  allOf?: JsonSchema[]
  $ref?: string
}
type Parameter = { name: string; in: 'path' | 'query' | 'header' | 'cookie'; required?: boolean; schema?: JsonSchema }
type Operation = {
  parameters?: Parameter[]
  requestBody?: { content: Record<string, { schema: JsonSchema }> }
  responses?: Record<string, { content?: Record<string, unknown> }>
  security?: unknown[]
}
export type OpenApiDocument = { paths: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, JsonSchema> } }

/** One documented operation, named as `METHOD /path/{param}`. */
export type Route = { name: string; method: string; path: string; operation: Operation }

export const routesOf = (doc: OpenApiDocument): Route[] =>
  Object.entries(doc.paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, method: method.toUpperCase(), path, operation }))
  )

/** Whether the document promises a JSON body for this status of this route (the QR page's 401 is HTML). */
export const documentsJson = (route: Route, status: number): boolean => {
  const content = route.operation.responses?.[String(status)]?.content
  return content === undefined || Object.keys(content).some(type => type.includes('json'))
}

export type FuzzRequest = {
  route: string
  method: string
  /** Path and query, as sent. */
  path: string
  headers: Record<string, string>
  body?: string | Uint8Array
  /** What is odd about the request, coarse enough to group failures by (e.g. `content-type text/plain`). */
  kind: string
  /** The particulars (which field got which value), for the failure report. */
  detail: string
}

export type RouteContext = {
  /** Good values by parameter or body field name (existing sessions, OTP ids, reachable numbers). */
  known: Record<string, readonly string[]>
  /** The bearer tokens a well-formed request to this route carries, each with a weight. */
  tokens: readonly { token: string; weight: number }[]
  /** Authorization values that must not get in: forged, expired, scopeless, malformed. */
  badAuthorization: readonly string[]
  /** Files whose content the media routes accept, by field name (`image`, `video`, ...). */
  files: Record<string, { bytes: Uint8Array; type: string; name: string }>
}

/** JSON text that JavaScript values cannot express: nesting deeper than JSON.stringify goes, 1e400. */
class RawJson {
  constructor(
    readonly text: string,
    readonly label: string
  ) {}
}

/** Like JSON.stringify, with RawJson values written as their text. */
const serialize = (value: unknown): string => {
  const raws: RawJson[] = []
  const text = JSON.stringify(value, (_key, v: unknown) => (v instanceof RawJson ? `@@raw:${raws.push(v) - 1}@@` : v))
  return text.replace(/"@@raw:(\d+)@@"/g, (_m, i: string) => raws[Number(i)]!.text)
}

const deepArray = (depth: number) => new RawJson('['.repeat(depth) + ']'.repeat(depth), `array nested ${depth} deep`)
const deepObject = (depth: number) => new RawJson('{"a":'.repeat(depth) + '1' + '}'.repeat(depth), `object nested ${depth} deep`)

const summarize = (value: unknown): string => {
  if (value instanceof RawJson) return value.label
  if (typeof value === 'string') return value.length > 40 ? `string of ${value.length} chars` : JSON.stringify(value)
  const text = serialize(value)
  return text.length > 40 ? `${Array.isArray(value) ? 'array' : typeof value} of ${text.length} chars` : text
}

/** Values of the wrong type, size or depth for whatever field they land in. */
const oddValue: Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(null, 0, -1, 1.5, -0, true, false, '', ' ', 'null', [], {}, [null], { '': '' }),
  fc.constantFrom<unknown>(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 64, new RawJson('1e400', '1e400'), new RawJson('-1e400', '-1e400')),
  fc.constantFrom(20_000, 40_000, 60_000).map(n => 'x'.repeat(n)),
  fc.constantFrom(5_000, 15_000).map(n => '€'.repeat(n)),
  fc.constantFrom(64, 1_000, 20_000, 30_000).map(deepArray),
  fc.constantFrom(64, 1_000, 10_000).map(deepObject),
  fc.constantFrom<unknown>({ ['__proto__']: { admin: true } }, { constructor: { prototype: { admin: true } } }, ['__proto__']),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.jsonValue({ maxDepth: 3 })
)

const resolve = (doc: OpenApiDocument, schema: JsonSchema): JsonSchema => {
  if (schema.$ref) return resolve(doc, doc.components?.schemas?.[schema.$ref.replace('#/components/schemas/', '')] ?? {})
  if (schema.allOf) {
    const parts = schema.allOf.map(part => resolve(doc, part))
    return { type: 'object', properties: Object.assign({}, ...parts.map(p => p.properties)), required: parts.flatMap(p => p.required ?? []) }
  }
  return schema
}

const patternString = (pattern: string): Arbitrary<string> | undefined => {
  try {
    return fc.stringMatching(new RegExp(pattern, 'u'))
  } catch {
    return undefined
  }
}

/** A value the schema accepts (as far as the generator can tell), preferring known good values by field name. */
const validValue = (doc: OpenApiDocument, raw: JsonSchema, known: RouteContext['known'], name?: string): Arbitrary<unknown> => {
  const schema = resolve(doc, raw)
  const knownValues = name ? known[name] : undefined
  if (knownValues?.length && (schema.type === 'string' || schema.type === undefined)) return fc.constantFrom(...knownValues)
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map(option => validValue(doc, option, known, name)))
  if (schema.enum?.length) return fc.constantFrom(...schema.enum)
  switch (schema.type) {
    case 'string': {
      if (schema.example !== undefined) return fc.constant(schema.example)
      if (schema.format === 'email') return fc.emailAddress()
      const fromPattern = schema.pattern ? patternString(schema.pattern) : undefined
      const minLength = schema.minLength ?? 0
      return fromPattern ?? fc.string({ minLength, maxLength: Math.max(minLength, Math.min(schema.maxLength ?? 24, 24)) })
    }
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1_000_000, max: schema.maximum ?? 1_000_000 })
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true })
    case 'boolean':
      return fc.boolean()
    case 'array':
      return fc.array(validValue(doc, schema.items ?? {}, known), { minLength: schema.minItems ?? 0, maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 3, 3)) })
    case 'object': {
      const properties = schema.properties ?? {}
      const shape = Object.fromEntries(Object.entries(properties).map(([key, property]) => [key, validValue(doc, property, known, key)]))
      return fc.record(shape, { requiredKeys: (schema.required ?? []).filter(key => key in properties) })
    }
    default:
      return fc.jsonValue({ maxDepth: 2 })
  }
}

type Path = (string | number)[]

const pathsIn = (value: unknown, prefix: Path = []): Path[] => {
  if (value === null || typeof value !== 'object' || value instanceof RawJson) return []
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value)
  return entries.flatMap(([key, child]) => [[...prefix, key], ...pathsIn(child, [...prefix, key])])
}

const REMOVE = Symbol('remove')

const replaced = (value: unknown, [head, ...rest]: Path, by: unknown): unknown => {
  if (head === undefined) return by
  if (Array.isArray(value)) return value.map((v, i) => (i === head ? replaced(v, rest, by) : v)).filter(v => v !== REMOVE)
  // A field an earlier mutation replaced by a scalar becomes an object again.
  const object = value !== null && typeof value === 'object' && !(value instanceof RawJson) ? (value as Record<string, unknown>) : {}
  const result: Record<string, unknown> = {}
  // defineProperty, so that a `__proto__` key stays an own field of the body.
  const set = (key: string, next: unknown) => next !== REMOVE && Object.defineProperty(result, key, { value: next, enumerable: true, writable: true, configurable: true })
  for (const key of Object.keys(object)) set(key, key === head ? replaced(object[key], rest, by) : object[key])
  if (!Object.keys(object).includes(String(head))) set(String(head), replaced(undefined, rest, by))
  return result
}

type Mutation = { path: Path; by: unknown }

/** A valid value with one or two fields replaced by odd values, removed, or an odd field added. */
const mutated = (valid: Arbitrary<unknown>): Arbitrary<{ value: unknown; detail: string }> =>
  valid.chain(value => {
    const paths = pathsIn(value)
    const mutation: Arbitrary<Mutation> =
      paths.length === 0
        ? oddValue.map(by => ({ path: [], by }))
        : fc.oneof(
            { weight: 6, arbitrary: fc.record({ path: fc.constantFrom(...paths), by: oddValue }) },
            { weight: 1, arbitrary: fc.record({ path: fc.constantFrom(...paths), by: fc.constant<unknown>(REMOVE) }) },
            { weight: 1, arbitrary: fc.record({ path: fc.constantFrom<Path>(['__proto__'], ['constructor'], ['extra']), by: oddValue }) }
          )
    return fc.array(mutation, { minLength: 1, maxLength: 2 }).map(mutations => ({
      value: mutations.reduce((v, m) => (m.path.length === 0 ? m.by : replaced(v, m.path, m.by)), value),
      detail: mutations.map(m => `${m.path.join('.') || 'body'} → ${m.by === REMOVE ? 'removed' : summarize(m.by)}`).join(', ')
    }))
  })

const MALFORMED_JSON = [
  '',
  '{',
  '{"to":',
  '{"to": "0812345678",}',
  "{'to': '0812345678'}",
  '{"to": NaN}',
  '{"a": 1} trailing',
  'undefined',
  '\u{feff}{}',
  '[1, 2',
  '{"a": "\\ud800"}',
  '{"a":"\u0000"}',
  '{"__proto__": {"admin": true}, "__proto__": 1}',
  '"just a string"',
  '12345678901234567890123456789012345678901234567890'
]

/** Content types a JSON body should not be sent with, or only oddly spelled. */
const ODD_CONTENT_TYPES = [
  'text/plain',
  'text/plain; charset=utf-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'multipart/form-data; boundary=fuzz',
  'application/xml',
  'application/octet-stream',
  'application/json; charset=utf-16',
  'APPLICATION/JSON',
  'application/json, application/json',
  'application/json, text/plain',
  'application/jsonx',
  'application/vnd.api+json',
  '*/*',
  'json',
  ';',
  ''
]

type Body = { body?: string | Uint8Array; contentType?: string; kind: string; detail: string }

const jsonBodies = (schema: Arbitrary<unknown>): Arbitrary<Body> =>
  fc.oneof(
    { weight: 2, arbitrary: schema.map(value => ({ body: serialize(value), contentType: 'application/json', kind: 'json valid', detail: '' })) },
    { weight: 10, arbitrary: mutated(schema).map(({ value, detail }) => ({ body: serialize(value), contentType: 'application/json', kind: 'json mutated', detail })) },
    { weight: 2, arbitrary: fc.jsonValue().map(value => ({ body: JSON.stringify(value), contentType: 'application/json', kind: 'json random', detail: summarize(value) })) },
    {
      weight: 2,
      arbitrary: fc.oneof(fc.constantFrom(...MALFORMED_JSON), schema.chain(v => fc.nat({ max: Math.max(serialize(v).length - 1, 0) }).map(n => serialize(v).slice(0, n)))).map(text => ({
        body: text,
        contentType: 'application/json',
        kind: 'json malformed',
        detail: summarize(text)
      }))
    },
    {
      weight: 4,
      arbitrary: fc.tuple(fc.oneof(schema, mutated(schema).map(m => m.value)), fc.constantFrom<string | undefined>(undefined, ...ODD_CONTENT_TYPES)).map(([value, contentType]) => ({
        body: serialize(value),
        ...(contentType === undefined ? {} : { contentType }),
        kind: `content-type ${contentType === undefined ? 'missing' : JSON.stringify(contentType)}`,
        detail: ''
      }))
    },
    { weight: 1, arbitrary: fc.constantFrom(70_000, 300_000).map(n => ({ body: JSON.stringify({ to: 'x'.repeat(n) }), contentType: 'application/json', kind: 'json over the body limit', detail: `${n} chars` })) },
    { weight: 1, arbitrary: fc.constant({ contentType: 'application/json', kind: 'json without a body', detail: '' }) }
  )

const CRLF = '\r\n'
type Part = { name: string; value: string | Uint8Array; fileName?: string; type?: string }

const multipartBody = (boundary: string, parts: Part[], close: boolean): Uint8Array =>
  Buffer.concat([
    ...parts.map(part =>
      Buffer.concat([
        Buffer.from(
          `--${boundary}${CRLF}Content-Disposition: form-data; name="${part.name}"${part.fileName === undefined ? '' : `; filename="${part.fileName}"`}${CRLF}${part.type ? `Content-Type: ${part.type}${CRLF}` : ''}${CRLF}`
        ),
        Buffer.from(part.value),
        Buffer.from(CRLF)
      ])
    ),
    Buffer.from(close ? `--${boundary}--${CRLF}` : '')
  ])

/** Uploads to a media route, built by hand: valid, cut short, with parts repeated or missing. */
const multipartBodies = (doc: OpenApiDocument, schema: JsonSchema, fileField: string, ctx: RouteContext): Arbitrary<Body> => {
  const file = ctx.files[fileField]!
  const properties = resolve(doc, schema).properties ?? {}
  const textFields = Object.fromEntries(
    Object.entries(properties)
      .filter(([name]) => name !== fileField)
      .map(([name, property]) => [name, validValue(doc, property, ctx.known, name).map(v => String(v))])
  )
  const fields = fc.record(textFields, { requiredKeys: ['to'] })
  const filePart: Part = { name: fileField, value: file.bytes, fileName: file.name, type: file.type }
  type Shape = { label: string; parts: (fields: Part[]) => Part[]; close?: boolean; truncate?: boolean; contentType?: (boundary: string) => string }
  const shapes: Shape[] = [
    { label: 'valid', parts: f => [...f, filePart] },
    { label: 'truncated', parts: f => [...f, filePart], truncate: true },
    { label: 'no closing boundary', parts: f => [...f, filePart], close: false },
    { label: 'second file part', parts: f => [...f, filePart, filePart] },
    { label: 'second file part, no closing boundary', parts: f => [...f, filePart, filePart], close: false },
    { label: 'second file part, truncated', parts: f => [...f, filePart, filePart], truncate: true },
    { label: 'file part first, then a second one cut short', parts: f => [filePart, ...f, filePart], truncate: true },
    { label: 'repeated text parts', parts: f => [...f, ...f, ...f, filePart] },
    { label: 'more parts than allowed', parts: f => [...Array.from({ length: 30 }, () => f).flat(), filePart] },
    { label: 'no file part', parts: f => f },
    { label: 'file under another field name', parts: f => [...f, { ...filePart, name: 'upload' }] },
    { label: 'file content of another type', parts: f => [...f, { ...filePart, value: Buffer.from('hello, not a media file') }] },
    { label: 'empty file', parts: f => [...f, { ...filePart, value: new Uint8Array() }] },
    { label: 'huge caption', parts: f => [...f, { name: 'caption', value: 'c'.repeat(20_000) }, filePart] },
    { label: 'part without a name', parts: f => [...f, { name: '', value: 'x' }, filePart] },
    { label: 'missing boundary', parts: f => [...f, filePart], contentType: () => 'multipart/form-data' },
    { label: 'another boundary', parts: f => [...f, filePart], contentType: () => 'multipart/form-data; boundary=not-the-one-used' },
    { label: 'quoted boundary', parts: f => [...f, filePart], contentType: b => `multipart/form-data; boundary="${b}"` },
    { label: 'mixed, not form-data', parts: f => [...f, filePart], contentType: b => `multipart/mixed; boundary=${b}` }
  ]
  return fc
    .record({
      shape: fc.constantFrom(...shapes),
      fields: fc.oneof({ weight: 3, arbitrary: fields }, { weight: 1, arbitrary: mutated(fields).map(m => m.value as Record<string, unknown>) }),
      boundary: fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/).map(s => `----fuzz${s}`),
      cut: fc.double({ min: 0, max: 1, noNaN: true })
    })
    .map(({ shape, fields, boundary, cut }) => {
      const textParts = Object.entries(fields ?? {}).map(([name, value]) => ({ name, value: typeof value === 'string' ? value : serialize(value) }))
      let body = multipartBody(boundary, shape.parts(textParts), shape.close ?? true)
      if (shape.truncate) body = body.subarray(0, Math.floor(body.length * cut))
      return { body, contentType: shape.contentType?.(boundary) ?? `multipart/form-data; boundary=${boundary}`, kind: `multipart ${shape.label}`, detail: summarize(fields) }
    })
}

const ODD_PATH_VALUES = ['', '.', '..', '%2e%2e', '%2E', 'a'.repeat(65), 'a'.repeat(1_000), 'ñandú', '会话', '🙂', '%00', 'a%00b', 'a/b', 'a%2Fb', '%', '%zz', '%C3%28', '%FF', ' ', '<script>', "' OR 1=1 --", '__proto__', 'constructor', 'null', '-', '0']

/** A path parameter as it goes into the URL: mostly a good value (URL-encoded), now and then an odd one as is. */
const pathValue = (doc: OpenApiDocument, parameter: Parameter, ctx: RouteContext): Arbitrary<{ value: string; odd: boolean }> => {
  const good = validValue(doc, parameter.schema ?? {}, ctx.known, parameter.name).map(v => ({ value: encodeURIComponent(String(v)), odd: false }))
  return fc.oneof({ weight: 9, arbitrary: good }, { weight: 1, arbitrary: fc.constantFrom(...ODD_PATH_VALUES).map(value => ({ value, odd: true })) })
}

const ODD_QUERY_VALUES = ['', 'abc', '-1', '0', '1.5', '1e3', '99999999999999999999', 'NaN', 'true', '%00', '%zz', 'x'.repeat(1_000)]

const queryString = (doc: OpenApiDocument, parameters: Parameter[], ctx: RouteContext): Arbitrary<string> => {
  const one = (parameter: Parameter) =>
    fc.oneof(
      { weight: 3, arbitrary: validValue(doc, parameter.schema ?? {}, ctx.known, parameter.name).map(v => [`${parameter.name}=${encodeURIComponent(String(v))}`]) },
      { weight: 1, arbitrary: fc.constant<string[]>([]) },
      { weight: 2, arbitrary: fc.constantFrom(...ODD_QUERY_VALUES).map(v => [`${parameter.name}=${v}`]) },
      { weight: 1, arbitrary: fc.constant([`${parameter.name}=4`, `${parameter.name}=x`]) }
    )
  const extra = fc.oneof({ weight: 9, arbitrary: fc.constant<string[]>([]) }, { weight: 1, arbitrary: fc.constantFrom(['__proto__[admin]=1'], ['a=%zz'], ['&&&'], ['='.repeat(50)]) })
  return fc.tuple(fc.tuple(...parameters.map(one)), extra).map(([values, more]) => {
    const pairs = [...values.flat(), ...more]
    return pairs.length ? `?${pairs.join('&')}` : ''
  })
}

/** Header values Node's fetch accepts: Latin-1, no CR, LF or NUL. */
const ODD_IDEMPOTENCY_KEYS = ['', ' ', 'k', 'same-key-1', 'same-key-2', 'key with spaces', 'tab\there', 'clé-\xf1-\xff', 'k'.repeat(256), 'k'.repeat(1_000), '"quoted"', '../../etc']
const ODD_ACCEPT = ['text/html', 'application/xml', '*/*;q=0', 'image/png', 'application/json;q=0, text/plain', 'garbage', '']

type Headers = { headers: Record<string, string>; kind: string | undefined; notes: string[] }

const headerArbitrary = (route: Route, ctx: RouteContext): Arbitrary<Headers> => {
  const tokens = ctx.tokens.map(({ token, weight }) => ({ weight, arbitrary: fc.constant(`Bearer ${token}`) }))
  const authorization = fc.oneof(
    { weight: 9, arbitrary: fc.oneof(...tokens).map(value => ({ value, kind: undefined })) },
    { weight: 1, arbitrary: fc.constantFrom<string | undefined>(undefined, ...ctx.badAuthorization).map(value => ({ value, kind: 'odd authorization' })) }
  )
  const takesBody = route.operation.requestBody !== undefined
  return fc
    .record({
      authorization,
      accept: fc.oneof({ weight: 4, arbitrary: fc.constant<string | undefined>(undefined) }, { weight: 1, arbitrary: fc.constantFrom(...ODD_ACCEPT) }),
      idempotencyKey: takesBody
        ? fc.oneof({ weight: 4, arbitrary: fc.constant<string | undefined>(undefined) }, { weight: 1, arbitrary: fc.constantFrom(...ODD_IDEMPOTENCY_KEYS) })
        : fc.constant<string | undefined>(undefined),
      extra: fc.oneof(
        { weight: 8, arbitrary: fc.constant<Record<string, string>>({}) },
        {
          weight: 1,
          arbitrary: fc.constantFrom<Record<string, string>>(
            { 'x-fuzz-padding': 'p'.repeat(8_000) },
            { 'x-forwarded-for': '127.0.0.1, ::1, not-an-ip' },
            { 'x-request-id': '../../../etc/passwd' },
            { cookie: 'session=__proto__; a=%zz' },
            { 'content-encoding': 'gzip' },
            { 'x-http-method-override': 'DELETE' }
          )
        }
      )
    })
    .map(({ authorization, accept, idempotencyKey, extra }) => ({
      headers: {
        ...extra,
        ...(authorization.value === undefined ? {} : { authorization: authorization.value }),
        ...(accept === undefined ? {} : { accept }),
        ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey })
      },
      kind: authorization.kind,
      notes: [
        ...(authorization.kind ? [`authorization ${authorization.value === undefined ? 'missing' : summarize(authorization.value)}`] : []),
        ...(accept === undefined ? [] : [`accept ${JSON.stringify(accept)}`]),
        ...(idempotencyKey === undefined ? [] : [`idempotency-key ${summarize(idempotencyKey)}`]),
        ...Object.entries(extra).map(([name, value]) => `${name} ${summarize(value)}`)
      ]
    }))
}

const NO_BODY: Arbitrary<Body> = fc.constant({ kind: 'no body', detail: '' })

/** Requests to one route: path, query, headers and body each generated from its part of the document. */
export const routeRequests = (doc: OpenApiDocument, route: Route, ctx: RouteContext): Arbitrary<FuzzRequest> => {
  const parameters = route.operation.parameters ?? []
  const pathParameters = parameters.filter(p => p.in === 'path')
  const content = route.operation.requestBody?.content ?? {}
  const jsonSchema = content['application/json']?.schema
  const multipartSchema = content['multipart/form-data']?.schema
  const fileField = route.path.split('/').at(-1) ?? ''
  const bodies: Arbitrary<Body>[] = []
  if (jsonSchema) bodies.push(jsonBodies(validValue(doc, jsonSchema, ctx.known)))
  if (multipartSchema && ctx.files[fileField]) bodies.push(multipartBodies(doc, multipartSchema, fileField, ctx))
  // A body where none is documented; fetch sends none with GET.
  if (!jsonSchema && !multipartSchema && route.method !== 'GET')
    bodies.push(fc.oneof({ weight: 5, arbitrary: NO_BODY }, { weight: 1, arbitrary: jsonBodies(fc.jsonValue({ maxDepth: 2 })) }))
  return fc
    .record({
      params: fc.tuple(...pathParameters.map(p => pathValue(doc, p, ctx))),
      query: queryString(doc, parameters.filter(p => p.in === 'query'), ctx),
      headers: headerArbitrary(route, ctx),
      body: bodies.length ? fc.oneof(...bodies) : NO_BODY
    })
    .map(({ params, query, headers, body }) => {
      const path = pathParameters.reduce((p, parameter, i) => p.replace(`{${parameter.name}}`, params[i]?.value ?? ''), route.path) + query
      const kind = [body.kind, headers.kind, params.some(p => p.odd) ? 'odd path parameter' : undefined].filter(Boolean).join(' · ')
      return {
        route: route.name,
        method: route.method,
        path,
        headers: { ...headers.headers, ...(body.contentType === undefined ? {} : { 'content-type': body.contentType }) },
        ...(body.body === undefined ? {} : { body: body.body }),
        kind,
        detail: [body.detail, ...headers.notes].filter(Boolean).join('; ')
      }
    })
}
