// Every `prune` command's flags, with what they do and their defaults: parsing and --help both
// read these. Defaults come from where the system keeps them, never retyped here.
import { CORRUPTION_NAMES, DEFAULT_PGD_STEPS } from '@prune/assessment';
import { DEFAULT_ASSESSMENT_EXAMPLES } from '@prune/contracts';
import { DEFAULT_CALIBRATION_EXAMPLES } from '@prune/criteria';
import { MODEL_FILE_FORMATS, PREPROCESSING_SYNTAX } from '@prune/models';
import { FINE_TUNE_STEPS, RUN_DEFAULTS } from '@prune/pruning';
import { DEFAULT_TRAIN_CONFIG } from '@prune/train-config';
import type { CommandSpec, FlagSpec } from './flags.js';

const MODEL_EXAMPLE = '../shared/models/resnet-cifar10/resnet20-12fca82f.manifest.json';
const MODEL_ARGUMENT = '<model.keras | model.h5 | model.onnx | model.json | keras.json | x.manifest.json>';

/** Where `prune` looks for a coordinator when neither --coordinator nor PRUNE_COORDINATOR names one. */
export const DEFAULT_COORDINATOR = '127.0.0.1:50050';

const PREPROCESSING: FlagSpec = {
  type: 'string',
  value: 'spec',
  description: `how the model's input pixels are normalized: ${PREPROCESSING_SYNTAX}`,
  default: 'what the model file says (TF.js metadata, manifests); Keras files say nothing',
};

const COORDINATOR: Record<string, FlagSpec> = {
  coordinator: {
    type: 'string',
    value: 'host:port',
    description: 'the coordinator to talk to',
    default: `$PRUNE_COORDINATOR, else ${DEFAULT_COORDINATOR}`,
  },
};

export const INSPECT: CommandSpec = {
  name: 'inspect',
  summary: "print a model's cost and the structures that can be pruned (JSON); optionally prune it by hand",
  arguments: MODEL_ARGUMENT,
  flags: {
    'remove-blocks': { type: 'string', value: 'id,id', description: 'remove these residual blocks (ids as listed)' },
    'remove-filters': {
      type: 'string',
      value: 'group=c,c',
      multiple: true,
      description: 'remove these channels of a filter group',
    },
    out: {
      type: 'string',
      value: 'dir|file.keras|file.h5|file.onnx',
      description:
        'write the (pruned) model there: a folder in the TF.js layers format, a Keras 3 .keras or .h5 or an ONNX .onnx file',
    },
    layers: { type: 'boolean', description: "include every layer's cost" },
    latency: {
      type: 'boolean',
      description:
        'measure latency at batch 1 and 64 on the TF.js backend and in ONNX Runtime (median of 20 warm runs)',
    },
    preprocessing: PREPROCESSING,
  },
  examples: [
    `npx prune inspect ${MODEL_EXAMPLE}`,
    `npx prune inspect ${MODEL_EXAMPLE} --remove-blocks layer1.1.add --remove-filters layer2.0.conv1=0,1 --out pruned/`,
  ],
};

export const EXPORT: CommandSpec = {
  name: 'export',
  summary: 'write a model in another format: a TF.js layers folder, a Keras 3 .keras or .h5 or an ONNX .onnx file',
  arguments: MODEL_ARGUMENT,
  flags: {
    out: {
      type: 'string',
      value: 'dir|file.keras|file.h5|file.onnx',
      description: 'where to write it, a new folder or file (required)',
    },
    format: {
      type: 'string',
      value: MODEL_FILE_FORMATS.join('|'),
      description: 'the format to write',
      default: 'what --out names: .keras, .h5, .onnx, else a TF.js layers folder',
    },
    layout: {
      type: 'string',
      value: 'nchw|nhwc',
      description: "the ONNX model's image input layout",
      default: 'nchw, as PyTorch models take',
    },
    preprocessing: PREPROCESSING,
  },
  examples: [
    `npx prune export ${MODEL_EXAMPLE} --out resnet20.onnx`,
    'npx prune export model.onnx --preprocessing torch-cifar --out model/',
  ],
};

