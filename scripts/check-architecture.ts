import { readdirSync, readFileSync } from 'node:fs'
import { dirname, isAbsolute, join, relative } from 'node:path'
import { parseCircular, parseDependencyTree } from 'dpdm'
import type { DependencyTree } from 'dpdm'

/**
 * The rules the folder tree promises, checked on every source file (`npm run lint`):
 * - no import cycle between files, type-only imports included;
 * - no cycle between folders of product code (session-host/outbox → session-host/messages → session-host/outbox is one);
 * - shared/ stays runtime-free: no node: module, no Node-only library, no Drizzle;
 * - a route module never imports another route module;
 * - no source file over 400 lines.
 */
const MAX_LINES = 400
const NODE_ONLY = /^(node:|pino|pino-pretty$|drizzle-orm|better-sqlite3|@hono\/node-server|undici$|ws$|@whiskeysockets\/)/
const ROUTE_FOLDERS = ['gateway/routes/', 'session-host/routes/']

export type Finding = { rule: string; detail: string }

/** A cycle of files, rotated to start at the one that sorts first. */
const fromFirstByName = (cycle: string[]): string[] => {
  const first = cycle.indexOf([...cycle].sort()[0] as string)
  return [...cycle.slice(first), ...cycle.slice(0, first)]
}

/** Every finding for these entry files (their imports are followed). */
export const checkArchitecture = async (files: string[], root = process.cwd()): Promise<Finding[]> => {
  /** dpdm answers relative or absolute paths depending on how it was asked. */
  const rel = (file: string): string => (isAbsolute(file) ? relative(root, file) : file)
  const isProjectFile = (file: string | null): file is string =>
    file !== null && !file.includes('node_modules') && !rel(file).startsWith('..') && /\.[cm]?[jt]s$/.test(file)
  const tree: DependencyTree = await parseDependencyTree(files, { cwd: root, context: root, transform: false, skipDynamicImports: false })
  const findings: Finding[] = []
  const local = Object.keys(tree).filter(isProjectFile)

  // dpdm reads files concurrently, so where it enters a cycle varies: each starts at its first file by name.
  for (const cycle of parseCircular(tree)) findings.push({ rule: 'file cycle', detail: fromFirstByName(cycle.map(rel)).join(' → ') })

  const folders = new Map<string, Set<string>>()
  for (const file of local) {
    const from = dirname(rel(file))
    // Tests sit beside their code and reach across folders on purpose; only product code counts here.
    const isTest = /\.test\.ts$|[.-]fixture\.ts$/.test(rel(file)) || rel(file).startsWith('test/')
    for (const dependency of tree[file] ?? []) {
      const target = dependency.id
      if (!isProjectFile(target)) continue
      const to = dirname(rel(target))
      if (to !== from && !isTest) folders.set(from, (folders.get(from) ?? new Set()).add(to))
      const routeFolder = ROUTE_FOLDERS.find(folder => rel(file).startsWith(folder))
      if (routeFolder && !isTest && rel(target).startsWith(routeFolder)) {
        findings.push({ rule: 'route imports route', detail: `${rel(file)} → ${rel(target)}` })
      }
    }
    if (rel(file).startsWith('shared/') && !rel(file).endsWith('.test.ts')) {
      for (const dependency of tree[file] ?? []) {
        if (NODE_ONLY.test(dependency.request)) findings.push({ rule: 'shared/ imports a runtime', detail: `${rel(file)} → ${dependency.request}` })
      }
    }
    const lines = readFileSync(join(root, rel(file)), 'utf8').split('\n').length - 1
    if (lines > MAX_LINES) findings.push({ rule: `file over ${MAX_LINES} lines`, detail: `${rel(file)} (${lines})` })
  }
  for (const group of folderCycles(folders)) findings.push({ rule: 'folders import each other', detail: group.join(', ') })
  return findings
}

/** Groups of folders that import each other (the strongly connected parts of the folder graph). */
const folderCycles = (graph: Map<string, Set<string>>): string[][] => {
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const groups: string[][] = []
  const visit = (folder: string): void => {
    index.set(folder, index.size)
    low.set(folder, index.get(folder)!)
    stack.push(folder)
    for (const next of graph.get(folder) ?? []) {
      if (!index.has(next)) {
        visit(next)
        low.set(folder, Math.min(low.get(folder)!, low.get(next)!))
      } else if (stack.includes(next)) low.set(folder, Math.min(low.get(folder)!, index.get(next)!))
    }
    if (low.get(folder) !== index.get(folder)) return
    const group: string[] = []
    let member: string
    do {
      member = stack.pop()!
      group.push(member)
    } while (member !== folder)
    if (group.length > 1) groups.push(group.sort())
  }
  for (const folder of [...graph.keys()].sort()) if (!index.has(folder)) visit(folder)
  return groups
}

/** Every TypeScript file of the project's folders (what `npm run lint` checks when given none). */
const projectFiles = (root = process.cwd()): string[] =>
  ['gateway', 'session-host', 'shared', 'scripts', 'test', 'dashboard'].flatMap(folder =>
    readdirSync(join(root, folder), { withFileTypes: true, recursive: true })
      .filter(entry => entry.isFile() && entry.name.endsWith('.ts'))
      .map(entry => relative(root, join(entry.parentPath, entry.name)))
  )

if (import.meta.url === `file://${process.argv[1]}`) {
  const files = process.argv.length > 2 ? process.argv.slice(2) : projectFiles()
  const findings = await checkArchitecture(files)
  for (const line of new Set(findings.map(({ rule, detail }) => `${rule}: ${detail}`))) console.log(line)
  console.log(`architecture: ${files.length} files, ${findings.length} findings`)
  process.exitCode = findings.length > 0 ? 1 : 0
}
