import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { gzipSync } from 'node:zlib'
import metadata from 'libphonenumber-js/max/metadata'
import { bundleWorker } from '../support/worker-bundle.ts'

/** Workers count the gzipped script against the plan's limit and load it on every cold start. */
const BUDGET_BYTES = 150 * 1024

describe("the Workers gateway's script bundle", () => {
  it('stays under 150 KB gzipped, leaving the phone metadata to the static assets and zod’s locales out', async () => {
    const bundle = await bundleWorker('gateway/worker.ts')
    const gzipped = gzipSync(bundle).length
    assert.ok(gzipped < BUDGET_BYTES, `${(gzipped / 1024).toFixed(1)} KB gzipped`)
    const text = new TextDecoder().decode(bundle)
    // A pattern only the metadata holds (Indonesia's valid numbers), and a locale's message.
    const indonesia = (metadata as unknown as { countries: Record<string, unknown[]> }).countries.ID!
    const pattern = indonesia.find((entry): entry is string => typeof entry === 'string' && entry.length > 30)!
    assert.ok(text.includes('country_calling_codes'), 'the check reads the right text')
    // As the bundle writes it: inside a JavaScript string.
    assert.ok(!text.includes(JSON.stringify(pattern).slice(1, -1)), 'the phone metadata is not in the bundle')
    assert.ok(!text.includes('Nieprawidłowe'), "zod's Polish locale is not in the bundle")
  })
})
