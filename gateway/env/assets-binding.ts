/** The Workers Static Assets binding (wrangler.toml `[assets] binding`). */
export type AssetsBinding = { fetch(request: Request): Promise<Response> }

export const isAssetsBinding = (value: unknown): value is AssetsBinding => typeof (value as AssetsBinding | undefined)?.fetch === 'function'
