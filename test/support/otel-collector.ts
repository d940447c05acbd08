import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { cacheDir } from './ferretdb';
import { run } from './python';

/*
 * A real OpenTelemetry Collector for the tracing tests: built from the Go module proxy
 * (test/support/otelcol: the OTLP receiver and the file exporter, every collector module at
 * release 0.161.0, the last one the contrib file exporter builds at) once per machine, cached
 * under ~/.cache/lab-events/bin. It receives OTLP over HTTP and gRPC and writes each batch of
 * spans as a line of OTLP/JSON.
 */

const VERSION = '0.161.0';
const SOURCE = path.join(__dirname, 'otelcol');

/** One received span, flattened. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  serviceName: string;
  attributes: Record<string, unknown>;
}

/** A running collector. */
export interface Collector {
  /** OTLP/HTTP base URL (`http://127.0.0.1:port`): what OTEL_EXPORTER_OTLP_ENDPOINT takes. */
  httpEndpoint: string;
  /** OTLP/gRPC endpoint (`http://127.0.0.1:port`). */
  grpcEndpoint: string;
  /** Every span written so far. */
  spans(): ReceivedSpan[];
  stop(): Promise<void>;
}

/** Whether Go is on PATH (the collector is built with it on first use). */
export function hasGo(): boolean {
  return spawnSync('go', ['version'], { encoding: 'utf8' }).status === 0;
}

/** The collector binary, built on first use (minutes: the module download and a large link). */
export async function ensureCollector(log: (line: string) => void = console.log): Promise<string> {
  // Keyed by the sources, so a changed main.go or go.mod builds anew.
  const hash = crypto.createHash('sha256');
  for (const file of ['go.mod', 'go.sum', 'main.go']) hash.update(fs.readFileSync(path.join(SOURCE, file)));
  const binary = path.join(cacheDir(), 'bin', `otelcol-lab-events-${VERSION}-${hash.digest('hex').slice(0, 12)}`);
  if (fs.existsSync(binary)) return binary;
  fs.mkdirSync(path.dirname(binary), { recursive: true });
  log(`building the OpenTelemetry Collector ${VERSION} into ${binary} (first run only)`);
  const partial = `${binary}.partial`;
  const result = await run('go', ['build', '-trimpath', '-ldflags', '-s -w', '-o', partial, '.'], {
    cwd: SOURCE,
    env: { ...process.env, GOFLAGS: '-mod=mod' },
    timeoutMs: 40 * 60_000,
  });
  if (result.code !== 0) throw new Error(`go build of the collector failed (${result.code}):\n${result.stderr}`);
  fs.renameSync(partial, binary);
  return binary;
}

/** A port free now on 127.0.0.1. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resolves once something accepts connections on the port. */
async function waitForPort(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the collector exited with ${child.exitCode}:\n${output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the collector did not listen on ${port}:\n${output()}`);
}

type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };

/** Starts a collector on free ports, writing spans into a temporary file. */
export async function startCollector(binary: string): Promise<Collector> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-events-otelcol-'));
  const [httpPort, grpcPort] = [await freePort(), await freePort()];
  const file = path.join(dir, 'traces.jsonl');
  const config = [
    'receivers:',
    '  otlp:',
    '    protocols:',
    `      http: { endpoint: "127.0.0.1:${httpPort}" }`,
    `      grpc: { endpoint: "127.0.0.1:${grpcPort}" }`,
    'exporters:',
    `  file: { path: ${JSON.stringify(file)}, flush_interval: 50ms }`,
    'service:',
    // No metrics server of its own (it would take port 8888).
    '  telemetry: { metrics: { level: none } }',
    '  pipelines:',
    '    traces: { receivers: [otlp], exporters: [file] }',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'config.yaml'), config);
  const child = spawn(binary, ['--config', path.join(dir, 'config.yaml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await waitForPort(httpPort, child, () => output);
  await waitForPort(grpcPort, child, () => output);
  return {
    httpEndpoint: `http://127.0.0.1:${httpPort}`,
    grpcEndpoint: `http://127.0.0.1:${grpcPort}`,
    spans: () => {
      if (!fs.existsSync(file)) return [];
      const spans: ReceivedSpan[] = [];
      for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        const data = JSON.parse(line) as {
          resourceSpans?: {
            resource?: { attributes?: { key: string; value: AnyValue }[] };
            scopeSpans?: {
              spans?: {
                traceId: string;
                spanId: string;
                parentSpanId?: string;
                name: string;
                kind?: number;
                attributes?: { key: string; value: AnyValue }[];
              }[];
            }[];
          }[];
        };
        for (const rs of data.resourceSpans ?? []) {
          const serviceName =
            rs.resource?.attributes?.find((attribute) => attribute.key === 'service.name')?.value.stringValue ?? '';
          for (const ss of rs.scopeSpans ?? []) {
            for (const span of ss.spans ?? []) {
              spans.push({
                traceId: span.traceId,
                spanId: span.spanId,
                parentSpanId: span.parentSpanId ?? '',
                name: span.name,
                kind: span.kind ?? 0,
                serviceName,
                attributes: Object.fromEntries(
                  (span.attributes ?? []).map(({ key, value }) => [
                    key,
                    value.stringValue ?? value.intValue ?? value.boolValue ?? value.doubleValue,
                  ]),
                ),
              });
            }
          }
        }
      }
      return spans;
    },
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
