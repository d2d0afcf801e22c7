import { getHeapStatistics, writeHeapSnapshot } from 'node:v8';
import { join } from 'node:path';
import { BroadcastChannel, isMainThread, threadId } from 'node:worker_threads';

/**
 * Preloaded into a measured worker process (`node --expose-gc --require bench/lib/memory-probe.ts`):
 * on SIGUSR2 every thread collects garbage and reports its V8 heap (the workflows live in the SDK's
 * workflow threads, the activities and the SDK's bridge in the main one), and the main thread prints
 * one line `memory-probe {json}` with the process's RSS and the heaps. Nothing else in the process changes.
 */
const channel = new BroadcastChannel('memory-probe');
channel.unref();
const collect = () => (globalThis as { gc?: () => void }).gc?.();
const heapUsed = () => getHeapStatistics().used_heap_size;

if (!isMainThread) {
  channel.onmessage = (event) => {
    if ((event as MessageEvent).data !== 'measure') return;
    collect();
    // MEMORY_PROBE_SNAPSHOTS=<dir>: also a heap snapshot of each workflow thread, to see what its workflows hold.
    if (process.env.MEMORY_PROBE_SNAPSHOTS) writeHeapSnapshot(join(process.env.MEMORY_PROBE_SNAPSHOTS, `workflow-thread-${process.pid}-${threadId}-${Date.now()}.heapsnapshot`));
    channel.postMessage({ threadId, heapUsed: heapUsed() });
  };
} else {
  const threads = new Map<number, number>();
  channel.onmessage = (event) => {
    const data = (event as MessageEvent).data as { threadId?: number; heapUsed?: number };
    if (typeof data?.threadId === 'number' && typeof data.heapUsed === 'number') threads.set(data.threadId, data.heapUsed);
  };
  process.on('SIGUSR2', () => {
    threads.clear();
    channel.postMessage('measure');
    collect();
    // The threads answer between their activations; a second and a half is plenty on an idle worker.
    setTimeout(() => {
      const usage = process.memoryUsage();
      const workflowThreads = [...threads.values()];
      const report = {
        rss: usage.rss,
        mainHeapUsed: heapUsed(),
        workflowThreadsHeapUsed: workflowThreads.reduce((a, b) => a + b, 0),
        workflowThreads: workflowThreads.length,
        external: usage.external,
        arrayBuffers: usage.arrayBuffers,
      };
      process.stdout.write(`memory-probe ${JSON.stringify(report)}\n`);
    }, 1_500).unref();
  });
}
