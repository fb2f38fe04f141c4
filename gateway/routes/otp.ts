import { createRoute, z } from '@hono/zod-openapi'
import { appError } from '../../shared/errors.ts'
import { requireScope, requireSession } from '../auth/scopes.ts'
import type { RouteGroupApp } from '../env/gateway-env.ts'
import { idempotencyOf } from '../http/idempotency.ts'
import { generateOtpCode } from '../otp/otp-code.ts'
import { hashOtpCode } from '../otp/otp-hash.ts'
import { OtpTemplateError, renderOtpMessage } from '../otp/otp-templates.ts'
import { envelope, errorResponses, json, jsonRequest, MessageDelivery, Recipient, SessionIdParam } from '../http/schemas.ts'
import { OtpView as HostOtpView, OTP_ROUTES, VerifyAnswer } from '../../shared/host-api/otp.ts'
import { newOtpId, OTP_ID_PATTERN } from '../../shared/ids.ts'
import { OTP_STATUSES } from '../../shared/statuses.ts'
import { hostListQuery, pageOf, RecipientWindowQuery, SessionFilter, sessionScope } from '../http/list-query.ts'
import { OTP_CODE_PATTERN, OTP_LENGTH, OTP_TTL_SECONDS } from '../../shared/otp-policy.ts'

// The host's answers, as the public API shows them (the delivery with its documented fields).
const OtpView = HostOtpView.extend({
  delivery: MessageDelivery.nullable()
    .optional()
    .openapi({ description: 'Where the message carrying the code stands (queued, sent, delivered, read or failed, with times); null before it is queued' })
}).openapi('Otp')

const VerifyResult = VerifyAnswer.openapi('OtpVerification')

const security = [{ bearerAuth: [] }]
const Code = z.string().regex(OTP_CODE_PATTERN)
const OtpLength = z.number().int().min(OTP_LENGTH.min).max(OTP_LENGTH.max).default(OTP_LENGTH.default)
const OtpIdParam = z
  .string()
  .regex(OTP_ID_PATTERN)
  .openapi({ param: { name: 'otpId', in: 'path' } })

const send = createRoute({
  method: 'post',
  path: '/api/messages/{sessionId}/otp',
  tags: ['OTP'],
  summary: 'Send a one-time code over WhatsApp',
  description: 'The code is never returned: verify it with POST /api/otp/verify, or pass your own `code`.',
  security,
  request: {
    params: z.object({ sessionId: SessionIdParam }),
    body: jsonRequest(
      z.object({
        to: Recipient,
        companyName: z.string().min(1).max(64).optional(),
        length: OtpLength,
        ttlSeconds: z.number().int().min(OTP_TTL_SECONDS.min).max(OTP_TTL_SECONDS.max).default(OTP_TTL_SECONDS.default),
        locale: z.enum(['id', 'en']).default('id'),
        template: z.string().max(1024).optional().openapi({ example: '{{company}}: your code is {{code}} ({{minutes}} min)' }),
        code: Code.optional()
      })
    )
  },
  responses: { 201: json(envelope(OtpView), 'Sent'), ...errorResponses(404, 422) }
})

const verify = createRoute({
  method: 'post',
  path: '/api/otp/verify',
  tags: ['OTP'],
  summary: 'Check a code the user typed',
  security,
  request: {
    body: jsonRequest(
      z.union([
        z.object({ otpId: z.string().regex(OTP_ID_PATTERN), code: Code }),
        z.object({ sessionId: SessionIdParam.openapi({ param: undefined }), to: Recipient, code: Code })
      ])
    )
  },
  responses: { 200: json(envelope(VerifyResult), 'Checked'), ...errorResponses(404) }
})

const status = createRoute({
  method: 'get',
  path: '/api/otp/{otpId}',
  tags: ['OTP'],
  summary: 'An OTP and its status (never the code)',
  security,
  request: { params: z.object({ otpId: OtpIdParam }) },
  responses: { 200: json(envelope(OtpView), 'OTP'), ...errorResponses(404) }
})

