// Domain run records (libs/pruning) as CoordinatorService messages.
import {
  CHOICE_NAMES,
  PHASE_NAMES,
  RUN_STATE_NAMES,
  RunConfig,
  StructureKind,
  type ArtifactRef,
  type Assessment,
  type Candidate,
  type Iteration,
  type LayerWidth as LayerWidthMessage,
  type Run,
  type WatchRunResponse,
} from '@prune/contracts';
import {
  costOf,
  type CandidateRecord,
  type IterationRecord,
  type LayerWidth,
  type RunEvent,
  type RunRecord,
} from '@prune/pruning';

/**
 * The coordinator's run record: models are store references, the config is RunConfig as JSON
 * (similarity and candidate accuracy are NaN where the policy did not measure them).
 */
export type CoordinatorRun = RunRecord<ArtifactRef, unknown, Assessment>;

function candidateMessage(kind: StructureKind, c: CandidateRecord<ArtifactRef> | undefined): Candidate | undefined {
  if (!c) return undefined;
  return {
    kind,
    model: c.model,
    cost: costOf(c),
    similarity: c.similarity,
    validationAccuracy: c.validationAccuracy,
    removed: c.removed,
    removedScores: c.removedScores,
  };
}

/** Records written before widths named their unit count filters (an empty unit). */
const widthMessages = (widths: LayerWidth[]): LayerWidthMessage[] =>
  widths.map((w) => ({ layer: w.layer, filters: w.filters, unit: w.unit ?? '' }));

export function iterationMessage(r: IterationRecord<ArtifactRef, Assessment>): Iteration {
  return {
    index: r.index,
    layerCandidate: candidateMessage(StructureKind.STRUCTURE_KIND_BLOCK, r.layer),
    filterCandidate: candidateMessage(StructureKind.STRUCTURE_KIND_FILTER, r.filter),
    choice: CHOICE_NAMES.value(r.choice),
    model: r.model,
    cost: costOf(r),
    validationAccuracy: r.validationAccuracy,
    testAccuracy: r.testAccuracy,
    widths: widthMessages(r.widths),
    assessment: r.assessment,
    fineTuneSeconds: r.fineTuneSeconds ?? NaN, // records written before it was kept lack it
  };
}

export function runMessage(run: CoordinatorRun): Run {
  return {
    id: run.id,
    state: RUN_STATE_NAMES.value(run.state),
    config: RunConfig.fromJSON(run.config),
    initialCost: run.initial ? costOf(run.initial) : undefined,
    initialTestAccuracy: run.initial?.testAccuracy ?? 0,
    iterations: run.iterations.map(iterationMessage),
    resultModel: run.result,
    stopReason: run.stopReason,
    error: run.error,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    initialWidths: widthMessages(run.initial?.widths ?? []),
    initialModel: run.initialModel,
    initialAssessment: run.initial?.assessment,
  };
}

export function watchEventMessage(event: RunEvent<ArtifactRef, unknown, Assessment>): WatchRunResponse {
  switch (event.type) {
    case 'phase':
      return {
        event: {
          $case: 'phase',
          value: {
            iteration: event.iteration,
            phase: PHASE_NAMES.value(event.name),
            progress: event.progress,
            detail: event.detail,
          },
        },
      };
    case 'iteration':
      return { event: { $case: 'iteration', value: iterationMessage(event.record) } };
    case 'run':
      return { event: { $case: 'run', value: runMessage(event.run) } };
  }
}
