import { readCappedBody } from './capped-body.ts'
import { appError } from './errors.ts'
import { bodyHasDigest, verifySignedHeaders } from './internal-signing.ts'
import type { VerifyRequestInput } from './internal-signing.ts'

/** A signed internal request refused, with the reason the check gave. */
export const refusedSignature = (reason: string) => appError('INTERNAL_AUTH_FAILED', 'Internal request signature refused', { reason })

type SignedBodyOptions = Omit<VerifyRequestInput, 'body' | 'method' | 'pathWithQuery' | 'headers'> & { maxBytes: number }

/**
 * The body of a signed internal request (gateway ↔ host), in the order that holds nothing for a
 * stranger: the signature over the claimed digest first, then the body up to `maxBytes` (413
 * beyond), then the body against that digest. A refusal is 401 INTERNAL_AUTH_FAILED with its reason.
 */
export const readSignedBody = async (request: Request, { maxBytes, ...options }: SignedBodyOptions): Promise<Uint8Array> => {
  const url = new URL(request.url)
  const verified = await verifySignedHeaders({ ...options, method: request.method, pathWithQuery: `${url.pathname}${url.search}`, headers: request.headers })
  if (!verified.ok) throw refusedSignature(verified.reason)
  const body = await readCappedBody(request, maxBytes)
  if (!(await bodyHasDigest(body, verified.digest, options.primitives))) throw refusedSignature('bad_digest')
  return body
}
