// How long a run fine-tunes when its configuration does not say: a short fine-tune of each
// candidate before they are compared, a longer one of the kept candidate (the paper's two phases).
import type { FineTunePhase } from './greedy-walk.js';

export const FINE_TUNE_STEPS: Record<FineTunePhase, number> = { candidate: 50, selected: 200 };
