import fc from 'fast-check'
import type { Arbitrary } from 'fast-check'
import { resolve } from './openapi-document.ts'
import type { JsonSchema, OpenApiDocument } from './openapi-document.ts'

/**
 * The values and bodies the API fuzz test sends: values a schema accepts, odd ones of the wrong
 * type, size or depth, valid values with a field or two mutated, and JSON and multipart bodies
 * built from them. Apart from the request assembly so that each can change without the other.
 */

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
const deepObject = (depth: number) => new RawJson(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`, `object nested ${depth} deep`)

export const summarize = (value: unknown): string => {
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

const patternString = (pattern: string): Arbitrary<string> | undefined => {
  try {
    return fc.stringMatching(new RegExp(pattern, 'u'))
  } catch {
    return undefined
  }
}

/** A value the schema accepts (as far as the generator can tell), preferring known good values by field name. */
export const validValue = (doc: OpenApiDocument, raw: JsonSchema, known: RouteContext['known'], name?: string): Arbitrary<unknown> => {
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
      return fc.array(validValue(doc, schema.items ?? {}, known), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 3, 3))
      })
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
  const set = (key: string, next: unknown) =>
    next !== REMOVE && Object.defineProperty(result, key, { value: next, enumerable: true, writable: true, configurable: true })
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

export type Body = { body?: string | Uint8Array; contentType?: string; kind: string; detail: string }

export const jsonBodies = (schema: Arbitrary<unknown>): Arbitrary<Body> =>
  fc.oneof(
    { weight: 2, arbitrary: schema.map(value => ({ body: serialize(value), contentType: 'application/json', kind: 'json valid', detail: '' })) },
    {
      weight: 10,
      arbitrary: mutated(schema).map(({ value, detail }) => ({ body: serialize(value), contentType: 'application/json', kind: 'json mutated', detail }))
    },
    {
      weight: 2,
      arbitrary: fc.jsonValue().map(value => ({ body: JSON.stringify(value), contentType: 'application/json', kind: 'json random', detail: summarize(value) }))
    },
    {
      weight: 2,
      arbitrary: fc
        .oneof(
          fc.constantFrom(...MALFORMED_JSON),
          schema.chain(v => fc.nat({ max: Math.max(serialize(v).length - 1, 0) }).map(n => serialize(v).slice(0, n)))
        )
        .map(text => ({
          body: text,
          contentType: 'application/json',
          kind: 'json malformed',
          detail: summarize(text)
        }))
    },
    {
      weight: 4,
      arbitrary: fc
        .tuple(
          fc.oneof(
            schema,
            mutated(schema).map(m => m.value)
          ),
          fc.constantFrom<string | undefined>(undefined, ...ODD_CONTENT_TYPES)
        )
        .map(([value, contentType]) => ({
          body: serialize(value),
          ...(contentType === undefined ? {} : { contentType }),
          kind: `content-type ${contentType === undefined ? 'missing' : JSON.stringify(contentType)}`,
          detail: ''
        }))
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(70_000, 300_000)
        .map(n => ({ body: JSON.stringify({ to: 'x'.repeat(n) }), contentType: 'application/json', kind: 'json over the body limit', detail: `${n} chars` }))
    },
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
export const multipartBodies = (doc: OpenApiDocument, schema: JsonSchema, fileField: string, ctx: RouteContext): Arbitrary<Body> => {
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
      return {
        body,
        contentType: shape.contentType?.(boundary) ?? `multipart/form-data; boundary=${boundary}`,
        kind: `multipart ${shape.label}`,
        detail: summarize(fields)
      }
    })
}
