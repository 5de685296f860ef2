import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type WebSocket from 'ws';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import websocket from '@fastify/websocket';
import { addBindings } from '../../observability/bind-logger.js';
import { CloseCode } from '../../protocol/close-codes.js';
import { AppError } from '../../protocol/error-catalogue.js';
import { errorFrame } from '../../protocol/server-frame.js';
import { toAppError } from '../../protocol/to-app-error.js';
import { compressionOptions } from './compression.js';
import { IpConnectionCounter } from './ip-connection-counter.js';
import { WsConnection } from './ws-connection.js';
import type { WsConnectionDeps, WsShared } from './ws-connection-deps.js';

export interface WsRouteOptions extends WsConnectionDeps {
  maxFrameBytes: number;
  /** permessage-deflate for clients that offer it (WS_COMPRESSION; compression.ts) */
  compression: boolean;
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
  /** IPs past IP_CONNECTIONS_PER_MINUTE, decided before the upgrade (the check may wait on Redis) */
  const overRate = new WeakMap<FastifyRequest, AppError>();
  let nextId = 1;

  await app.register(websocket, {
    // Larger frames close the socket with 1009 inside ws, before any parsing.
    options: { maxPayload: options.maxFrameBytes, perMessageDeflate: compressionOptions(options.compression) },
    // Shutdown closes sockets itself (with 1001, after answers finish).
    preClose: (done) => done(),
  });

  // Checked before the upgrade, so the handler stays synchronous: a client's first frame
  // (often `login`, sent on open) always finds its listener.
  const preValidation = async (request: FastifyRequest) => {
    try {
      await options.usageLimits.admitConnection(request.ip);
    } catch (error) {
      overRate.set(request, toAppError(error));
    }
  };
  app.get('/wechat/ws', { websocket: true, preValidation }, (socket, request) => {
    const ip = request.ip;
    const refuse = (error: AppError, code: number) => {
      socket.send(JSON.stringify(errorFrame(error)));
      socket.close(code, error.reason);
    };
    if (shared.draining) return refuse(new AppError('shutting_down'), CloseCode.GOING_AWAY);
    const limited = overRate.get(request);
    if (limited) return refuse(limited, CloseCode.TRY_AGAIN_LATER);
    // Anonymous sockets cost nothing to open, from as many addresses as an attacker has: bound
    // them all together (the login timeout bounds how long each one is held).
    if (shared.unauthenticated.size >= options.maxUnauthenticated) {
      options.logger.warn({ ip, unauthenticated: shared.unauthenticated.size }, 'too many sockets not logged in');
      return refuse(new AppError('too_many_connections'), CloseCode.TRY_AGAIN_LATER);
    }
    if (!perIp.tryAdd(ip)) return refuse(new AppError('too_many_connections'), CloseCode.TRY_AGAIN_LATER);
    // Fastify's logger for the upgrade request (its reqId) lives as long as the socket anyway:
    // binding the connection to it costs nothing, a child of our own was ~0.4 KB per socket.
    const log = request.log as Logger;
    addBindings(log, { conn: nextId++, ip });
    // no extension negotiated (no permessage-deflate): ws writes each frame at once, unchanged,
    // so ours may go straight to the TCP socket in the same order (send-bounded.ts)
    const tcp = socket.extensions === '' ? (request.raw.socket as Socket) : undefined;
    releaseUpgradeRequest(socket, request);
    const connection = new WsConnection(socket, options, log, shared, ip, tcp);
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

/**
 * Lets the upgrade's HTTP objects go once the socket is ours: @fastify/websocket's `error`
 * listener closes over Fastify's Request and Reply, and the TCP socket still points at the
 * ServerResponse made for the upgrade (and through it at the request and its headers): ~3 KB
 * of JS heap on every idle socket, for its whole life. WsConnection's own listener takes the
 * socket's errors (ws closes the socket on them either way).
 */
function releaseUpgradeRequest(socket: WebSocket, request: FastifyRequest): void {
  socket.removeAllListeners('error');
  const tcp = request.raw.socket as Socket & { _httpMessage?: ServerResponse | null };
  tcp._httpMessage?.detachSocket(tcp);
}
