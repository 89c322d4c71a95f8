// A promise/async-iterator client of the CoordinatorService, for the CLI, the demo and tests.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CoordinatorServiceClient,
  StartRunRequest,
  type DownloadModelResponse,
  type Run,
  type RunConfig,
  type WatchRunResponse,
} from '@prune/contracts';
import { callUnary, clientConnection } from '@prune/service-kit';
import { directoryDigest } from '@prune/store';

const FILE_NAME = /^(?!\.\.?$)[A-Za-z0-9._-]{1,128}$/;

/** A run configuration with any field left out (nested messages too): the coordinator fills defaults. */
export type RunConfigInput = {
  [K in keyof RunConfig]?: NonNullable<RunConfig[K]> extends object ? Partial<NonNullable<RunConfig[K]>> : RunConfig[K];
};

export class CoordinatorClient {
  private readonly client: CoordinatorServiceClient;

  constructor(
    address: string,
    private readonly deadlineMs = 600_000,
  ) {
    const { credentials, options } = clientConnection();
    this.client = new CoordinatorServiceClient(address, credentials, options);
  }

  /** Starts a run; unset fields take the coordinator's defaults. */
  async start(config: RunConfigInput, runId = ''): Promise<Run> {
    return (
      await callUnary(
        this.client,
        this.client.startRun,
        StartRunRequest.fromPartial({ config: config as RunConfig, runId }),
        this.deadlineMs,
      )
    ).run!;
  }

  async get(runId: string): Promise<Run> {
    return (await callUnary(this.client, this.client.getRun, { runId }, this.deadlineMs)).run!;
  }

  async list(): Promise<Run[]> {
    return (await callUnary(this.client, this.client.listRuns, {}, this.deadlineMs)).runs;
  }

  async cancel(runId: string): Promise<Run> {
    return (await callUnary(this.client, this.client.cancelRun, { runId }, this.deadlineMs)).run!;
  }

  /** The run's events until it finishes (the stream has no deadline: runs take hours). */
  async *watch(runId: string): AsyncGenerator<WatchRunResponse['event']> {
    const stream = this.client.watchRun({ runId });
    try {
      for await (const message of stream as AsyncIterable<WatchRunResponse>) yield message.event;
    } finally {
      stream.cancel();
    }
  }

  /**
   * Writes the files of a model of run `runId` (its result unless `modelUri` names another of its
   * models) into `dir`, a new or empty folder, after checking them against the model's digest:
   * nothing is left in `dir` unless the whole model arrived intact.
   */
  async download(runId: string, dir: string, modelUri = ''): Promise<{ uri: string; files: string[] }> {
    const uri = modelUri || (await this.get(runId)).resultModel?.uri;
    if (!uri) throw new Error(`run ${runId} has no result yet; name one of its models`);
    const target = path.resolve(dir);
    if (fs.existsSync(target) && fs.readdirSync(target).length > 0)
      throw new Error(`${dir} exists and is not empty; name a new folder`);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const partial = fs.mkdtempSync(`${target}.partial-`);
    try {
      const stream = this.client.downloadModel({ runId, model: { uri, sha256: '' } });
      for await (const { chunk } of stream as AsyncIterable<DownloadModelResponse>) {
        if (!chunk || !FILE_NAME.test(chunk.path))
          throw new Error(`the coordinator sent a bad file name "${chunk?.path}"`);
        fs.appendFileSync(path.join(partial, chunk.path), chunk.data);
      }
      const digest = directoryDigest(partial);
      if (`store://dirs/${digest}` !== uri)
        throw new Error(`the files received for ${uri} have digest ${digest}: altered or incomplete, not written`);
      if (fs.existsSync(target)) fs.rmdirSync(target); // empty (checked above): fails rather than delete new files
      fs.renameSync(partial, target);
      return { uri, files: fs.readdirSync(target).sort() };
    } finally {
      fs.rmSync(partial, { recursive: true, force: true });
    }
  }

  close(): void {
    this.client.close();
  }
}
