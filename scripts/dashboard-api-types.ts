import { compile } from 'json-schema-to-typescript'
import type { JSONSchema4 } from 'json-schema'
import { buildGateway } from '../gateway/build-gateway.ts'
import { parseGatewayConfig } from '../gateway/env/config.ts'
import { MAX_PHONE_NUMBERS } from '../shared/phone-max.ts'

/** Where the generated types live, beside the code that reads them. */
export const API_TYPES_FILE = new URL('../dashboard/src/api-schema.ts', import.meta.url)

type Doc = {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: JSONSchema4 }> }> }>>
  components: { schemas: Record<string, JSONSchema4> }
}

/** The gateway's OpenAPI document, as GET /api/openapi.json serves it (sandbox mode: every route). */
const openApiDocument = async (): Promise<Doc> => {
  const filler = 'f'.repeat(32)
  const config = parseGatewayConfig({ HOST_URL: 'http://host.invalid', INTERNAL_SECRET: filler, JWT_SECRET: filler, OTP_PEPPER: filler, WA_MODE: 'sandbox' })
  const response = await buildGateway(config, { phoneNumbers: MAX_PHONE_NUMBERS }).request('/api/openapi.json')
  return (await response.json()) as Doc
}

/** The `data` of a route's 200 answer, for the answers the document does not name. */
const dataOf = (doc: Doc, path: string, method: string): JSONSchema4 => {
  const schema = doc.paths[path]?.[method]?.responses['200']?.content?.['application/json']?.schema
  const data = schema?.properties?.data
  if (!data) throw new Error(`${method.toUpperCase()} ${path} documents no JSON data`)
  return data
}

/**
 * The TypeScript types of the API's answers the dashboard reads, generated from the OpenAPI
 * document (json-schema-to-typescript over its schemas): the dashboard is type-checked against
 * what the gateway documents, and a test fails when the committed file falls behind it.
 */
export const generateApiTypes = async (): Promise<string> => {
  const doc = await openApiDocument()
  const named = Object.fromEntries(Object.keys(doc.components.schemas).map(name => [name, { $ref: `#/components/schemas/${name}` }]))
  const answers = {
    Qr: dataOf(doc, '/api/sessions/{sessionId}/qr', 'get'),
    Health: dataOf(doc, '/api/health', 'get')
  }
  const root: JSONSchema4 = {
    title: 'ApiSchemas',
    type: 'object',
    properties: { ...named, ...answers },
    required: [...Object.keys(named), ...Object.keys(answers)],
    additionalProperties: false,
    components: doc.components
  }
  return compile(root, 'ApiSchemas', {
    bannerComment: '/* Generated from GET /api/openapi.json by `npm run api-types` (scripts/dashboard-api-types.ts). Do not edit. */',
    additionalProperties: false,
    unreachableDefinitions: false,
    format: true,
    style: { semi: false, singleQuote: true, printWidth: 160 }
  })
}