const cancel = createRoute({
  method: 'post',
  path: '/api/otp/{otpId}/cancel',
  tags: ['OTP'],
  summary: 'Cancel a pending OTP',
  description: 'An OTP that is no longer pending stays as it is: 409 OTP_NOT_PENDING, with its status in details.',
  security,
  request: { params: z.object({ otpId: OtpIdParam }) },
  responses: { 200: json(envelope(OtpView), 'Canceled'), ...errorResponses(404, 409) }
})

const generate = createRoute({
  method: 'get',
  path: '/api/messages/{sessionId}/generate-otp',
  tags: ['OTP'],
  summary: 'A random code, for callers that send it themselves (stores nothing)',
  security,
  request: {
    params: z.object({ sessionId: SessionIdParam }),
    query: z.object({ length: z.coerce.number().int().min(OTP_LENGTH.min).max(OTP_LENGTH.max).default(OTP_LENGTH.default) })
  },
  responses: {
    200: json(
      envelope(
        z.object({
          code: z.string(),
          otp: z.string().openapi({ description: "The same code (the original API's name)" }),
          length: z.number().int(),
          timestamp: z.string(),
          expiresIn: z.number().int().openapi({ description: 'The TTL, in seconds, of an OTP sent with default settings (as a suggestion: nothing is stored)' })
        })
      ),
      'Code'
    ),
    ...errorResponses()
  }
})

const list = createRoute({
  method: 'get',
  path: '/api/otp',
  tags: ['OTP'],
  summary: 'OTPs of every session the token may see, newest first (never the code)',
  security,
  request: { query: RecipientWindowQuery.extend({ sessionId: SessionFilter, status: z.enum(OTP_STATUSES).optional() }) },
  responses: { 200: json(envelope(pageOf(OtpView, 'OtpPage')), 'A page of OTPs'), ...errorResponses(404, 422) }
})

const formatPhone = createRoute({
  method: 'get',
  path: '/api/messages/format-phone/{number}',
  tags: ['Utilities'],
  summary: 'Normalise a phone number to E.164 and a WhatsApp JID',
  security,
  request: {
    params: z.object({
      number: z
        .string()
        .min(1)
        .max(64)
        .openapi({ param: { name: 'number', in: 'path' }, example: '081234567890' })
    })
  },
  responses: {
    200: json(
      envelope(
        z.object({
          input: z.string(),
          e164: z.string(),
          jid: z.string(),
          country: z.string().nullable(),
          valid: z.boolean(),
          original: z.string().openapi({ description: "The input (the original API's name)" }),
          formatted: z.string().openapi({ description: 'E.164 digits without the +' }),
          whatsappFormat: z.string().openapi({ description: "The WhatsApp JID (the original API's name for `jid`)" })
        })
      ),
      'Number'
    ),
    ...errorResponses()
  }
})

/** What a verify answer says, in words that match its status. */
const verdictMessage = ({ valid, status }: z.infer<typeof VerifyResult>): string =>
  valid
    ? 'Code approved'
    : {
        approved: 'This code was already used',
        pending: 'Wrong code',
        max_attempts_reached: 'Too many wrong codes: this OTP is locked',
        expired: 'This OTP has expired',
        canceled: 'This OTP was canceled',
        failed: 'This OTP could not be delivered'
      }[status]

