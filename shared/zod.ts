import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi'
import { z } from 'zod'

/**
 * zod for the shared schemas, with `.openapi()` already on it. The gateway documents these schemas
 * with `.openapi()`, which zod only gives to schemas made after it was extended; the gateway builds
 * its route groups late (gateway/route-groups.ts), and a process that holds a session host too
 * (the in-process tests) makes them before that. Extending here, first, makes the order not matter.
 */
extendZodWithOpenApi(z)

export { z }
