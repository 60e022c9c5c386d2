import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { within } from '../helpers/gateway-process.ts';
import { REDIS_MISSING, REDIS_SERVER } from '../helpers/redis-server.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Run {
  child: ChildProcess;
  output: () => string;
  /** The exit code once the script closed its pipes. */
  exited: Promise<number | null>;
}

/**
 * Runs bench/soak.ts as `npm run bench:soak` does, minus the build (the suite's global setup
 * made the bundle). It leads a process group of its own, so whatever it leaves behind can be
 * found, and stopped, by that group.
 */
function soak(env: Record<string, string>): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/soak.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** The processes still running in the group the script led (its children, once it exited), as `pid command`. */
function groupMembers(pgid: number): string[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .flatMap((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        // Fields after the command's closing parenthesis: state, ppid, pgrp (proc(5)). A zombie
        // (state Z) has ended and only waits for init to reap it.
        const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return Number(pgrp) === pgid && state !== 'Z' ? [`${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')}`] : [];
      } catch {
        return []; // gone meanwhile
      }
    });
}

/**
 * Waits, bounded, until the group is empty. The script waits for its own children; a helper
 * of the tsx loader (esbuild's service) ends on its own once its parent's pipe closes.
 */
async function groupEmptied(pgid: number): Promise<string[]> {
  let members = groupMembers(pgid);
  for (let tries = 0; members.length > 0 && tries < 100; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    members = groupMembers(pgid);
  }
  return members;
}

interface Row {
  time: string;
  replica: string;
  rss: number;
  heap: number;
  loopP99: number;
  handles: number;
  sockets: number;
  requests: number;
  errors: number;
  events: number;
}

/** The final table's rows. */
function rows(output: string): Row[] {
  return [...output.matchAll(/^\| (\d+:\d\d) \| (\w+) \| (.+) \|$/gm)].map((match) => {
    const [rss, heap, loopP99, handles, sockets, requests, errors, events] = match[3]!.split(' | ').map(Number) as number[];
    return { time: match[1]!, replica: match[2]!, rss: rss!, heap: heap!, loopP99: loopP99!, handles: handles!, sockets: sockets!, requests: requests!, errors: errors!, events: events! };
  });
}

describe('npm run bench:soak, short', () => {
  const runs: Run[] = [];
  afterEach(() => {
    for (const run of runs.splice(0)) if (run.child.pid !== undefined && groupMembers(run.child.pid).length > 0) process.kill(-run.child.pid, 'SIGKILL');
  });

  it('drives the mixed load, samples every replica, reports no errors and a verdict per replica, and leaves no process behind', async () => {
    if (process.env['CI'] === 'true') expect(existsSync(REDIS_SERVER), REDIS_MISSING).toBe(true);
    const replicas = existsSync(REDIS_SERVER) ? ['A', 'B'] : ['A'];
    const run = soak({ SOAK_SECONDS: '12', SOAK_SAMPLE_SECONDS: '3' });
    runs.push(run);
    const code = await within(run.exited, 170_000, 'bench:soak');
    const output = run.output();
    expect(code, output).toBe(0);
    expect(await groupEmptied(run.child.pid!)).toEqual([]);

    const table = rows(output);
    expect([...new Set(table.map((row) => row.replica))]).toEqual(replicas);
    for (const replica of replicas) {
      const samples = table.filter((row) => row.replica === replica);
      expect(samples.map((row) => row.time)).toEqual(['0:03', '0:06', '0:09', '0:12']);
      for (const row of samples) {
        expect(row.rss).toBeGreaterThan(20);
        expect(row.heap).toBeGreaterThan(5);
        expect(row.heap).toBeLessThan(row.rss);
        expect(row.loopP99).toBeGreaterThan(0);
        expect(row.handles).toBeGreaterThan(0);
        expect(row.sockets).toBeGreaterThan(0);
        expect(row.sockets).toBeLessThanOrEqual(row.handles);
        expect(row.errors).toBe(0);
      }
      // Requests keep being answered, and the writes keep reaching this replica's subscribers.
      for (const [i, row] of samples.entries()) if (i > 0) expect(row.requests).toBeGreaterThan(samples[i - 1]!.requests);
      expect(samples.at(-1)!.events).toBeGreaterThan(samples[0]!.events);
      expect(output).toMatch(new RegExp(`^verdict ${replica}: RSS [\\d.]+ MB at 0:03 -> [\\d.]+ MB at 0:12, [+-][\\d.]+ % \\(heap used [\\d.]+ -> [\\d.]+ MB\\); grew more than 10 %: (yes|no)$`, 'm'));
    }
    expect(output).toMatch(/^subscription events: [1-9]\d* over 50 subscribers; subscribers that received none: 0$/m);
    expect(output).toMatch(/^requests: \d+ \(of which [1-9]\d* tag writes and [1-9]\d* analytics\)$/m);
    expect(output).toMatch(/^errors: 0 \(/m);
    expect(output).toContain('the first sample at or after 20 % of the run');
  }, 180_000);

  it('ends early on SIGINT: prints what it sampled, stops every process it started, exits 130', async () => {
    const run = soak({ SOAK_SECONDS: '600', SOAK_SAMPLE_SECONDS: '2' });
    runs.push(run);
    for (let tries = 0; !/^bench:soak: 0:02 A:/m.test(run.output()); tries++) {
      expect(run.child.exitCode, run.output()).toBeNull();
      expect(tries, 'no first sample within 150 s').toBeLessThan(1500);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    run.child.kill('SIGINT');
    const code = await within(run.exited, 60_000, 'bench:soak after SIGINT');
    const output = run.output();
    expect(code, output).toBe(130);
    expect(await groupEmptied(run.child.pid!)).toEqual([]);
    expect(rows(output).filter((row) => row.time === '0:02').map((row) => row.replica)).toContain('A');
    expect(output).toMatch(/^errors: \d+ \(/m);
  }, 180_000);
});