export const registerOtp = (app: RouteGroupApp) =>
  app
    .openapi(formatPhone, c => {
      const phone = c.var.deps.phoneInfo(c.req.valid('param').number)
      const data = { ...phone, original: phone.input, formatted: phone.e164.slice(1), whatsappFormat: phone.jid }
      return c.json({ success: true as const, message: phone.valid ? 'Valid number' : 'Invalid number', data }, 200)
    })
    .openapi(send, async c => {
      const { sessionId } = c.req.valid('param')
      requireScope(c.var.principal, 'otp:send')
      requireSession(c.var.principal, sessionId)
      const body = c.req.valid('json')
      const { config, host } = c.var.deps
      const phone = c.var.deps.phone(body.to)
      const otpId = newOtpId()
      const code = body.code ?? generateOtpCode(body.length)
      let text: string
      try {
        text = renderOtpMessage({
          code,
          companyName: body.companyName ?? config.OTP_COMPANY_NAME,
          ttlSeconds: body.ttlSeconds,
          locale: body.locale,
          ...(body.template ? { template: body.template } : {})
        })
      } catch (error) {
        if (error instanceof OtpTemplateError) throw appError('VALIDATION_ERROR', error.message, { fields: [{ path: 'template', message: error.message }] })
        throw error
      }
      const codeHash = await hashOtpCode({ pepper: await c.var.deps.otpPepper, otpId, code })
      const idempotency = await idempotencyOf(c, body)
      const data = await host.call(
        OTP_ROUTES.send,
        { sessionId },
        {
          ...(idempotency ? { idempotency } : {}),
          otpId,
          destination: phone.e164.slice(1),
          jid: phone.jid,
          codeHash,
          ttlSeconds: body.ttlSeconds,
          text
        }
      )
      return c.json({ success: true as const, message: 'OTP sent', data }, 201)
    })
    .openapi(verify, async c => {
      const principal = c.var.principal
      requireScope(principal, 'otp:verify')
      const body = c.req.valid('json')
      const { host } = c.var.deps
      if (!('otpId' in body)) requireSession(principal, body.sessionId)
      const otpId =
        'otpId' in body
          ? body.otpId
          : (await host.call(OTP_ROUTES.latest, { query: { sessionId: body.sessionId, destination: c.var.deps.phone(body.to).e164.slice(1) } })).otpId
      // One round trip: the host checks the OTP's session against the token's in the same UPDATE.
      const codeHash = await hashOtpCode({ pepper: await c.var.deps.otpPepper, otpId, code: body.code })
      const data = await host.call(
        OTP_ROUTES.verify,
        { otpId },
        {
          codeHash,
          ...(principal.sessions ? { allowedSessions: [...principal.sessions] } : {})
        }
      )
      return c.json({ success: true as const, message: verdictMessage(data), data }, 200)
    })
    .openapi(list, async c => {
      requireScope(c.var.principal, 'sessions:read')
      const { sessionId, ...query } = c.req.valid('query')
      const data = await c.var.deps.host.call(OTP_ROUTES.list, { query: hostListQuery(c.var.deps, sessionScope(c.var.principal, sessionId), query) })
      return c.json({ success: true as const, message: 'OTPs', data }, 200)
    })
    .openapi(status, async c => {
      const principal = c.var.principal
      if (!principal.scopes.has('otp:verify') && !principal.scopes.has('otp:send')) requireScope(principal, 'otp:verify')
      const data = await c.var.deps.host.call(OTP_ROUTES.get, { otpId: c.req.valid('param').otpId })
      requireSession(principal, data.sessionId)
      return c.json({ success: true as const, message: 'OTP', data }, 200)
    })
    .openapi(cancel, async c => {
      const principal = c.var.principal
      requireScope(principal, 'otp:send')
      const { otpId } = c.req.valid('param')
      // One guarded statement on the host: it checks the OTP's session against the token's as it cancels.
      const data = await c.var.deps.host.call(OTP_ROUTES.cancel, { otpId }, principal.sessions ? { allowedSessions: [...principal.sessions] } : {})
      return c.json({ success: true as const, message: 'OTP canceled', data }, 200)
    })
    .openapi(generate, c => {
      requireScope(c.var.principal, 'otp:send')
      requireSession(c.var.principal, c.req.valid('param').sessionId)
      const { length } = c.req.valid('query')
      const code = generateOtpCode(length)
      const data = { code, otp: code, length, timestamp: new Date(c.var.deps.now()).toISOString(), expiresIn: OTP_TTL_SECONDS.default }
      return c.json({ success: true as const, message: 'Generated code', data }, 200)
    })
