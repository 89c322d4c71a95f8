import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import {
  CompareRequest,
  SimilarityServiceClient,
  SimilarityServiceService,
  type SimilarityServiceServer,
} from '@prune/contracts';
import { DataLossError, NotFoundError } from '@prune/errors';
import {
  checkHealth,
  invalidArgument,
  listenAddress,
  serve,
  unary,
  unimplemented,
  type RunningServer,
} from '@prune/service-kit';

const implementation: SimilarityServiceServer = {
  describe: unary(async () => ({
    metrics: [{ name: 'test_metric', description: 'd', parameters: [], minRows: 2, parameterRanges: [] }],
  })),
  compare: unary(async (request) => {
    if (!request.metric) throw invalidArgument('metric', 'is required');
    // Domain errors thrown by libraries, and a plain bug, by the metric's name:
    if (request.metric === 'missing') throw new NotFoundError('matrix artifact not found');
    if (request.metric === 'corrupt') throw new DataLossError('stored artifact is corrupt');
    if (request.metric === 'bug') throw new TypeError('undefined is not a function');
    throw unimplemented('SimilarityService.Compare');
  }),
};

describe('serve', () => {
  let running: RunningServer;
  let client: InstanceType<typeof SimilarityServiceClient>;
  const logs: string[] = [];

  beforeAll(async () => {
    running = await serve({
      address: '127.0.0.1:0',
      services: [{ name: 'prune.v1.SimilarityService', definition: SimilarityServiceService, implementation }],
      protoFiles: ['prune/v1/similarity.proto'],
      log: (line) => logs.push(line),
      reflection: true,
    });
    client = new SimilarityServiceClient(running.address, grpc.credentials.createInsecure());
  });
  afterAll(async () => {
    client?.close();
    await running?.shutdown();
  });

  it('listens on a real port and logs it', () => {
    expect(running.port).toBeGreaterThan(0);
    expect(logs[0]).toBe(`[prune] prune.v1.SimilarityService listening on 127.0.0.1:${running.port} (plaintext)`);
  });

  it('answers grpc.health.v1 for the server and the service, unknown services are NOT_FOUND', async () => {
    expect(await checkHealth(running.address)).toBe('SERVING');
    expect(await checkHealth(running.address, 'prune.v1.SimilarityService')).toBe('SERVING');
    await expect(checkHealth(running.address, 'prune.v1.Nope')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  });

  it("the images' health probe exits 0 for a serving server or service, 1 otherwise, printing the status", async () => {
    const probe = (...args: string[]) =>
      new Promise<{ code: number; stdout: string }>((resolve) =>
        execFile(
          process.execPath,
          ['--import', 'tsx', path.resolve(import.meta.dirname, '../src/health-probe.ts'), ...args],
          { encoding: 'utf8' },
          (error, stdout) => resolve({ code: error ? Number(error.code) : 0, stdout }),
        ),
      );
    expect(await probe(running.address)).toEqual({ code: 0, stdout: 'SERVING\n' });
    expect(await probe(running.address, 'prune.v1.SimilarityService')).toMatchObject({ code: 0 });
    expect(await probe(running.address, 'prune.v1.Nope')).toMatchObject({ code: 1, stdout: /^error: 5 NOT_FOUND/ });
    expect(await probe('127.0.0.1:1')).toMatchObject({ code: 1, stdout: /^error: 14 UNAVAILABLE/ });
    expect(await probe()).toMatchObject({ code: 2 });
  });

  it('refuses a request over 4 MiB before a handler sees it', async () => {
    const huge = 'x'.repeat(5 * 2 ** 20);
    await expect(
      new Promise((resolve, reject) =>
        client.compare(CompareRequest.fromPartial({ metric: huge }), (e, r) => (e ? reject(e) : resolve(r))),
      ),
    ).rejects.toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED });
  });

  it('maps handler errors to status codes with messages naming the field', async () => {
    const call = (metric: string) =>
      new Promise((resolve, reject) =>
        client.compare(CompareRequest.fromPartial({ metric }), (e, r) => (e ? reject(e) : resolve(r))),
      );
    await expect(call('')).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: 'metric: is required',
    });
    await expect(call('x')).rejects.toMatchObject({ code: grpc.status.UNIMPLEMENTED });
    await expect(call('missing')).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
      details: 'matrix artifact not found',
    });
    await expect(call('corrupt')).rejects.toMatchObject({ code: grpc.status.DATA_LOSS });
    await expect(call('bug')).rejects.toMatchObject({ code: grpc.status.INTERNAL });
    const described = await new Promise((resolve, reject) =>
      client.describe({}, (e, r) => (e ? reject(e) : resolve(r))),
    );
    expect(described).toMatchObject({
      metrics: [{ name: 'test_metric', description: 'd', parameters: [], minRows: 2 }],
    });
  });

  it('serves reflection: a client can list the services', async () => {
    const Reflection = grpc.makeGenericClientConstructor(
      {
        serverReflectionInfo: {
          path: '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo',
          requestStream: true,
          responseStream: true,
          // ServerReflectionRequest { string host = 1; oneof { string list_services = 7; } }: hand-encoded.
          requestSerialize: (value: Buffer) => value,
          requestDeserialize: (value: Buffer) => value,
          responseSerialize: (value: Buffer) => value,
          responseDeserialize: (value: Buffer) => value,
        },
      },
      'ServerReflection',
    );
    const reflection = new Reflection(running.address, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
      serverReflectionInfo(): grpc.ClientDuplexStream<Buffer, Buffer>;
    };
    const stream = reflection.serverReflectionInfo();
    const reply = await new Promise<Buffer>((resolve, reject) => {
      stream.on('data', resolve);
      stream.on('error', reject);
      stream.write(Buffer.from([0x3a, 0x01, 0x2a])); // field 7 (list_services), "*"
    });
    stream.end();
    reflection.close();
    const text = reply.toString('latin1');
    expect(text).toContain('prune.v1.SimilarityService');
    expect(text).toContain('grpc.health.v1.Health');
  });

  it('shuts down gracefully: health flips to NOT_SERVING, then the port closes', async () => {
    const other = await serve({
      address: '127.0.0.1:0',
      services: [{ name: 'prune.v1.SimilarityService', definition: SimilarityServiceService, implementation }],
      protoFiles: ['prune/v1/similarity.proto'],
      log: () => {},
    });
    const stopped = other.shutdown();
    await stopped;
    await expect(checkHealth(other.address, '', 1000)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
  });
});

describe('listenAddress', () => {
  it('prefers --address, then the environment, then the default port', () => {
    expect(listenAddress('X_ADDRESS', 5000, ['node', 'main', '--address', '127.0.0.1:7000'], {})).toBe(
      '127.0.0.1:7000',
    );
    expect(listenAddress('X_ADDRESS', 5000, ['node', 'main'], { X_ADDRESS: 'localhost:7001' })).toBe('localhost:7001');
    expect(listenAddress('X_ADDRESS', 5000, ['node', 'main'], {})).toBe('127.0.0.1:5000'); // loopback by default
    expect(listenAddress('X_ADDRESS', 5000, ['node', 'main'], { PRUNE_BIND_HOST: '0.0.0.0' })).toBe('0.0.0.0:5000');
  });
  it('rejects a malformed address naming where it came from', () => {
    expect(() => listenAddress('X_ADDRESS', 5000, ['node', 'main'], { X_ADDRESS: 'localhost' })).toThrow(
      'X_ADDRESS: expected host:port, got "localhost"',
    );
    expect(() => listenAddress('X_ADDRESS', 5000, ['node', 'main', '--address', 'h:99999'], {})).toThrow('--address');
  });
});
