import type { FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';
import { CloseCode } from '../../protocol/close-codes.js';
import { AppError } from '../../protocol/error-catalogue.js';
import { errorFrame } from '../../protocol/server-frame.js';
import { IpConnectionCounter } from './ip-connection-counter.js';
import { WsConnection, type WsConnectionDeps, type WsShared } from './ws-connection.js';

export interface WsRouteOptions extends WsConnectionDeps {
  maxFrameBytes: number;
  maxConnectionsPerIp: number;
  /** sockets that have not logged in yet, all IPs together */
  maxUnauthenticated: number;
}

export interface WsGateway {
  readonly connectionCount: number;
  /**
   * Shutdown, step 1: refuses new sockets, and new chats on open ones (`shutting_down`);
   * answers in flight keep streaming.
   */
  stopAccepting(): void;
  /** Closes every socket with 1001 (shutdown, last step). */
  closeAll(): void;
}

/** Mounts `/wechat/ws`: the seed's WebSocket endpoint. */
export async function registerWsRoute(app: FastifyInstance, options: WsRouteOptions): Promise<WsGateway> {
  const perIp = new IpConnectionCounter(options.maxConnectionsPerIp);
  const connections = new Set<WsConnection>();
  const shared: WsShared & { draining: boolean } = {
    draining: false,
    chatRequestIds: new WeakMap(),
    unauthenticated: new Set(),
    totalBufferedBytes() {
      let sum = 0;
      for (const connection of connections) sum += connection.bufferedAmount;
      return sum;
    },
  };
  let nextId = 1;

  await app.register(websocket, {
    // Larger frames close the socket with 1009 inside ws, before any parsing.
    options: { maxPayload: options.maxFrameBytes, perMessageDeflate: false },
    // Shutdown closes sockets itself (with 1001, after answers finish).
    preClose: (done) => done(),
  });

  app.get('/wechat/ws', { websocket: true }, (socket, request) => {
    const ip = request.ip;
    const refuse = (reason: 'shutting_down' | 'too_many_connections', code: number) => {
      socket.send(JSON.stringify(errorFrame(new AppError(reason))));
      socket.close(code, reason);
    };
    if (shared.draining) return refuse('shutting_down', CloseCode.GOING_AWAY);
    // Anonymous sockets cost nothing to open, from as many addresses as an attacker has: bound
    // them all together (the login timeout bounds how long each one is held).
    if (shared.unauthenticated.size >= options.maxUnauthenticated) {
      options.logger.warn({ ip, unauthenticated: shared.unauthenticated.size }, 'too many sockets not logged in');
      return refuse('too_many_connections', CloseCode.TRY_AGAIN_LATER);
    }
    if (!perIp.tryAdd(ip)) return refuse('too_many_connections', CloseCode.TRY_AGAIN_LATER);
    const log = options.logger.child({ conn: nextId++, ip });
    const connection = new WsConnection(socket, options, log, shared);
    connections.add(connection);
    shared.unauthenticated.add(connection);
    socket.on('close', () => {
      connections.delete(connection);
      perIp.remove(ip);
    });
    connection.start();
  });

  return {
    get connectionCount() {
      return connections.size;
    },
    stopAccepting() {
      shared.draining = true;
    },
    closeAll() {
      for (const connection of connections) connection.close(CloseCode.GOING_AWAY, 'server shutting down');
    },
  };
}
