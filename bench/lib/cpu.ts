import { readdirSync, readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc reports CPU time in ticks of 1/100 s on every architecture Node runs on. */
const MS_PER_TICK = 10;

/** User + system CPU a process has used so far, in ms (from /proc; undefined where that is not readable). */
export function processCpuMs(pid: number): number | undefined {
  try {
    // Fields after the command name, which may itself contain spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK;
  } catch {
    return undefined;
  }
}

/** This process's children whose command line contains `needle` (e.g. the Temporal dev server the test harness spawned). */
export function childPids(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) pids.push(Number(entry));
    } catch {
      // A process that ended while we looked.
    }
  }
  return pids;
}

/** CPU used by named processes between two points: `const stop = meter(); …; stop()` gives ms per name. */
export function cpuMeter(processes: Record<string, number | undefined>): () => Record<string, number | undefined> {
  const read = () => Object.fromEntries(Object.entries(processes).map(([name, pid]) => [name, pid === undefined ? undefined : processCpuMs(pid)]));
  const before = read();
  return () => {
    const after = read();
    return Object.fromEntries(Object.keys(processes).map((name) => [name, before[name] === undefined || after[name] === undefined ? undefined : after[name]! - before[name]!]));
  };
}
