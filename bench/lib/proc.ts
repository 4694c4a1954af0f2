/**
 * Reads another process's memory, CPU time and sockets from `/proc` (Linux): VmRSS from
 * `/proc/<pid>/status`, user + system time from `/proc/<pid>/stat` and the count of `socket:`
 * descriptors in `/proc/<pid>/fd`. Used to measure the gateway in its own process, apart from
 * the client that loads it.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Resident set size in bytes, or NaN when the process is gone. */
export function rssOf(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] ? Number(match[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/**
 * Clock ticks per second of `/proc/<pid>/stat` times (`getconf CLK_TCK`). Assumed, not read:
 * Node exposes no sysconf, and Linux reports these times in USER_HZ, which is 100 on every
 * architecture it supports.
 */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU seconds (user + system) the process has used so far, or NaN when it is gone. Take the
 * difference of two readings to get one interval's.
 */
export function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces; utime and
    // stime are fields 14 and 15 of the line, so 12th and 13th after the ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / CLOCK_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/** Open socket descriptors (TCP, Unix, pipes excluded), or NaN when unreadable. */
export function socketsOf(pid: number): number {
  try {
    let sockets = 0;
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) sockets += 1;
      } catch {
        // closed while listing
      }
    }
    return sockets;
  } catch {
    return Number.NaN;
  }
}

export interface PeakSampler {
  stop(): { baseline: number; peak: number; samples: number };
}

/** Samples a process's RSS every `intervalMs` until stopped, keeping the peak. */
export function samplePeakRss(pid: number, intervalMs = 10): PeakSampler {
  const baseline = rssOf(pid);
  let peak = baseline;
  let samples = 0;
  const take = () => {
    const rss = rssOf(pid);
    if (!Number.isNaN(rss)) peak = Math.max(peak, rss);
    samples += 1;
  };
  const timer = setInterval(take, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return { baseline, peak, samples };
    },
  };
}
