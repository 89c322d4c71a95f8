// Starts a service as a real child process on loopback and waits until it listens:
// used by end-to-end tests and the local demo. TypeScript entries run through tsx with the
// workspace's source condition; built .js entries run on plain node.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { checkHealth } from './health-client.js';

export interface ServiceProcess {
  address: string;
  /** How it listens, as its log line says: "plaintext", "mutual TLS, bearer token", ... */
  transport: string;
  child: ChildProcess;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** Sends `signal` (SIGTERM by default) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `entry` listening on `address` (default: a free loopback port) and resolves once it listens. */
export function spawnServiceProcess(
  entry: string,
  options: { address?: string; args?: string[]; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<ServiceProcess> {
  // tsx found from here, not from the working directory (which may be anywhere).
  const tsx = () => pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const nodeArgs = entry.endsWith('.ts') ? ['--import', tsx(), '--conditions=@prune/source'] : [];
  const address = options.address ?? '127.0.0.1:0';
  const child = spawn(process.execPath, [...nodeArgs, entry, '--address', address, ...(options.args ?? [])], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${entry} did not start listening within ${options.timeoutMs ?? 60000} ms:\n${stderr}`));
    }, options.timeoutMs ?? 60000);
    const exitedEarly = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited with ${code} before listening:\n${stderr}`));
    };
    child.once('exit', exitedEarly);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /listening on (\S+:\d+)(?: \(([^)]*)\))?/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        child.off('exit', exitedEarly);
        resolve({
          address: match[1]!,
          transport: match[2] ?? 'plaintext',
          child,
          stderr: () => stderr,
          stop: async (signal = 'SIGTERM') => {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    });
  });
}

/**
 * Starts a service process, asks its health for `serviceName`, stops it with SIGTERM: what every
 * service's lifecycle test checks.
 */
export async function probeServiceProcess(
  entry: string,
  serviceName: string,
): Promise<{ health: string; exitCode: number | null; stderr: string }> {
  const service = await spawnServiceProcess(entry);
  const health = await checkHealth(service.address, serviceName).catch((error: Error) => `unhealthy: ${error.message}`);
  const exitCode = await service.stop('SIGTERM');
  return { health, exitCode, stderr: service.stderr() };
}

/** CPU seconds a process has used (user + system, from /proc on Linux): how tests see work stop. */
export function cpuSecondsOf(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}
