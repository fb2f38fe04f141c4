import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { copyFile, rename, rm } from 'node:fs/promises'

/** Moves a file, copying when the folders are on different file systems. */
export const moveFile = async (from: string, to: string): Promise<void> => {
  try {
    await rename(from, to)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error
    await copyFile(from, to)
    await rm(from, { force: true })
  }
}

/** The file's SHA-256, streamed: part of an upload's Idempotency-Key fingerprint. */
export const fileDigest = async (path: string): Promise<Buffer> => {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest()
}
