// Retries of outbound calls: UNAVAILABLE (a replica restarting, a connection refused) is retried
// with exponential backoff and jitter; every other status is returned at once.
import { status } from '@grpc/grpc-js';

export interface RetryOptions {
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  retryOn?: status[];
  onRetry?: (attempt: number, error: unknown) => void;
}

export async function withRetry<T>(call: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 5;
  const retryOn = options.retryOn ?? [status.UNAVAILABLE];
  for (let attempt = 1; ; attempt++) {
    try {
      return await call(attempt);
    } catch (error) {
      const code = (error as { code?: status }).code;
      if (attempt >= attempts || code === undefined || !retryOn.includes(code)) throw error;
      options.onRetry?.(attempt, error);
      const delay = Math.min(options.maxDelayMs ?? 2000, (options.baseDelayMs ?? 100) * 2 ** (attempt - 1));
      await new Promise((resolve) => setTimeout(resolve, delay * (0.5 + Math.random() / 2)));
    }
  }
}
