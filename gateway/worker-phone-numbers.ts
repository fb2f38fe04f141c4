import type { MetadataJson } from 'libphonenumber-js/core'
import { phoneNumbers } from '../shared/phone.ts'
import type { PhoneNumbers } from '../shared/phone.ts'
import { isAssetsBinding } from './env/assets-binding.ts'

/**
 * Where scripts/worker-assets.ts puts libphonenumber's full metadata among the static assets: 150 KB
 * the script bundle does not carry, read once per isolate.
 */
export const PHONE_METADATA_ASSET_PATH = '/assets/libphonenumber/metadata.max.json'

/** The phone metadata from the static assets, for the same answers as the Node gateway's. */
export const loadPhoneNumbers = async (env: Record<string, unknown>): Promise<PhoneNumbers> => {
  if (!isAssetsBinding(env.ASSETS)) throw new Error('The ASSETS binding (wrangler.toml [assets]) is missing: it holds the phone metadata')
  const response = await env.ASSETS.fetch(new Request(new URL(PHONE_METADATA_ASSET_PATH, 'https://assets.invalid')))
  if (!response.ok) throw new Error(`The phone metadata asset is missing (${response.status}): run the [build] command`)
  return phoneNumbers((await response.json()) as MetadataJson)
}
