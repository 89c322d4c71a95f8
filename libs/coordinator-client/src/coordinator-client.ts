// A promise/async-iterator client of the CoordinatorService, for the CLI, the demo and tests.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CoordinatorServiceClient,
  MODEL_FORMAT_NAMES,
  StartRunRequest,
  type DownloadModelResponse,
  type ListReferencesResponse,
  type Run,
  type RunConfig,
  type WatchRunResponse,
} from '@prune/contracts';
import { callUnary, clientConnection } from '@prune/service-kit';
import { directoryDigest } from '@prune/store';

/** The one file a converted download consists of (ExportModel's contract). */
const FILE_OF_FORMAT = { keras: 'model.keras', h5: 'model.h5', onnx: 'model.onnx' } as const;

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

  /** What the runs need kept in the artifact store (what `prune gc` keeps). */
  async references(): Promise<ListReferencesResponse> {
    return callUnary(this.client, this.client.listReferences, {}, this.deadlineMs);
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
   * Writes a model of run `runId` (its result unless `options.model` names another of its models)
   * to `out`. As stored (format "tfjs", the default), `out` is a new or empty folder and the files
   * are checked against the model's digest here; converted ("keras", "onnx": the service checks the
   * stored model before converting it), `out` is a new file. Nothing is left at `out` unless the
   * whole model arrived.
   */
  async download(
    runId: string,
    out: string,
    options: { model?: string; format?: keyof typeof FILE_OF_FORMAT | 'tfjs' } = {},
  ): Promise<{ uri: string; files: string[] }> {
    const uri = options.model || (await this.get(runId)).resultModel?.uri;
    if (!uri) throw new Error(`run ${runId} has no result yet; name one of its models`);
    const format = options.format ?? 'tfjs';
    const target = path.resolve(out);
    if (format === 'tfjs' && fs.existsSync(target) && fs.readdirSync(target).length > 0)
      throw new Error(`${out} exists and is not empty; name a new folder`);
    if (format !== 'tfjs' && fs.existsSync(target)) throw new Error(`${out} exists; name a new file`);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const partial = fs.mkdtempSync(`${target}.partial-`);
    try {
      const stream = this.client.downloadModel({
        runId,
        model: { uri, sha256: '' },
        format: MODEL_FORMAT_NAMES.value(format),
      });
      for await (const { chunk } of stream as AsyncIterable<DownloadModelResponse>) {
        if (!chunk || !FILE_NAME.test(chunk.path))
          throw new Error(`the coordinator sent a bad file name "${chunk?.path}"`);
        fs.appendFileSync(path.join(partial, chunk.path), chunk.data);
      }
      if (format !== 'tfjs') {
        const file = path.join(partial, FILE_OF_FORMAT[format]);
        if (!fs.existsSync(file)) throw new Error(`the coordinator sent no ${FILE_OF_FORMAT[format]}`);
        fs.renameSync(file, target);
        return { uri, files: [path.basename(target)] };
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
