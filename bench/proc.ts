// CPU time from /proc, for the bench and the probe: what a process (or thread) has spent so far.
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) from the text of a /proc stat file (a process's or a thread's). */
export function cpuOfStat(stat: string): number {
  const fields = stat.split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** CPU seconds a process has used so far. */
export function cpuSeconds(pid: number): number {
  return cpuOfStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

/** The machine's CPU time so far, in ticks, from /proc/stat's first line: all of it, and what the hypervisor took (steal). */
export function machineTicks(): { total: number; steal: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal guest guest_nice: guest time is already counted in user.
  return { total: fields.slice(0, 8).reduce((a, b) => a + b, 0), steal: fields[7] ?? 0 };
}

/**
 * The share of the machine's CPU time the hypervisor took between two readings (0–1). On a virtual
 * machine whose host is busy, it swings from run to run (0 to 14% of a whole probe seen here),
 * and a run that loses CPU to it says nothing about the code.
 */
export function stealShare(from: { total: number; steal: number }, to: { total: number; steal: number }): number {
  const total = to.total - from.total;
  return total > 0 ? (to.steal - from.steal) / total : 0;
}
