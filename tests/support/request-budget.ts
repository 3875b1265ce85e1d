import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { Worker } from 'node:worker_threads';
import { type RawAnswer, rawExchange } from './raw-http.js';

/**
 * Server time of each request, keyed by the client's port: from Node's `http.server.request.start`
 * (headers parsed) to `http.server.response.finish` (last byte handed to the socket), taken inside
 * the server process, so a busy client or scheduler does not count. Requests the HTTP parser
 * refuses never start; their round trip (an upper bound) stands in.
 */
const serverTimes = new Map<number, number>();
const startedAt = new WeakMap<IncomingMessage, number>();
subscribe('http.server.request.start', (message) => {
  startedAt.set((message as { request: IncomingMessage }).request, performance.now());
});
subscribe('http.server.response.finish', (message) => {
  const { request } = message as { request: IncomingMessage };
  const started = startedAt.get(request);
  const port = request.socket?.remotePort;
  if (started !== undefined && port !== undefined && !serverTimes.has(port))
    serverTimes.set(port, performance.now() - started);
});

/** Probes `/health/live` every 5 ms from a worker thread (its own event loop), until told to stop. */
export function startLiveProbes(url: string): { stop(): Promise<number[]> } {
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const http = require('node:http');
     const agent = new http.Agent({ keepAlive: true });
     const latencies = [];
     const timer = setInterval(() => {
       const t = performance.now();
       http.get(workerData.url + '/health/live', { agent }, (res) => {
         res.resume();
         res.on('end', () => latencies.push(performance.now() - t));
       }).on('error', () => latencies.push(Infinity));
     }, 5);
     parentPort.on('message', () => {
       clearInterval(timer);
       setTimeout(() => { parentPort.postMessage(latencies); agent.destroy(); }, 200);
     });`,
    { eval: true, workerData: { url } },
  );
  return {
    stop: () =>
      new Promise((resolve) => {
        worker.once('message', (latencies: number[]) => {
          void worker.terminate();
          resolve(latencies);
        });
        worker.postMessage('stop');
      }),
  };
}

/** A request to time, as raw bytes. */
export interface TimedCase {
  name: string;
  payload: Buffer;
}

/** Server times (ms) of each case, its last answer, and the /health/live probe latencies. */
export interface AttackResult {
  times: Map<string, number[]>;
  answers: Map<string, RawAnswer>;
  live: number[];
}

/**
 * Sends every case `runs` times, one after another, while a worker thread probes `url`'s
 * /health/live every 5 ms.
 */
export async function attack(url: string, cases: TimedCase[], runs: number): Promise<AttackResult> {
  const probes = startLiveProbes(url);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const times = new Map<string, number[]>();
  const answers = new Map<string, RawAnswer>();
  const queue = cases.flatMap((c) => Array.from({ length: runs }, () => c));
  const worker = async () => {
    for (let c = queue.shift(); c; c = queue.shift()) {
      const answer = await rawExchange(url, c.payload);
      const ms = serverTimes.get(answer.port) ?? answer.ms;
      serverTimes.delete(answer.port);
      times.set(c.name, [...(times.get(c.name) ?? []), ms]);
      answers.set(c.name, answer);
    }
  };
  await worker();
  const live = await probes.stop();
  return { times, answers, live };
}
