// CONNECT asks a proxy for a tunnel (RFC 9110 §9.3.6). Node's http server does not route it: it
// emits 'connect', and with no listener it destroys the socket, so the client saw a dropped
// connection instead of an answer. Rollcall is no proxy: every CONNECT is answered with a SCIM
// error, 501 as RFC 9110 §15.6.2 describes for a method the server does not support, and closed.
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { notImplemented } from '../scim/errors.ts';
import { endWithScimError } from './scim/errors.ts';

export function refuseConnect(server: Server): void {
  server.on('connect', (_request: unknown, socket: Duplex) => {
    // The tunnel would start right after the request head: nothing further is read.
    socket.on('error', () => socket.destroy());
    endWithScimError(socket, 'Not Implemented', notImplemented('CONNECT is not supported: Rollcall is a SCIM server, not a proxy. Send SCIM requests (GET, POST, PUT, PATCH, DELETE) to /scim/v2/<tenant>/.'));
  });
}
