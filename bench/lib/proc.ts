/**
 * Reads another process's memory and sockets from `/proc` (Linux): VmRSS from
 * `/proc/<pid>/status` and the count of `socket:` descriptors in `/proc/<pid>/fd`. Used to
 * measure the gateway in its own process, apart from the client that loads it.
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
