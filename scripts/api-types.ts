import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { API_TYPES_FILE, generateApiTypes } from './dashboard-api-types.ts'

/** `npm run api-types`: writes the dashboard's types from the gateway's OpenAPI document. */
writeFileSync(API_TYPES_FILE, await generateApiTypes())
console.log(`written ${fileURLToPath(API_TYPES_FILE)}`)
