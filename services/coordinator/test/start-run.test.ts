// StartRun asks the services rather than a list compiled into the coordinator: criteria come from
// ListCriteria (asked again when a run names one it did not list), and the model is imported by the
// candidates service, whose refusals come back naming config.model.uri. Fake services on real ports.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { status } from '@grpc/grpc-js';
import { ModelFormat, RunConfig, SelectionPolicy } from '@prune/contracts';
import { Coordinator } from '../src/service.js';
import {
  fakeCandidatesService,
  fakeCriterionService,
  ref,
  type FakeCandidates,
  type FakeCriterion,
} from './fake-services.js';

describe('StartRun', () => {
  let candidates: FakeCandidates;
  let criterion: FakeCriterion;
  let coordinator: Coordinator;

  beforeAll(async () => {
    [candidates, criterion] = await Promise.all([fakeCandidatesService(), fakeCriterionService(['kl', 'l1'])]);
    candidates.files.set('/models/resnet.json', ref('imported'));
    coordinator = new Coordinator({
      runsDir: fs.mkdtempSync(path.join(os.tmpdir(), 'start-run-')),
      // the run that starts at the end fails on its first trainer call: nothing listens on port 1
      trainers: ['127.0.0.1:1'],
      criterion: [criterion.server.address],
      candidates: [candidates.server.address],
      // the random policy compares nothing, so no similarity service is asked
      similarity: [{ name: 'cka', addresses: ['127.0.0.1:1'] }],
      retry: { attempts: 1 },
    });
  });
  afterAll(async () => {
    await coordinator?.close();
    await Promise.all([candidates?.server.shutdown(), criterion?.server.shutdown()]);
  });

  const config = (extra: Partial<RunConfig>) =>
    RunConfig.fromPartial({
      model: { uri: '/models/resnet.json' },
      dataset: 'cifar10-jpeg',
      maxIterations: 1,
      policy: SelectionPolicy.SELECTION_POLICY_RANDOM,
      ...extra,
    });
  const refused = (extra: Partial<RunConfig>) =>
    coordinator.startRun(config(extra), '').then(
      () => ({ code: -1, details: 'started' }),
      (e: { code: number; message: string }) => ({ code: e.code, details: e.message }),
    );

  it('validates the criterion against what ListCriteria offers, asking again for one it did not list', async () => {
    expect(await refused({ criterion: 'taylor' })).toEqual({
      code: status.INVALID_ARGUMENT,
      details: 'config.criterion: "taylor" is not offered by the criterion service; offered: kl, l1',
    });
    expect(criterion.listed()).toBe(2); // the first answer lacked it, so it asked once more
    criterion.names.push('taylor'); // the criterion service is redeployed with a new criterion
    expect(await refused({ criterion: 'taylor', model: { uri: '/etc/passwd', sha256: '' } })).toMatchObject({
      details: expect.stringMatching(/^config\.model\.uri:/),
    });
    expect(criterion.listed()).toBe(3);
    expect(await refused({ criterion: 'l1', model: { uri: '/etc/passwd', sha256: '' } })).toMatchObject({
      details: expect.stringMatching(/^config\.model\.uri:/),
    });
    expect(criterion.listed()).toBe(3); // known names are not asked again
  });

  it('imports the model through ImportModel; its refusals name config.model.uri', async () => {
    expect(await refused({ model: { uri: '/etc/passwd', sha256: '' } })).toEqual({
      code: status.INVALID_ARGUMENT,
      details:
        'config.model.uri: /etc/passwd is outside the model roots (/models); set PRUNE_MODEL_ROOTS of the candidates service or pass a store:// URI',
    });
    expect(await refused({ model: { uri: '/models/missing.json', sha256: '' } })).toEqual({
      code: status.NOT_FOUND,
      details: 'config.model.uri: /models/missing.json not found',
    });
    const run = await coordinator.startRun(config({}), 'imported');
    // The walk starts from the stored copy; the config keeps the model as the caller named it (the report's source).
    expect(run.initialModel).toEqual(ref('imported'));
    expect(RunConfig.fromJSON(run.config).model?.uri).toBe('/models/resnet.json');
  });

  it('relays the files of a model of the run from the candidates service, and only of its models', async () => {
    const download = async (uri: string, format = ModelFormat.MODEL_FORMAT_UNSPECIFIED) => {
      const chunks: { path: string; data: Uint8Array }[] = [];
      await coordinator.downloadModel('imported', uri, format, (c) => chunks.push(c), new AbortController().signal);
      return chunks;
    };
    const parent = ref('imported').uri;
    const chunks = await download(parent);
    expect(chunks.map((c) => c.path)).toEqual(['model.json', 'model.json']);
    expect(Buffer.concat(chunks.map((c) => c.data)).toString()).toBe(parent);
    // The format asked for reaches the candidates service, which converts.
    const onnx = await download(parent, ModelFormat.MODEL_FORMAT_ONNX);
    expect(onnx.map((c) => c.path)).toEqual([
      `model.${ModelFormat.MODEL_FORMAT_ONNX}`,
      `model.${ModelFormat.MODEL_FORMAT_ONNX}`,
    ]);
    await expect(download('store://dirs/' + 'f'.repeat(64))).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      message: `model.uri: store://dirs/${'f'.repeat(64)} is not a model of run imported`,
    });
    expect(coordinator.runs.get('imported').result).toBeUndefined(); // no trainer here: it never gets one
    await expect(download('')).rejects.toMatchObject({
      code: status.FAILED_PRECONDITION,
      message: expect.stringContaining('run imported has no result yet'),
    });
  });

  it('says which service did not answer, keeping its status (UNAVAILABLE: retry later)', async () => {
    const lonely = new Coordinator({
      runsDir: fs.mkdtempSync(path.join(os.tmpdir(), 'start-run-')),
      trainers: ['127.0.0.1:1'],
      criterion: ['127.0.0.1:1'], // nothing listens here
      candidates: [candidates.server.address],
      similarity: [{ name: 'cka', addresses: ['127.0.0.1:1'] }],
      retry: { attempts: 1 },
    });
    try {
      const answer = await lonely.startRun(config({}), '').then(
        () => ({ code: -1, message: 'started' }),
        (e: { code: number; message: string }) => e,
      );
      expect(answer).toMatchObject({
        code: status.UNAVAILABLE,
        message: expect.stringMatching(/^the criterion service did not answer/),
      });
    } finally {
      await lonely.close();
    }
  });
});
