// The typed gRPC contracts of prune-everything, generated from proto/prune/v1 by ts-proto
// (`nx run contracts:generate`). Generated files live in src/gen and are never edited by hand;
// beside them, what both ends of a contract share: the domain's names of its enums and the
// reading of TrainConfig messages.
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';

export * from './gen/prune/v1/assessment.js';
export * from './gen/prune/v1/common.js';
export * from './gen/prune/v1/trainer.js';
export * from './gen/prune/v1/criterion.js';
export * from './gen/prune/v1/candidates.js';
export * from './gen/prune/v1/similarity.js';
export * from './gen/prune/v1/coordinator.js';
export { parameterBoundsOf, parameterRangeMessages } from './parameter-ranges.js';
export {
  CHOICE_NAMES,
  CORRUPTION_NAMES,
  FILTER_MATCH_NAMES,
  LR_SCHEDULE_NAMES,
  MODEL_FORMAT_NAMES,
  PHASE_NAMES,
  RUN_STATE_NAMES,
  SELECTION_POLICY_NAMES,
} from './domain-names.js';
export type { EnumNames } from './enum-names.js';
export {
  ASSESSMENT_LIMITS,
  assessmentFromMessage,
  assessmentMessage,
  assessmentSettingsFromMessage,
  DEFAULT_ASSESSMENT_EXAMPLES,
} from './assessment-message.js';
export type { AssessmentResult, AssessmentSettings } from './assessment-message.js';
export { resolveTrainConfigMessage, trainConfigFromMessage, trainConfigMessage } from './train-config-message.js';

/** Directory holding the .proto sources (for @grpc/proto-loader, e.g. server reflection). */
export const PROTO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../proto');

/** The .proto files of the five services, relative to PROTO_ROOT. */
export const SERVICE_PROTO_FILES = [
  'prune/v1/trainer.proto',
  'prune/v1/criterion.proto',
  'prune/v1/candidates.proto',
  'prune/v1/similarity.proto',
  'prune/v1/coordinator.proto',
] as const;
