import { z } from '../zod.ts'
import { SessionId } from '../ids.ts'
import { MEDIA_KINDS } from '../media.ts'
import { hostRoute } from './host-route.ts'
import { PairingCodeRequest } from './sessions.ts'

/** POST /internal/sandbox/inbound: a contact writes a text, or sends a file, to a session. */
export const SandboxInboundRequest = z
  .object({
    sessionId: SessionId,
    from: z.string().regex(/^\d{6,15}$/),
    text: z.string().min(1).max(4096).optional(),
    /** The message comes from the contact's LID alone, without its number (as WhatsApp sends some). */
    lidOnly: z.boolean().optional(),
    media: z
      .object({
        type: z.enum(MEDIA_KINDS),
        data: z.base64().max(7 * 1024 * 1024),
        mimetype: z.string().min(3).max(128).optional(),
        fileName: z.string().min(1).max(255).optional(),
        caption: z.string().max(1024).optional()
      })
      .optional()
  })
  .refine(body => (body.text === undefined) !== (body.media === undefined), { message: 'give either text or media', path: ['text'] })

export const SandboxInboundAnswer = z.object({ messageId: z.string(), sessionId: z.string(), from: z.string() })

/** GET /internal/sandbox/messages: what a simulated recipient decrypted. */
export const SandboxMessage = z.object({
  messageId: z.string(),
  sessionId: z.string().nullable(),
  to: z.string(),
  refusedWith: z.string().nullable(),
  text: z.string().nullable(),
  received: z.array(z.record(z.string(), z.unknown()))
})

/**
 * Where the fleet's one emulator listens, the authority its media host's certificate comes from, and
 * the root (hex public key) its noise certificates are signed by.
 */
export const SandboxEmulatorAnswer = z.object({ wsUrl: z.string(), caPem: z.string(), noiseRootKey: z.string().regex(/^[0-9a-f]{64}$/) })

/** The emulator's phone scans a QR a session of another host shows (sandbox sessions link by themselves). */
export const SandboxScanRequest = z.object({ sessionId: SessionId, qr: z.string().min(1).max(4096) })

/** The emulator's phone types a pairing code a session of another host was given. */
export const SandboxPairingCodeRequest = PairingCodeRequest.extend({ code: z.string().min(8).max(9) })

/** Sandbox-only routes (a live host answers 404); `?to=digits` narrows the messages. */
export const SANDBOX_ROUTES = {
  inbound: hostRoute({ method: 'POST', pattern: '/internal/sandbox/inbound', body: SandboxInboundRequest, answer: SandboxInboundAnswer }),
  messages: hostRoute({ method: 'GET', pattern: '/internal/sandbox/messages', body: undefined, answer: z.array(SandboxMessage) }),
  /** Host to host, in a sandbox fleet: the other hosts use the emulator of the host that runs it. */
  emulator: hostRoute({ method: 'GET', pattern: '/internal/sandbox/emulator', body: undefined, answer: SandboxEmulatorAnswer }),
  scan: hostRoute({ method: 'POST', pattern: '/internal/sandbox/scan', body: SandboxScanRequest, answer: z.object({ scanned: z.boolean() }) }),
  enterPairingCode: hostRoute({
    method: 'POST',
    pattern: '/internal/sandbox/pairing-code',
    body: SandboxPairingCodeRequest,
    answer: z.object({ linked: z.boolean() })
  })
}
