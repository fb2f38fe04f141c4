import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { API_TYPES_FILE, generateApiTypes } from '../../scripts/dashboard-api-types.ts'

/** The dashboard is type-checked against the API's types; those must be the gateway's document as it is now. */
describe("the dashboard's API types", () => {
  it('are what the OpenAPI document gives today (run `npm run api-types` after changing a schema)', async () => {
    assert.equal(readFileSync(API_TYPES_FILE, 'utf8'), await generateApiTypes())
  })
})
