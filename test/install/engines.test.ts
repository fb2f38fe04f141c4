import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import semver from 'semver'

type Manifest = { engines: { node: string }; allowScripts: Record<string, boolean> }
type LockEntry = { version?: string; engines?: { node?: string } | string[]; hasInstallScript?: boolean; optional?: boolean; os?: string[] }

const ROOT = resolve(import.meta.dirname, '..', '..')
const manifest = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as Manifest
const lock = JSON.parse(readFileSync(resolve(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> }
// Only what this platform got: optional builds for other systems are listed but never installed.
const installed = Object.entries(lock.packages)
  .filter(([path]) => path.startsWith('node_modules/') && existsSync(resolve(ROOT, path)))
  .map(([path, entry]) => ({ name: path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length), ...entry }))

/**
 * What `npm ci` checks and warns about, read from the lock file: an install on any Node the project
 * declares prints no EBADENGINE, and no install script runs (or is skipped) without a decision.
 */
describe('what npm ci installs', () => {
  it('runs on the oldest Node package.json declares, and on this one', () => {
    const declared = manifest.engines.node
    const oldest = semver.minVersion(declared)!.version
    assert.ok(semver.satisfies(process.version, declared), `${process.version} is within ${declared}`)
    for (const node of [oldest, process.version]) {
      const wanting = installed.flatMap(entry => {
        const wanted = Array.isArray(entry.engines) ? undefined : entry.engines?.node
        return wanted && !semver.satisfies(node, wanted) ? [`${entry.name}@${entry.version} wants node ${wanted}`] : []
      })
      assert.deepEqual(wanting, [], `EBADENGINE on node ${node}`)
    }
  })

  it('has an allowScripts decision for every package with an install script', () => {
    const undecided = installed.filter(entry => entry.hasInstallScript && !(entry.name in manifest.allowScripts)).map(entry => `${entry.name}@${entry.version}`)
    assert.deepEqual([...new Set(undecided)], [])
  })
})
