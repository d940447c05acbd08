/**
 * HTTP load generator, run in a child process (see {@link startLoadClient}) so the server under
 * test keeps a core to itself: keeps a fixed number of requests in flight over keep-alive
 * connections (node:http) until a fixed number have completed, and reports throughput,
 * latencies, failures and its own CPU time.
 */
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';

/** One request to send; requests are sent in turn, cycling through the list. */
export interface LoadRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
}

/** A run: `total` requests against `baseUrl`, `concurrency` in flight. */
export interface LoadSpec {
  baseUrl: string;
  requests: LoadRequest[];
  concurrency: number;
  total: number;
  /** A response body must contain this text (e.g. `"data"`) ... */
  mustContain?: string;
  /** ... and must not contain this one (e.g. `"errors"`). */
  mustNotContain?: string;
}

/** What a run measured. */
export interface LoadResult {
  completed: number;
  failed: number;
  /** The first failure, for the error message. */
  firstFailure: string | null;
  elapsedMs: number;
  /** Per-request latencies in ms. */
  latenciesMs: number[];
  /** CPU time (user + system) the client used during the run. */
  clientCpuMs: number;
  responseBytes: number;
}

type Message = { type: 'run'; spec: LoadSpec } | { type: 'exit' };

async function run(spec: LoadSpec): Promise<LoadResult> {
  const base = new URL(spec.baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.concurrency });
  const latenciesMs: number[] = [];
  let next = 0;
  let failed = 0;
  let firstFailure: string | null = null;
  let responseBytes = 0;
  const fail = (message: string) => {
    failed++;
    firstFailure ??= message;
  };
  const send = (request: LoadRequest) =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      const req = http.request(
        {
          host: base.hostname,
          port: base.port,
          method: request.method,
          path: request.path,
          agent,
          headers:
            request.body === undefined
              ? {}
              : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(request.body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            latenciesMs.push(performance.now() - started);
            const body = Buffer.concat(chunks).toString('utf8');
            responseBytes += body.length;
            if (res.statusCode !== 200)
              fail(`${request.method} ${request.path}: HTTP ${res.statusCode} ${body.slice(0, 300)}`);
            else if (spec.mustContain !== undefined && !body.includes(spec.mustContain))
              fail(`${request.path}: no ${spec.mustContain} in ${body.slice(0, 300)}`);
            else if (spec.mustNotContain !== undefined && body.includes(spec.mustNotContain))
              fail(`${request.path}: ${body.slice(0, 300)}`);
            resolve();
          });
          res.on('error', (error) => {
            fail(String(error));
            resolve();
          });
        },
      );
      req.on('error', (error) => {
        fail(String(error));
        resolve();
      });
      req.end(request.body);
    });
  const worker = async () => {
    while (next < spec.total) {
      const i = next++;
      await send(spec.requests[i % spec.requests.length]!);
    }
  };
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await Promise.all(Array.from({ length: spec.concurrency }, worker));
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  agent.destroy();
  return {
    completed: spec.total,
    failed,
    firstFailure,
    elapsedMs,
    latenciesMs,
    clientCpuMs: (cpu.user + cpu.system) / 1000,
    responseBytes,
  };
}

/** A load client process. */
export interface LoadClient {
  run(spec: LoadSpec): Promise<LoadResult>;
  close(): Promise<void>;
}

/** Forks this file as a load client (the child inherits the parent's tsx loader flags). */
export function startLoadClient(): LoadClient {
  const child: ChildProcess = fork(__filename, ['--load-client'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  return {
    run: (spec) =>
      new Promise<LoadResult>((resolve, reject) => {
        const onExit = (code: number | null) => reject(new Error(`load client exited with ${code}`));
        child.once('exit', onExit);
        child.once('message', (result: LoadResult) => {
          child.off('exit', onExit);
          resolve(result);
        });
        child.send({ type: 'run', spec } satisfies Message);
      }),
    close: async () => {
      if (!exited) child.send({ type: 'exit' } satisfies Message);
      await Promise.race([exitedPromise, new Promise((r) => setTimeout(r, 5000))]);
      if (!exited) child.kill('SIGKILL');
    },
  };
}

if (require.main === module && process.argv.includes('--load-client')) {
  process.on('message', (message: Message) => {
    if (message.type === 'exit') {
      process.disconnect();
      return;
    }
    run(message.spec).then(
      (result) => process.send!(result),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}
