import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { GatewayConfigSchema } from '../../gateway/env/config.ts'
import { HostConfigSchema } from '../../session-host/config.ts'
import { LOG_SETTINGS } from '../../shared/logger.ts'

const ROOT = resolve(import.meta.dirname, '..', '..')
// Not settings: the Workers static-assets binding, and the emulator's driver for Baileys in tests.
const NOT_SETTINGS = new Set(['ASSETS'])
const TEST_ONLY_FOLDERS = ['session-host/sim/testing']

/** Names the product's code reads from its environment outside the config schemas (writes excluded). */
const directReads = (): Map<string, string> => {
  const reads = new Map<string, string>()
  for (const folder of ['gateway', 'session-host', 'shared', 'scripts']) {
    for (const entry of readdirSync(join(ROOT, folder), { withFileTypes: true, recursive: true })) {
      const file = relative(ROOT, join(entry.parentPath, entry.name))
      if (!entry.isFile() || !file.endsWith('.ts') || file.endsWith('.test.ts') || TEST_ONLY_FOLDERS.some(f => file.startsWith(f))) continue
      for (const match of readFileSync(join(ROOT, file), 'utf8').matchAll(/\benv\.([A-Z][A-Z0-9_]+)\b(?!\s*=[^=])/g)) {
        if (!NOT_SETTINGS.has(match[1]!)) reads.set(match[1]!, file)
      }
    }
  }
  return reads
}

/** The backticked names in the first column of the README's configuration table. */
const documented = (): Set<string> => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('\n## Configuration\n'), readme.indexOf('\n## ', readme.indexOf('\n## Configuration\n') + 5))
  const names = section
    .split('\n')
    .filter(line => line.startsWith('| `'))
    .flatMap(line => [...(line.split('|')[1] ?? '').matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map(m => m[1]!))
  return new Set(names)
}

describe('the README', () => {
  it('documents every setting the gateway, the host and npm start read', () => {
    const read = new Map<string, string>([
      ...Object.keys(GatewayConfigSchema.shape).map(name => [name, 'gateway/env/config.ts'] as const),
      ...Object.keys(HostConfigSchema.in.shape).map(name => [name, 'session-host/config.ts'] as const),
      ...Object.keys(LOG_SETTINGS).map(name => [name, 'shared/logger.ts'] as const),
      ...directReads()
    ])
    assert.ok(read.size >= 30 && read.has('PORT') && read.has('WA_WEBSOCKET_URL'), [...read.keys()].join(' '))
    const table = documented()
    const missing = [...read].filter(([name]) => !table.has(name)).map(([name, file]) => `${name} (${file})`)
    assert.deepEqual(missing, [])
    const stale = [...table].filter(name => !read.has(name))
    assert.deepEqual(stale, [], 'documented but read nowhere')
  })
})