export const ASSESS: CommandSpec = {
  name: 'assess',
  summary:
    "a model's accuracy clean, under FGSM and PGD, on CIFAR-10-C corruptions; its latency, energy and CO2 (table or JSON)",
  arguments: `${MODEL_ARGUMENT} | --run <run id>`,
  flags: {
    run: {
      type: 'string',
      value: 'run id',
      description: "assess the run's parent and every kept model (downloaded from the coordinator), side by side",
    },
    ...COORDINATOR,
    data: {
      type: 'string',
      value: 'dataset',
      description: 'the dataset whose test split is used, e.g. cifar10-jpeg',
      default: "the run's dataset with --run; else required",
    },
    examples: {
      type: 'string',
      value: 'n',
      description: 'test images used (class-balanced)',
      default: String(DEFAULT_ASSESSMENT_EXAMPLES),
    },
    epsilons: {
      type: 'string',
      value: 'e,e',
      description: 'FGSM/PGD budgets in pixel levels (of 255); "none" for no attacks',
      default: '1,2,4,8',
    },
    'pgd-steps': {
      type: 'string',
      value: 'n',
      description: 'PGD iterations (0: FGSM only)',
      default: String(DEFAULT_PGD_STEPS),
    },
    corruptions: {
      type: 'string',
      value: 'name,name',
      description: `corruptions (${CORRUPTION_NAMES.join(', ')}); "none" for none`,
      default: 'all of them',
    },
    severities: { type: 'string', value: 's,s', description: 'corruption severities (1..5)', default: '1,2,3,4,5' },
    'no-latency': { type: 'boolean', description: 'skip the latency (and inference energy) measurement' },
    json: { type: 'boolean', description: 'print JSON instead of a table' },
    preprocessing: PREPROCESSING,
  },
  examples: [
    `npx prune assess ${MODEL_EXAMPLE} --data cifar10-jpeg`,
    'npx prune assess pruned.onnx --preprocessing torch-cifar --data cifar10-jpeg --corruptions none --json',
    'npx prune assess --run run-2026-11-25-1a2b3c4d --examples 1000',
  ],
};

