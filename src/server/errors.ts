import type { FastifyError, FastifyInstance } from 'fastify';
import { AccessError, type AccessErrorCode } from '../access/errors.js';
import { STEP_UP_MAX_AGE_S } from '../access/policy.js';
import { IncidentError } from '../incident/errors.js';
import { RecordError } from '../records/errors.js';
import { DocumentError } from '../documents/index.js';
import { operationOutcome } from './outcome.js';
import { installFhirHttp } from './fhir-http.js';

/**
 * The error_description of a WWW-Authenticate challenge (RFC 6750 §3: printable ASCII without
 * `"` or a backslash), by code: English, vague like the body, and never a rule's reason.
 */
const HEADER_DESCRIPTIONS: Readonly<Partial<Record<AccessErrorCode, string>>> = {
  step_up_required: 'A fresh second factor is required',
  token_invalid: 'The access token is invalid or expired',
  session_revoked: 'This session has ended',
  session_suspended: 'This account was suspended: call the security officer',
  dpop_invalid: 'The DPoP proof is missing, invalid or replayed',
};

/** The code system of the access error catalogue's codes in an OperationOutcome's issue.details. */
/** PostgreSQL's unique_violation, and what the client is told of it. */
const UNIQUE_VIOLATION = '23505';
const RACED = 'Another request wrote the same record at the same moment. Nothing was carried out; read it again.';

export const ACCESS_ERROR_SYSTEM = 'urn:medvault:access-error';

/**
 * Errors become OperationOutcomes here, at the edge, and nowhere else. The client gets a
 * message chosen for it; the log keeps the type and code (never the message of a driver, which
 * may quote data).
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AccessError | Error, req, reply) => {
    reply.type('application/fhir+json');
    if (error instanceof AccessError) {
      if (error.retryAfter !== undefined) reply.header('retry-after', String(error.retryAfter));
      // Header values stay ASCII (RFC 9110 §5.5: other octets are opaque, and clients mangle
      // them): a fixed English description per code; the French, with its reason, is in the body.
      const description = HEADER_DESCRIPTIONS[error.code];
      if (error.code === 'step_up_required') {
        // RFC 9470 §3: the resource server asks for a fresher authentication.
        reply.header('www-authenticate', `Bearer error="insufficient_user_authentication", error_description="${description}", max_age=${STEP_UP_MAX_AGE_S}`);
      } else if (error.code === 'token_invalid' || error.code === 'session_revoked' || error.code === 'session_suspended') {
        reply.header('www-authenticate', `Bearer error="invalid_token", error_description="${description}"`);
      } else if (error.code === 'dpop_invalid') {
        // RFC 9449 §7.1.
        reply.header('www-authenticate', `DPoP error="invalid_dpop_proof", error_description="${description}", algs="ES256 EdDSA"`);
      } else if (error.code === 'token_missing') {
        reply.header('www-authenticate', 'Bearer realm="medvault"');
      }
      // The catalogue's stable code beside the words (issue.details, a CodeableConcept): a client
      // tells a suspension from an expired session without reading prose.
      const o = operationOutcome(error.status, error.text());
      const issue = o.issue.map((i) => ({ ...i, details: { coding: [{ system: ACCESS_ERROR_SYSTEM, code: error.code }] } }));
      return reply.code(error.status).send({ ...o, issue });
    }
    if (error instanceof RecordError) {
      const detail = error.problems.length > 0 ? `${error.message} ${error.problems.slice(0, 10).join('; ')}` : error.message;
      return reply.code(error.status).send(operationOutcome(error.status, detail));
    }
    if (error instanceof DocumentError) {
      // The rule broken, in French, naming a field or a line, never a value (documents/errors.ts).
      return reply.code(error.status).send(operationOutcome(error.status, error.message));
    }
    if (error instanceof IncidentError) {
      return reply.code(error.status).send(operationOutcome(error.status, `${error.message} ${error.detail}`));
    }
    const fe = error as FastifyError;
    if ((error as { code?: string }).code === 'VAULT_INTEGRITY') {
      // A sealed value failed its integrity check: altered or damaged in the database.
      // The records layer audited it and raised an alert; the client learns the record is damaged.
      req.log.error({ err: { type: error.name, code: 'VAULT_INTEGRITY' } }, 'sealed value failed its integrity check');
      return reply.code(500).send(operationOutcome(500, 'This record is damaged: it failed its integrity check. Nothing of it was returned; the security officer has been alerted.'));
    }
    if (error.name === 'MaxRetriesPerRequestError' || error.name === 'SharedStateUnavailableError' || /Stream isn't writeable|enableOfflineQueue|Connection is closed/.test(error.message)) {
      // Redis (shared login state, challenges, cursors) is away: a clear 503, at once.
      reply.header('retry-after', '5');
      req.log.warn({ err: { type: error.name } }, 'shared state (Redis) unavailable');
      return reply.code(503).send(operationOutcome(503, 'A shared service is unavailable. The request was not carried out; try again shortly.'));
    }
    if (error.name === 'DatabaseUnavailableError') {
      // The database is down, failing over or stalled: nothing was carried out that the
      // client can count on; it may try again. The pool recovers by itself when the database returns.
      reply.header('retry-after', '2');
      req.log.warn({ err: { type: error.name } }, 'database unavailable');
      return reply.code(503).send(operationOutcome(503, 'The database is unavailable. The request was not carried out; try again shortly.'));
    }
    if ((error as { code?: string }).code === UNIQUE_VIOLATION) {
      // A unique value written by two requests at once (the same INS-NIR registered twice in the same
      // moment): the one that lost changed nothing. Neither the value nor the constraint is named.
      req.log.warn({ err: { type: error.name, code: '23505' } }, 'unique value written concurrently');
      return reply.code(409).send(operationOutcome(409, RACED));
    }
    if (error.name === 'NotReadyError') {
      reply.header('retry-after', '5');
      return reply.code(503).send(operationOutcome(503, 'medvault is starting. Try again shortly.'));
    }
    if (fe.validation) {
      // ajv's message names the field and the rule, never the value.
      return reply.code(400).send(operationOutcome(400, `Invalid request: ${fe.validationContext ?? 'input'}${fe.validation[0]?.instancePath ?? ''} ${fe.validation[0]?.message ?? ''}`.trim()));
    }
    const status = fe.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const message =
        fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError
          ? 'The body is not valid JSON.'
          : fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
            ? 'The body is too large.'
            : fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
              ? 'Unsupported content type: send application/json.'
              : fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
                ? 'The body is empty.'
                : 'The request could not be processed.';
      return reply.code(status).send(operationOutcome(status, message));
    }
    req.log.error({ err: error }, 'request failed');
    return reply.code(500).send(operationOutcome(500, 'Internal error. The request was not carried out.'));
  });

  const allowed = installFhirHttp(app);
  app.setNotFoundHandler((req, reply) => {
    reply.type('application/fhir+json');
    const methods = allowed(req.method, req.url);
    if (methods.length > 0) {
      // The path exists, not with this method (FHIR: 405 for an interaction the server does not support).
      const why = `${req.method} is not supported on this path; it supports ${methods.join(', ')}.`;
      return reply.code(405).header('allow', methods.join(', ')).send(operationOutcome(405, why));
    }
    return reply.code(404).send(operationOutcome(404, 'No such resource or route.'));
  });
}
