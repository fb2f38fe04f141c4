import { resolve } from 'node:path'
import { build } from 'esbuild'

const ROOT = resolve(import.meta.dirname, '..', '..')

/**
 * The worker's script bundle as `wrangler deploy` makes it from wrangler.toml (esbuild, ES modules,
 * the Workers conditions, minified as `minify = true` asks): what workerd runs in the tests and
 * what the benchmark weighs.
 */
export const bundleWorker = async (main: string, { minify = true }: { minify?: boolean } = {}): Promise<Uint8Array> => {
  const result = await build({
    entryPoints: [resolve(ROOT, main)],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    conditions: ['worker', 'workerd', 'browser'],
    // The neutral platform reads no main fields by default; some dependencies only have these.
    mainFields: ['module', 'main'],
    minify,
    logLevel: 'silent'
  })
  return result.outputFiles[0]!.contents
}
