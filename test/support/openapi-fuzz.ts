import fc from 'fast-check'
import type { Arbitrary } from 'fast-check'
import type { OpenApiDocument, Parameter, Route } from './openapi-document.ts'
import { jsonBodies, multipartBodies, summarize, validValue } from './openapi-fuzz-values.ts'
import type { Body, RouteContext } from './openapi-fuzz-values.ts'

/**
 * Requests generated from the gateway's own OpenAPI document, for the API fuzz test: for every
 * operation, mostly valid requests with one or two things wrong (a field of the wrong type, a huge
 * or deeply nested value, a malformed or truncated body, an odd content type, path parameter or
 * header), so that most of them reach validation and the handlers rather than bouncing off auth.
 */

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

const ODD_PATH_VALUES = [
  '',
  '.',
  '..',
  '%2e%2e',
  '%2E',
  'a'.repeat(65),
  'a'.repeat(1_000),
  'ñandú',
  '会话',
  '🙂',
  '%00',
  'a%00b',
  'a/b',
  'a%2Fb',
  '%',
  '%zz',
  '%C3%28',
  '%FF',
  ' ',
  '<script>',
  "' OR 1=1 --",
  '__proto__',
  'constructor',
  'null',
  '-',
  '0'
]

/** A path parameter as it goes into the URL: mostly a good value (URL-encoded), now and then an odd one as is. */
const pathValue = (doc: OpenApiDocument, parameter: Parameter, ctx: RouteContext): Arbitrary<{ value: string; odd: boolean }> => {
  const good = validValue(doc, parameter.schema ?? {}, ctx.known, parameter.name).map(v => ({ value: encodeURIComponent(String(v)), odd: false }))
  return fc.oneof({ weight: 9, arbitrary: good }, { weight: 1, arbitrary: fc.constantFrom(...ODD_PATH_VALUES).map(value => ({ value, odd: true })) })
}

const ODD_QUERY_VALUES = ['', 'abc', '-1', '0', '1.5', '1e3', '99999999999999999999', 'NaN', 'true', '%00', '%zz', 'x'.repeat(1_000)]

const queryString = (doc: OpenApiDocument, parameters: Parameter[], ctx: RouteContext): Arbitrary<string> => {
  const one = (parameter: Parameter) =>
    fc.oneof(
      {
        weight: 3,
        arbitrary: validValue(doc, parameter.schema ?? {}, ctx.known, parameter.name).map(v => [`${parameter.name}=${encodeURIComponent(String(v))}`])
      },
      { weight: 1, arbitrary: fc.constant<string[]>([]) },
      { weight: 2, arbitrary: fc.constantFrom(...ODD_QUERY_VALUES).map(v => [`${parameter.name}=${v}`]) },
      { weight: 1, arbitrary: fc.constant([`${parameter.name}=4`, `${parameter.name}=x`]) }
    )
  const extra = fc.oneof(
    { weight: 9, arbitrary: fc.constant<string[]>([]) },
    { weight: 1, arbitrary: fc.constantFrom(['__proto__[admin]=1'], ['a=%zz'], ['&&&'], ['='.repeat(50)]) }
  )
  return fc.tuple(fc.tuple(...parameters.map(one)), extra).map(([values, more]) => {
    const pairs = [...values.flat(), ...more]
    return pairs.length ? `?${pairs.join('&')}` : ''
  })
}

/** Header values Node's fetch accepts: Latin-1, no CR, LF or NUL. */
const ODD_IDEMPOTENCY_KEYS = [
  '',
  ' ',
  'k',
  'same-key-1',
  'same-key-2',
  'key with spaces',
  'tab\there',
  'clé-\xf1-\xff',
  'k'.repeat(256),
  'k'.repeat(1_000),
  '"quoted"',
  '../../etc'
]
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
      query: queryString(
        doc,
        parameters.filter(p => p.in === 'query'),
        ctx
      ),
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