export const RUN: CommandSpec = {
  name: 'run',
  summary: 'start a pruning run on the coordinator and follow it until it ends (exit 1 if it fails, 3 if cancelled)',
  flags: {
    ...COORDINATOR,
    model: {
      type: 'string',
      value: 'file',
      description:
        'the model to prune (required): a Keras .keras/.h5 (model.save), ONNX .onnx, TF.js model.json, Keras .json+.h5, manifest or store:// URI',
    },
    data: { type: 'string', value: 'dataset', description: 'the dataset (required), e.g. cifar10-jpeg' },
    preprocessing: PREPROCESSING,
    'run-id': { type: 'string', value: 'id', description: 'name the run (starting an existing id follows it)' },
    iterations: {
      type: 'string',
      value: 'N',
      description: 'iterations of the walk (required unless --target-macs-reduction)',
    },
    policy: {
      type: 'string',
      value: 'similarity|random|layers-only|filters-only',
      description: 'how to choose between the layer and the filter candidate',
      default: 'similarity',
    },
    criterion: { type: 'string', value: 'name', description: 'importance criterion', default: RUN_DEFAULTS.criterion },
    'criterion-param': {
      type: 'string',
      value: 'name=value',
      multiple: true,
      description: "one of the criterion's own parameters",
    },
    metric: { type: 'string', value: 'name', description: 'similarity metric', default: RUN_DEFAULTS.metric },
    'metric-param': {
      type: 'string',
      value: 'name=value',
      multiple: true,
      description: "one of the metric's own parameters, e.g. threshold=0.5",
    },
    'target-macs-reduction': { type: 'string', value: '0..1', description: 'stop once MACs fall by this fraction' },
    'accuracy-floor': { type: 'string', value: '0..1', description: 'stop when validation accuracy falls below' },
    'max-validation-drop': {
      type: 'string',
      value: '0..1',
      description: "stop when validation accuracy falls this far below the initial model's (0: the paper's protocol)",
    },
    'blocks-per-iteration': {
      type: 'string',
      value: 'N',
      description: 'blocks the layer candidate removes',
      default: String(RUN_DEFAULTS.blocksPerIteration),
    },
    'filter-match': {
      type: 'string',
      value: 'count|macs',
      description: "size the filter candidate by the layer candidate's filters or MACs",
      default: RUN_DEFAULTS.filterMatch,
    },
    'layer-epsilon': {
      type: 'string',
      value: 'x',
      description: 'prefer layers unless filters are more similar by more',
      default: '0',
    },
    'candidate-steps': {
      type: 'string',
      value: 'N',
      description: 'fine-tune steps of each candidate before comparing',
      default: String(FINE_TUNE_STEPS.candidate),
    },
    'selected-steps': {
      type: 'string',
      value: 'N',
      description: 'fine-tune steps of the kept candidate',
      default: String(FINE_TUNE_STEPS.selected),
    },
    'batch-size': {
      type: 'string',
      value: 'N',
      description: 'fine-tune batch size',
      default: String(DEFAULT_TRAIN_CONFIG.batchSize),
    },
    'learning-rate': {
      type: 'string',
      value: 'x',
      description: 'fine-tune learning rate (cosine schedule)',
      default: String(DEFAULT_TRAIN_CONFIG.learningRate),
    },
    'no-augment': { type: 'boolean', description: 'fine-tune without flips and crops' },
    'no-candidate-finetune': {
      type: 'boolean',
      description: 'compare the candidates right after surgery, without their short fine-tune',
    },
    distill: {
      type: 'string',
      value: '0..1',
      description: "weight of knowledge distillation from the run's original model in every fine-tune",
      default: `${DEFAULT_TRAIN_CONFIG.distillationWeight} (plain fine-tuning, the paper's)`,
    },
    'distill-temperature': {
      type: 'string',
      value: 'T',
      description: "temperature of the teacher's soft targets",
      default: String(DEFAULT_TRAIN_CONFIG.distillationTemperature),
    },
    'data-parallel': {
      type: 'string',
      value: 'N',
      description:
        "data-parallel model replicas per fine-tune (threads of a trainer; each shard's batch norm uses its own statistics)",
      default: `${DEFAULT_TRAIN_CONFIG.dataParallelReplicas} (plain training)`,
    },
    calibration: {
      type: 'string',
      value: 'N',
      description: 'calibration images of a data-driven criterion',
      default: String(DEFAULT_CALIBRATION_EXAMPLES),
    },
    'validation-examples': {
      type: 'string',
      value: 'N',
      description: 'validation images candidates are compared on',
      default: String(RUN_DEFAULTS.validationExamples),
    },
    'test-examples': { type: 'string', value: 'N', description: 'test images accuracy is reported on', default: 'all' },
    seed: {
      type: 'string',
      value: 'N',
      description: 'seed of sampling, augmentation and the random policy',
      default: '0',
    },
    assess: {
      type: 'boolean',
      description:
        'assess the parent and every kept model on the test split (FGSM/PGD, corruptions, latency, energy: see prune assess)',
    },
    'assess-examples': {
      type: 'string',
      value: 'N',
      description: 'test images each assessment uses (with --assess)',
      default: String(DEFAULT_ASSESSMENT_EXAMPLES),
    },
    detach: { type: 'boolean', description: 'start the run and return; follow it later with prune watch' },
    local: {
      type: 'boolean',
      description:
        'start the services on this machine for this run (the default when no coordinator is configured or running)',
    },
    out: {
      type: 'string',
      value: 'dir',
      description:
        'download the pruned model there when the run succeeds: a folder (TF.js layers format), a .keras, .h5 or .onnx file',
    },
  },
  examples: [
    `npx prune run --model ${MODEL_EXAMPLE} --data cifar10-jpeg --iterations 3 --out pruned/`,
    `npx prune run --model my-model.json --data cifar10-jpeg --target-macs-reduction 0.5 --metric rbf_cka --metric-param threshold=0.5`,
    `npx prune run --model ${MODEL_EXAMPLE} --data cifar10-jpeg --iterations 2 --assess --assess-examples 1000`,
  ],
};

export const SERVE: CommandSpec = {
  name: 'serve',
  summary: 'start every service on this machine (coordinator on --address) until Ctrl-C; runs then use it',
  flags: {
    address: {
      type: 'string',
      value: 'host:port',
      description: 'where the coordinator listens (the other services take free loopback ports)',
      default: DEFAULT_COORDINATOR,
    },
  },
  examples: ['npx prune serve', `npx prune run --model ${MODEL_EXAMPLE} --data cifar10-jpeg --iterations 3`],
};

