// The SAML service provider's endpoints, per tenant (issue 12, docs/sso.md), registered under /saml
// by surfaces.ts: the SP metadata, the SP-initiated login, and the assertion consumer service (ACS,
// HTTP-POST binding). Browsers reach these, so every answer that is not a redirect or the metadata
// is an HTML page (pages.ts), never JSON, and never a 500 for what a client sends.
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../../config/config.ts';
import { SignIn, SignInRefused, TestSignInFailed, type SignInFailure } from '../../provisioning/sso/sign-in.ts';
import { formFields, FormRefused } from './form-body.ts';
import { sendChooser, sendFormPost, sendRedirect, sendRefusal } from './pages.ts';
import { sendTestFailed, sendTestSucceeded } from './test-pages.ts';

export interface SamlRouteDeps { config: Readonly<Config>; signIn: SignIn }

const FORM = 'application/x-www-form-urlencoded';
/**
 * The ACS body limit: the SAMLResponse's own limit (config.saml.maxResponseBytes, base64) grown by
 * its percent-encoding ('+', '/' and '=' take three characters each, about 5% of base64 on
 * average), plus room for RelayState. The exact limit on the response is the validator's, after
 * decoding the form; this one bounds what is read at all.
 */
const acsBodyLimit = (config: Readonly<Config>) => Math.ceil(config.saml.maxResponseBytes * 1.25) + 16 * 1024;

type TenantParams = { tenant: string };

export async function registerSamlRoutes(scope: FastifyInstance, deps: SamlRouteDeps): Promise<void> {
  const { signIn } = deps;
  const bodyLimit = acsBodyLimit(deps.config);
  // Only forms are read; any other body is read as text (within the same limit) so that the ACS
  // refuses it with a page and an event, instead of a parser error.
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit }, (_req, body, done) => done(null, { form: body as string }));
  scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit }, (_req, _body, done) => done(null, { form: undefined }));

  scope.setErrorHandler((err: FastifyError | SignInRefused | TestSignInFailed, request, reply) => {
    if (err instanceof TestSignInFailed) {
      request.log.info({ reason: err.reason, tenant: err.found.tenant }, 'test sign-in failed');
      return sendTestFailed(reply, err, request.id);
    }
    if (err instanceof SignInRefused) {
      // The reason beside the request id in the log, as on the page and in the event.
      request.log.info({ reason: err.reason, tenant: err.extra.tenant }, 'sign-in refused');
      return sendRefusal(reply, err.status, err.reason, { requestId: request.id, detail: err.message, connection: err.extra.connection, tenant: err.extra.tenant });
    }
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) {
      request.log.error({ err, req: request }, 'unexpected failure');
      return sendRefusal(reply, 500, 'internal', { requestId: request.id });
    }
    const reason: SignInFailure = err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'too_large' : 'bad_request';
    return sendRefusal(reply, status, reason, { requestId: request.id, detail: err.message });
  });
  scope.setNotFoundHandler((request, reply) => sendRefusal(reply, 404, 'not_found', { requestId: request.id }));

  scope.get<{ Params: TenantParams }>('/:tenant/metadata', async (request, reply) => {
    const xml = await signIn.metadata(request.params.tenant);
    return reply.type('application/samlmetadata+xml; charset=utf-8').header('cache-control', 'no-cache').send(xml);
  });

  scope.get<{ Params: TenantParams; Querystring: Record<string, unknown> }>('/:tenant/login', async (request, reply) => {
    const returnTo = single(request, 'returnTo');
    const connection = single(request, 'connection');
    const step = await signIn.start(request.params.tenant, { returnTo, connection });
    if (step.kind === 'choose') return sendChooser(reply, step.connections, step.returnTo);
    return sendRedirect(reply, step.url);
  });

  scope.post<{ Params: TenantParams; Body: { form?: string } | undefined }>('/:tenant/acs', { bodyLimit }, async (request, reply) => {
    let fields: { SAMLResponse?: string; RelayState?: string } = {};
    if (typeof request.body?.form === 'string') {
      try {
        fields = formFields(request.body.form, ['SAMLResponse', 'RelayState'] as const);
      } catch (err) {
        if (!(err instanceof FormRefused)) throw err;
        // Refused as a response that is missing: the use case records the event.
        fields = {};
      }
    }
    const step = await signIn.finish(request.params.tenant, { samlResponse: fields.SAMLResponse?.trim(), relayState: fields.RelayState }, request.id);
    if (step.kind === 'test') return sendTestSucceeded(reply, step, request.id);
    if (step.kind === 'redirect') return sendRedirect(reply, step.url);
    return sendFormPost(reply, step.url, step.fields);
  });
}

/** A query parameter given at most once (a repeated one is refused: which copy counts would be a guess). */
function single(request: FastifyRequest, name: string): string | undefined {
  const v = (request.query as Record<string, unknown>)[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new SignInRefused('bad_request', `The query parameter ${name} was given more than once; give it once.`);
  return v;
}
