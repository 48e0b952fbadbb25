/*
 * A redis-server of a benchmark's own: loopback, a free port, a temp directory, no persistence
 * (`--save '' --appendonly no`), stopped (SIGTERM, then SIGKILL) and its directory removed by
 * `stop()`: test/helpers/redis.ts's start (as bench/relay.bench.ts uses it), plus what a
 * benchmark reads of the server (its CPU time, version and log).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRedis } from '../test/helpers/redis';

export interface BenchRedis {
  /** `redis://127.0.0.1:<port>`. */
  url: string;
  port: number;
  /** The server's process id. */
  pid: number;
  /** The CPU time the server used so far, in ms (Linux /proc; NaN elsewhere). */
  cpuMs(): number;
  /** The `redis-server --version` line. */
  version: string;
  /** The server's log so far (`--logfile` in its directory). */
  log(): string;
  /** Stops the server and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

/** The `redis-server --version` line, or `undefined` when redis-server is not on PATH. */
export function redisServerVersion(): string | undefined {
  const result = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** Starts a redis-server for a benchmark (10,000 clients allowed, a log file) and waits for it. */
export async function startBenchRedis(): Promise<BenchRedis> {
  const version = redisServerVersion();
  if (version === undefined) throw new Error('redis-server is not on PATH');
  // The tests' start (free port, temp dir, no persistence, PING), with a benchmark's settings.
  const server = await startRedis(['--maxclients', '10000', '--logfile', 'redis.log']);
  const log = () => {
    const file = join(server.dir, 'redis.log');
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  };
  const cpuMs = () => {
    try {
      // Fields 14 and 15 of /proc/<pid>/stat (utime, stime) in clock ticks (100 per second).
      const stat = readFileSync(`/proc/${server.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      return NaN;
    }
  };
  return { ...server, cpuMs, version, log };
}
