import { Hono } from 'hono'
import { ok } from '../../shared/errors.ts'
import { OtpId } from '../../shared/ids.ts'
import { CancelOtpRequest, LatestOtpQuery, OTP_ROUTES as ROUTES, SendOtpRequest, VerifyOtpRequest } from '../../shared/host-api/otp.ts'
import { jsonBody } from '../../shared/json-body.ts'
import type { OtpService } from '../otp/otp-service.ts'

/** Internal OTP routes: the gateway made and hashed the code and checked the caller's scope. */
export const otpRoutes = (otps: OtpService) =>
  new Hono()
    .post(ROUTES.send.pattern, async c => {
      const { otp, replayed } = await otps.send(c.req.param('sessionId'), await jsonBody(c, SendOtpRequest))
      return c.json(ok(replayed ? 'OTP already sent (Idempotency-Key)' : 'OTP sent', otp), replayed ? 200 : 201)
    })
    .get(ROUTES.latest.pattern, async c => c.json(ok('Latest pending OTP', await otps.latest(LatestOtpQuery.parse(c.req.query())))))
    .get(ROUTES.get.pattern, async c => c.json(ok('OTP', await otps.get(OtpId.parse(c.req.param('otpId'))))))
    .post(ROUTES.verify.pattern, async c =>
      c.json(ok('OTP checked', await otps.verify(OtpId.parse(c.req.param('otpId')), await jsonBody(c, VerifyOtpRequest))))
    )
    // A gateway from before the guarded cancel sends no body (it checked the token's sessions itself).
    .post(ROUTES.cancel.pattern, async c =>
      c.json(ok('OTP canceled', await otps.cancel(OtpId.parse(c.req.param('otpId')), await jsonBody(c, CancelOtpRequest, { emptyAs: {} }))))
    )
