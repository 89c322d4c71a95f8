// Assessment messages for both ends of the contract: the coordinator checks a run's configuration
// at StartRun and the trainer a request's with the same check, which also reads it as the options
// of @prune/assessment; the trainer sends that library's result back as a message.
import { InvalidArgumentError } from '@prune/errors';
import { CORRUPTION_NAMES } from './domain-names.js';
import type { Assessment, AssessmentConfig, EnergyAssumptions } from './gen/prune/v1/assessment.js';

/** Test images assessed when a configuration leaves `examples` unset. */
export const DEFAULT_ASSESSMENT_EXAMPLES = 500;

/** Upper bounds far beyond sensible values: one request cannot tie a trainer up for days. */
export const ASSESSMENT_LIMITS = { examples: 100_000, pgdSteps: 1000, epsilons: 16 } as const;

type CorruptionName = (typeof CORRUPTION_NAMES.names)[number];

/** What an AssessmentConfig asks @prune/assessment for (undefined: the library's default). */
export interface AssessmentSettings {
  examples: number;
  /** Fractions of the pixel range; empty: no attacks. */
  epsilons?: number[];
  pgdSteps?: number;
  /** Empty: no corruptions. */
  corruptions?: CorruptionName[];
  severities?: number[];
  latency: boolean;
  seed: number;
}

/**
 * The assessment a message asks for, checked: a bad value is refused naming the message field
 * under `field`, e.g. "config.assessment.severities: must be 1..5, got 7".
 */
export function assessmentSettingsFromMessage(m: AssessmentConfig, field: string): AssessmentSettings {
  const refuse = (name: string, problem: string) => new InvalidArgumentError(`${field}.${name}: ${problem}`);
  if (m.examples > ASSESSMENT_LIMITS.examples)
    throw refuse('examples', `must be at most ${ASSESSMENT_LIMITS.examples}, got ${m.examples}`);
  if (m.pgdSteps > ASSESSMENT_LIMITS.pgdSteps)
    throw refuse('pgd_steps', `must be at most ${ASSESSMENT_LIMITS.pgdSteps}, got ${m.pgdSteps}`);
  const level = m.epsilonLevels.find((e) => !(e >= 0 && e <= 255));
  if (level !== undefined) throw refuse('epsilon_levels', `must be pixel levels in 0..255, got ${level}`);
  const levels = [...new Set(m.epsilonLevels)];
  if (levels.length > ASSESSMENT_LIMITS.epsilons)
    throw refuse('epsilon_levels', `at most ${ASSESSMENT_LIMITS.epsilons} budgets, got ${levels.length}`);
  const severity = m.severities.find((s) => !(s >= 1 && s <= 5));
  if (severity !== undefined) throw refuse('severities', `must be 1..5, got ${severity}`);
  const corruptions = [...new Set(m.corruptions)].map((value) => {
    const name = CORRUPTION_NAMES.name(value);
    if (!name) throw refuse('corruptions', `${value} is not a corruption; valid: ${CORRUPTION_NAMES.names.join(', ')}`);
    return name;
  });
  return {
    examples: m.examples || DEFAULT_ASSESSMENT_EXAMPLES,
    epsilons: m.attacks === false ? [] : levels.length ? levels.map((e) => e / 255) : undefined,
    pgdSteps: m.pgdSteps || undefined,
    corruptions: m.corrupt === false ? [] : corruptions.length ? corruptions : undefined,
    severities: m.severities.length ? [...new Set(m.severities)] : undefined,
    latency: m.latency !== false,
    seed: m.seed,
  };
}

/** An assessment as @prune/assessment returns it: corruptions by name. */
export type AssessmentResult = Omit<Assessment, 'corruptions' | 'training'> & {
  corruptions: { corruption: CorruptionName; severity: number; accuracy: number }[];
};

/** The library's result as a message, with what the assessing machine's fine-tunes are assumed to draw. */
export function assessmentMessage(result: AssessmentResult, training: EnergyAssumptions): Assessment {
  return {
    ...result,
    corruptions: result.corruptions.map((c) => ({ ...c, corruption: CORRUPTION_NAMES.value(c.corruption) })),
    training,
  };
}

/** A message as the library's result (corruptions by name; an unknown one reads "unknown"), with its training assumptions. */
export function assessmentFromMessage(m: Assessment): AssessmentResult & { training?: EnergyAssumptions } {
  return {
    ...m,
    corruptions: m.corruptions.map((c) => ({
      ...c,
      corruption: CORRUPTION_NAMES.name(c.corruption) ?? ('unknown' as CorruptionName),
    })),
  };
}
