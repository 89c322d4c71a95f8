// TLS, mutual TLS and the bearer token on a real server on loopback, with certificates made by
// openssl for the test: what a cluster with the mTLS overlay relies on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { SimilarityServiceClient, SimilarityServiceService } from '@prune/contracts';
import {
  checkHealth,
  clientConnection,
  makeTestCertificates,
  securityFromEnv,
  serve,
  type RunningServer,
  type Security,
  type TestCertificates,
} from '../src/index.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prune-tls-'));
let certificates: TestCertificates;

const TOKEN = 'a-test-token-of-32-characters-xx';
const implementation = {
  describe: (_call: unknown, callback: grpc.sendUnaryData<object>) => callback(null, { metrics: [] }),
};

describe('a server with mutual TLS and a bearer token', () => {
  let running: RunningServer;
  let healthPort = '';
  let security: Security;
  const clients: grpc.Client[] = [];

  beforeAll(async () => {
    certificates = makeTestCertificates(dir);
    security = securityFromEnv({
      PRUNE_TLS_CERT: certificates.server.cert,
      PRUNE_TLS_KEY: certificates.server.key,
      PRUNE_TLS_CA: certificates.ca,
      PRUNE_AUTH_TOKEN: TOKEN,
    });
    const logs: string[] = [];
    running = await serve({
      address: '127.0.0.1:0',
      services: [{ name: 'prune.v1.SimilarityService', definition: SimilarityServiceService, implementation }],
      protoFiles: ['prune/v1/similarity.proto'],
      security,
      healthAddress: '127.0.0.1:0',
      log: (line) => logs.push(line),
    });
    expect(logs[0]).toMatch(/listening on 127\.0\.0\.1:\d+ \(mutual TLS, bearer token\)$/);
    healthPort = /health on (\S+) \(plaintext, health only\)/.exec(logs.join('\n'))![1]!;
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    await running?.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const describeWith = (client: Security) => {
    const { credentials, options } = clientConnection(client);
    const stub = new SimilarityServiceClient(running.address, credentials, options);
    clients.push(stub);
    return new Promise<string>((resolve) =>
      stub.describe({}, new grpc.Metadata(), { deadline: Date.now() + 5000 }, (error) =>
        resolve(error ? `${grpc.status[error.code]}: ${error.details}` : 'ok'),
      ),
    );
  };
  const clientCert = () => ({
    cert: fs.readFileSync(certificates.client.cert),
    key: fs.readFileSync(certificates.client.key),
  });
  const ca = () => fs.readFileSync(certificates.ca);

  it('answers a client with a certificate from the CA and the token', async () => {
    expect(await describeWith({ ca: ca(), ...clientCert(), token: TOKEN })).toBe('ok');
  });

  it('refuses plaintext, a client without a certificate, and a missing or wrong token', async () => {
    expect(await describeWith({ token: TOKEN })).toMatch(/^UNAVAILABLE/);
    expect(await describeWith({ ca: ca(), token: TOKEN })).toMatch(/^UNAVAILABLE/);
    expect(await describeWith({ ca: ca(), ...clientCert() })).toBe(
      'UNAUTHENTICATED: this service needs a bearer token: set PRUNE_AUTH_TOKEN to the cluster token',
    );
    expect(await describeWith({ ca: ca(), ...clientCert(), token: `${TOKEN}-wrong` })).toMatch(/^UNAUTHENTICATED/);
  });

  it('answers health without a token, and on the plaintext health-only port for probes', async () => {
    expect(await checkHealth(running.address, '', 5000, { ca: ca(), ...clientCert() })).toBe('SERVING');
    expect(await checkHealth(healthPort, 'prune.v1.SimilarityService', 5000, {})).toBe('SERVING');
    const onHealthPort = new SimilarityServiceClient(healthPort, grpc.credentials.createInsecure());
    clients.push(onHealthPort);
    await expect(
      new Promise((resolve, reject) => onHealthPort.describe({}, (e, r) => (e ? reject(e) : resolve(r)))),
    ).rejects.toMatchObject({ code: grpc.status.UNIMPLEMENTED });
  });

  it('serves no reflection unless asked', async () => {
    const Reflection = grpc.makeGenericClientConstructor(
      {
        info: {
          path: '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo',
          requestStream: true,
          responseStream: true,
          requestSerialize: (b: Buffer) => b,
          requestDeserialize: (b: Buffer) => b,
          responseSerialize: (b: Buffer) => b,
          responseDeserialize: (b: Buffer) => b,
        },
      },
      'ServerReflection',
    );
    const { credentials, options } = clientConnection({ ca: ca(), ...clientCert(), token: TOKEN });
    const reflection = new Reflection(running.address, credentials, options) as unknown as grpc.Client & {
      info(): grpc.ClientDuplexStream<Buffer, Buffer>;
    };
    clients.push(reflection);
    const stream = reflection.info();
    const error = await new Promise<grpc.ServiceError>((resolve) => {
      stream.on('error', resolve);
      stream.write(Buffer.from([0x3a, 0x00])); // list_services: ""
      stream.end();
    });
    expect(error.code).toBe(grpc.status.UNIMPLEMENTED);
  });
});

describe('securityFromEnv', () => {
  it('refuses half a key pair, unreadable files and short tokens, naming the setting', () => {
    expect(() => securityFromEnv({ PRUNE_TLS_CERT: '/etc/hostname' })).toThrow(
      'PRUNE_TLS_CERT and PRUNE_TLS_KEY: set both (a certificate and its key) or neither',
    );
    expect(() => securityFromEnv({ PRUNE_TLS_CA: '/nonexistent/ca.crt' })).toThrow(
      'PRUNE_TLS_CA: cannot read /nonexistent/ca.crt (ENOENT)',
    );
    expect(() => securityFromEnv({ PRUNE_AUTH_TOKEN: 'short' })).toThrow(
      'PRUNE_AUTH_TOKEN: use at least 16 characters',
    );
    expect(() => securityFromEnv({ PRUNE_AUTH_TOKEN: 'a-test-token-of-32-characters-xx' })).toThrow(
      'PRUNE_AUTH_TOKEN: without TLS the token would travel in clear text',
    );
    expect(securityFromEnv({})).toEqual({ cert: undefined, key: undefined, ca: undefined, token: undefined });
  });
});
