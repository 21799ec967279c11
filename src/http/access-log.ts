// The access log (ROLLCALL_ACCESS_LOG=on, docs/operations.md "Logs"): one line per request, written
// when the response is finished, in place of Fastify's two ("incoming request" and "request
// completed"). One line carries everything an access log needs, so a log pipeline need not join two
// lines by reqId, and it halves the lines written. It is Fastify's own log controller with those two
// lines replaced, so every other line Fastify writes (errors, 404s, closing) stays as it was.
// The URL and tenant come from the logger's own serializer and mixin (request-log.ts): a setup
// link's token is cut out of the path, and headers other than the user agent are never logged.
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/** A user agent longer than this is cut (a client can send kilobytes). */
const MAX_USER_AGENT = 200;

export class AccessLog extends LogController {
  override incomingRequest(): void {
    // Nothing: the access line is written once the response is finished.
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const length = reply.getHeader('content-length');
    const line = {
      req: request, res: reply,
      // Fastify's own measure (arrival to the last byte handed to the socket), as "request completed" had it.
      responseTime: Math.round(reply.elapsedTime * 10) / 10,
      // Absent for a streamed answer, whose length is not known in advance.
      bytes: length === undefined ? undefined : Number(length),
      userAgent: request.headers['user-agent']?.slice(0, MAX_USER_AGENT),
    };
    // An error here is the response's stream failing (Fastify's "request errored").
    if (error) request.log.error({ ...line, err: error }, 'request errored');
    else request.log.info(line, 'request');
  }
}
