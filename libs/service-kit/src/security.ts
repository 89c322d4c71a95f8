// Transport security and authentication, read once from the environment for every server and
// client of a process (Kubernetes mounts the files from a Secret):
//   PRUNE_TLS_CERT, PRUNE_TLS_KEY  this process's certificate chain and key (PEM): servers serve
//                                   TLS; clients present them (mutual TLS)
//   PRUNE_TLS_CA                   CA bundle (PEM): clients verify servers with it; a server that
//                                   has it requires and verifies client certificates (mutual TLS)
//   PRUNE_AUTH_TOKEN               shared bearer token: servers refuse calls without it
//                                   (UNAUTHENTICATED; health checks are exempt), clients send it
// Unset, everything is plaintext without authentication, as on loopback during development.
import { timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';

export interface Security {
  cert?: Buffer;
  key?: Buffer;
  ca?: Buffer;
  token?: string;
}

const HEALTH_PREFIX = '/grpc.health.v1.Health/';

function readPem(env: NodeJS.ProcessEnv, name: string): Buffer | undefined {
  const file = env[name];
  if (!file) return undefined;
  try {
    return fs.readFileSync(file);
  } catch (error) {
    throw new Error(
      `${name}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
}

/** The security settings in `env`; a certificate without its key (or the reverse) is an error naming both. */
export function securityFromEnv(env: NodeJS.ProcessEnv = process.env): Security {
  const cert = readPem(env, 'PRUNE_TLS_CERT');
  const key = readPem(env, 'PRUNE_TLS_KEY');
  if (!cert !== !key)
    throw new Error('PRUNE_TLS_CERT and PRUNE_TLS_KEY: set both (a certificate and its key) or neither');
  const token = env['PRUNE_AUTH_TOKEN'] || undefined;
  const ca = readPem(env, 'PRUNE_TLS_CA');
  if (token !== undefined && token.length < 16)
    throw new Error('PRUNE_AUTH_TOKEN: use at least 16 characters (e.g. `openssl rand -hex 32`)');
  if (token !== undefined && !cert && !ca)
    throw new Error(
      'PRUNE_AUTH_TOKEN: without TLS the token would travel in clear text; set PRUNE_TLS_CA (clients) and PRUNE_TLS_CERT/PRUNE_TLS_KEY (servers)',
    );
  return { cert, key, ca, token };
}

let processSecurity: Security | undefined;
/** This process's settings (read on first use). */
export const defaultSecurity = (): Security => (processSecurity ??= securityFromEnv());

/** Whether servers with these settings serve TLS. */
export const servesTls = (security: Security): boolean => Boolean(security.cert && security.key);

export function serverCredentials(security: Security): grpc.ServerCredentials {
  if (!servesTls(security)) return grpc.ServerCredentials.createInsecure();
  return grpc.ServerCredentials.createSsl(
    security.ca ?? null,
    [{ cert_chain: security.cert!, private_key: security.key! }],
    Boolean(security.ca), // with a CA: clients must present a certificate it signed
  );
}

export function channelCredentials(security: Security): grpc.ChannelCredentials {
  if (!security.ca && !servesTls(security)) return grpc.credentials.createInsecure();
  return grpc.credentials.createSsl(security.ca ?? null, security.key ?? null, security.cert ?? null);
}

/** Client interceptors: the bearer token on every call. */
export function clientInterceptors(security: Security): grpc.Interceptor[] {
  const token = security.token;
  if (!token) return [];
  return [
    (options, nextCall) =>
      new grpc.InterceptingCall(nextCall(options), {
        start: (metadata, listener, next) => {
          metadata.set('authorization', `Bearer ${token}`);
          next(metadata, listener);
        },
      }),
  ];
}

function tokenMatches(metadata: grpc.Metadata, token: string): boolean {
  const given = Buffer.from(String(metadata.get('authorization')[0] ?? ''));
  const expected = Buffer.from(`Bearer ${token}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Server interceptors: every call but health checks must carry the bearer token. */
export function serverInterceptors(security: Security): grpc.ServerInterceptor[] {
  const token = security.token;
  if (!token) return [];
  return [
    (method, call) =>
      new grpc.ServerInterceptingCall(call, {
        start: (next) =>
          next({
            onReceiveMetadata: (metadata, nextMetadata) => {
              if (method.path.startsWith(HEALTH_PREFIX) || tokenMatches(metadata, token)) nextMetadata(metadata);
              else
                call.sendStatus({
                  code: grpc.status.UNAUTHENTICATED,
                  details: 'this service needs a bearer token: set PRUNE_AUTH_TOKEN to the cluster token',
                });
            },
          }),
      }),
  ];
}
