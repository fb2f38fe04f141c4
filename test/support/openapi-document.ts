/**
 * The parts of an OpenAPI document the fuzz generators read, and what they ask of it: which
 * operations there are, whether a response is documented as JSON, and a schema with its `$ref`s
 * and `allOf`s resolved. Apart from the generators: what the document says is one concern, how
 * requests are made from it another.
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
export type Parameter = { name: string; in: 'path' | 'query' | 'header' | 'cookie'; required?: boolean; schema?: JsonSchema }
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

export const resolve = (doc: OpenApiDocument, schema: JsonSchema): JsonSchema => {
  if (schema.$ref) return resolve(doc, doc.components?.schemas?.[schema.$ref.replace('#/components/schemas/', '')] ?? {})
  if (schema.allOf) {
    const parts = schema.allOf.map(part => resolve(doc, part))
    return { type: 'object', properties: Object.assign({}, ...parts.map(p => p.properties)), required: parts.flatMap(p => p.required ?? []) }
  }
  return schema
}