const RUN_ID = '<run-id>';

export const WATCH: CommandSpec = {
  name: 'watch',
  summary: 'follow a run until it ends, then print its report (exit 1 if it failed, 3 if cancelled)',
  arguments: RUN_ID,
  flags: COORDINATOR,
  examples: ['npx prune watch run-2026-11-25-1a2b3c4d'],
};

export const LIST: CommandSpec = {
  name: 'list',
  summary: "list the coordinator's runs: state, iterations, decisions, MACs reduction",
  flags: COORDINATOR,
  examples: ['npx prune list --coordinator 10.0.0.5:50050'],
};

export const CANCEL: CommandSpec = {
  name: 'cancel',
  summary: 'cancel a run (the step in flight stops, finished steps are kept)',
  arguments: RUN_ID,
  flags: COORDINATOR,
  examples: ['npx prune cancel run-2026-11-25-1a2b3c4d'],
};

export const REPORT: CommandSpec = {
  name: 'report',
  summary: "print a run's report: decisions, MACs, parameters and accuracy per iteration",
  arguments: RUN_ID,
  flags: {
    ...COORDINATOR,
    json: { type: 'boolean', description: 'print the report as JSON' },
    html: { type: 'string', value: 'file', description: 'also write a self-contained HTML report' },
  },
  examples: ['npx prune report run-2026-11-25-1a2b3c4d --html report.html'],
};

export const DOWNLOAD: CommandSpec = {
  name: 'download',
  summary: "download a run's pruned model (or another of its models) into a new folder, checked against its digest",
  arguments: RUN_ID,
  flags: {
    ...COORDINATOR,
    out: {
      type: 'string',
      value: 'dir|file.keras|file.h5|file.onnx',
      description:
        'a new folder (TF.js layers format), a new .keras or .h5 file (Keras 3) or .onnx file (ONNX); required',
    },
    model: {
      type: 'string',
      value: 'store://dirs/<sha256>',
      description: "one of the run's models",
      default: 'its result',
    },
  },
  examples: ['npx prune download run-2026-11-25-1a2b3c4d --out pruned/'],
};

export const GC: CommandSpec = {
  name: 'gc',
  summary: 'remove stored models, representations and checkpoints no run needs (run where the store is mounted)',
  flags: {
    store: {
      type: 'string',
      value: 'dir',
      description: 'the artifact store',
      default: '$PRUNE_STORE_DIR, else artifacts/',
    },
    runs: {
      type: 'string',
      value: 'dir',
      description: 'the run records',
      default: '$PRUNE_RUNS_DIR, else <store>/runs',
    },
    coordinator: {
      type: 'string',
      value: 'host:port',
      description: "ask this coordinator what its runs need instead of reading --runs (a cluster's CronJob)",
    },
    'min-age-hours': {
      type: 'string',
      value: 'N',
      description: 'keep anything stored or touched more recently (work in flight)',
      default: '24',
    },
    'max-bytes': { type: 'string', value: 'N', description: 'exit 1 if what is kept is larger (a quota)' },
    'dry-run': { type: 'boolean', description: 'print what would be removed, remove nothing' },
  },
  examples: [
    'npx prune gc --dry-run',
    'npx prune gc --min-age-hours 72 --max-bytes 50e9',
    'npx prune gc --store /var/lib/prune/store --coordinator coordinator:50050',
  ],
};

export const HEALTH: CommandSpec = {
  name: 'health',
  summary: 'ask a service whether it is SERVING (exit 0) or not (exit 1); what image health checks run',
  arguments: '<host:port>',
  flags: {
    service: { type: 'string', value: 'name', description: 'a service of that server', default: 'the whole server' },
  },
  examples: ['npx prune health 127.0.0.1:50051 --service prune.v1.TrainerService'],
};

/** Every command, in the order `prune --help` lists them. */
export const COMMAND_SPECS: readonly CommandSpec[] = [
  INSPECT,
  EXPORT,
  ASSESS,
  RUN,
  SERVE,
  WATCH,
  LIST,
  CANCEL,
  REPORT,
  DOWNLOAD,
  GC,
  HEALTH,
];
