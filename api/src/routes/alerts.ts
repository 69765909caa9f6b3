import { z } from 'zod';
import { acknowledgeAlert, alertAcknowledgements, alertKey, type IndexedAlert } from '../../../store/src';
import { assertSessionRole } from '../auth/sessionRole';
import type { ApiContext } from '../context';
import { ApiError } from '../errors';
import { defineRoute } from '../http/defineRoute';
import { addressSchema, errorSchema, timeSchema } from '../schemas/common';
import { alertSchema } from '../schemas/twins';
import { sessionOf } from './auth';

const acknowledgementSchema = z
  .object({ by: addressSchema, at: timeSchema })
  .nullable()
  .meta({ id: 'AlertAcknowledgement', description: 'Who acknowledged the alert first, and when; null before anyone' });

/** An alert as the security inbox lists it: with its acknowledgement, shared by every security entity's session. */
export const inboxAlertSchema = alertSchema.extend({ acknowledged: acknowledgementSchema }).meta({ id: 'InboxAlert' });

/**
 * The inbox's alerts with their acknowledgements.
 *
 * @example
 * await withAcknowledgements(context, await alertsUpdatedSince(context.index, 0))
 */
export async function withAcknowledgements(context: ApiContext, alerts: IndexedAlert[]) {
  const acknowledgements = await alertAcknowledgements(context.index);
  return alerts.map((alert) => ({
    ...alert,
    acknowledged: acknowledgements.get(alertKey(alert.by, alert.alertId)) ?? null,
  }));
}

/**
 * `POST /alerts/{by}/{alertId}/acknowledge`: a security entity acknowledges an alert of the security entity `by`
 * (triage: seen, being handled). The first acknowledgement is kept; every inbox shows it.
 *
 * @example
 * mountRoutes(router, alertRoutes(context))
 */
export function alertRoutes(context: ApiContext) {
  return [
    defineRoute({
      method: 'post',
      path: '/alerts/:by/:alertId/acknowledge',
      operationId: 'acknowledgeAlert',
      summary: 'Acknowledge a security alert (security entities): the first acknowledgement is kept',
      tag: 'fleet',
      auth: 'bearer',
      params: z.object({
        by: addressSchema.meta({ description: 'The security entity that raised the alert' }),
        alertId: z.string().min(1).max(128),
      }),
      responses: {
        200: { description: 'The acknowledgement kept', schema: acknowledgementSchema.unwrap() },
        400: { description: 'Invalid input (the field is named)', schema: errorSchema },
        401: { description: 'Not signed in, or the token is bad or expired', schema: errorSchema },
        403: { description: 'Not a security entity', schema: errorSchema },
        404: { description: 'No such alert', schema: errorSchema },
      },
      handler: async ({ params, req }) => {
        const session = await sessionOf(req, context.auth);
        assertSessionRole(session, ['security']);
        const kept = await acknowledgeAlert(context.index, params.by, params.alertId, session.address, Date.now());
        if (kept === undefined)
          throw new ApiError(`alertId: no alert ${params.alertId} of ${params.by}.`, {
            status: 404,
            code: 'alert-not-found',
            details: { field: 'alertId' },
          });
        return kept;
      },
    }),
  ];
}
