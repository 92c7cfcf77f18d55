import { channel } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

/**
 * Holds a request's bytes until its socket can carry them, then runs the send gate (the rate-limit
 * permit's start) and lets them go. The vendor caps requests *started* in any rolling second, and a
 * request starts at the server when its bytes arrive: over a new connection that is after the TCP connect
 * and the TLS handshake, which can take hundreds of milliseconds. Counting the start before the handshake
 * would let that request arrive in the same second as the ones granted after it (issue #18).
 *
 * How: Node writes a request's buffered headers when the request gets its socket; the socket is corked
 * at that moment (before the write), and uncorked once it is ready and the gate resolved. A reused
 * keep-alive socket is ready at once, so the usual request waits only for the gate.
 */

/**
 * The rate-limit permit as the send sees it (ratelimit/limiter.ts Permit): `start` resolves when the
 * request may leave; `holds`, called synchronously just before the bytes go, says whether that start is
 * still good (false: wait again). A gate without `holds` always holds.
 */
export interface Gate {
  start(): Promise<void>;
  holds?(): boolean;
}

/**
 * Published (with the request) when a gated request's bytes are released to its socket: its start as the
 * vendor counts it. Node's own `http.client.request.start` fires when the request object is made, before
 * the connection and the gate, so it cannot show the rate on the wire; benchmarks and tests subscribe here.
 */
export const REQUEST_SENT_CHANNEL = 'rtc-room-monitor:request.sent';
const requestSent = channel(REQUEST_SENT_CHANNEL);

/** The part of node:http / node:https axios calls as its `transport`. */
export interface RequestModule {
  request(options: RequestOptions, callback?: (res: IncomingMessage) => void): ClientRequest;
}

export function gatedTransport(base: RequestModule, gate: Gate): RequestModule {
  return {
    request(options, callback) {
      const req = base.request(options, callback);
      req.once('socket', (socket: Socket) => {
        socket.cork();
        whenReady(socket, req.reusedSocket)
          .then(async (ready) => {
            // Closed before it was ready: the request fails on its own (a connection error); nothing to count.
            if (!ready) return;
            // start() checks the grant is fresh, but continuations can run between its check and this one
            // (a synchronous commit, a GC pause); holds() repeats it where nothing can come between.
            await gate.start();
            while (gate.holds && !gate.holds()) await gate.start();
            socket.uncork();
            if (requestSent.hasSubscribers) requestSent.publish({ request: req });
          })
          .catch((err: unknown) => req.destroy(err instanceof Error ? err : new Error(String(err))));
      });
      return req;
    },
  };
}

/** Resolves true once `socket` is connected (and, for TLS, handshaken); false if it closes first. */
export function whenReady(socket: Socket, reused: boolean): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(false);
  if (reused || isReady(socket)) return Promise.resolve(true);
  const event = socket instanceof TLSSocket ? 'secureConnect' : 'connect';
  return new Promise((resolve) => {
    const settle = (ready: boolean): void => {
      socket.off(event, onReady);
      socket.off('close', onClose);
      resolve(ready);
    };
    const onReady = (): void => settle(true);
    const onClose = (): void => settle(false);
    socket.once(event, onReady);
    socket.once('close', onClose);
  });
}

function isReady(socket: Socket): boolean {
  // A TLS socket has a cipher only once the handshake is done (getProtocol() already names the version
  // the client offers before it). A proxy agent's tunnel may hand over a socket that is already secure.
  if (socket instanceof TLSSocket) return Boolean(socket.getCipher());
  // A proxy agent may hand over a stream that is not a net.Socket: it has no `connecting`, and is ready.
  return socket.connecting !== true;
}
