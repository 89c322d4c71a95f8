// A promise/async-iterator client of the CoordinatorService, for the CLI, the demo and tests.
import {
  CoordinatorServiceClient,
  StartRunRequest,
  type Run,
  type RunConfig,
  type WatchRunResponse,
} from '@prune/contracts';
import { callUnary, clientConnection } from '@prune/service-kit';

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

  close(): void {
    this.client.close();
  }
}
