/**
 * Where a server's CPU went, from the V8 CPU profile `node --cpu-prof` wrote when it
 * stopped: self time grouped by package (node_modules/<name>), our bundled code, Node's own
 * modules and V8's native entries (garbage collector, writev, ...). Idle time is left out.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string } }[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time in µs per area of one profile. */
export function selfTimeByArea(path: string): Map<string, number> {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const areaOf = new Map(profile.nodes.map((node) => [node.id, area(node.callFrame)]));
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const where = areaOf.get(id)!;
    if (where === '(idle)') return;
    totals.set(where, (totals.get(where) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return totals;
}

function area({ functionName, url }: { functionName: string; url: string }): string {
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dependency) return dependency[1]!;
  if (url.includes('/.build/')) return `our code (${url.split('/.build/')[1]!.split('/')[0]})`;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0] === 'internal' ? url.slice(14).split('/')[0] : url.slice(5)}`;
  if (url === '') return functionName || '(native)';
  return url.split('/').slice(-2).join('/');
}

/** The profile file a process wrote, by the pid in its name. */
export function profileOf(dir: string, pid: number): string | undefined {
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile') && name.split('.')[3] === String(pid));
  return file === undefined ? undefined : join(dir, file);
}

/** A table of CPU µs per operation by area, for each profiled server side by side, largest differences first. */
export function printProfileTable(columns: { name: string; path: string; operations: number }[], rows = 20): void {
  const perOp = columns.map((column) => {
    const totals = selfTimeByArea(column.path);
    return new Map([...totals].map(([where, us]) => [where, us / column.operations]));
  });
  const areas = [...new Set(perOp.flatMap((table) => [...table.keys()]))];
  const spread = (where: string) => {
    const values = perOp.map((table) => table.get(where) ?? 0);
    return Math.max(...values) - Math.min(...values);
  };
  const fmt = (n: number) => n.toFixed(1);
  console.log(`\nCPU µs per operation by where it went (self time from V8 CPU profiles, warm-up included; the ${rows} areas that differ most):\n`);
  console.log(`| area | ${columns.map((column) => column.name).join(' | ')} |`);
  console.log(`| --- | ${columns.map(() => '---:').join(' | ')} |`);
  for (const where of areas.sort((a, b) => spread(b) - spread(a)).slice(0, rows)) {
    console.log(`| ${where} | ${perOp.map((table) => fmt(table.get(where) ?? 0)).join(' | ')} |`);
  }
  const sums = perOp.map((table) => [...table.values()].reduce((a, b) => a + b, 0));
  console.log(`| **all busy CPU** | ${sums.map(fmt).join(' | ')} |`);
}
