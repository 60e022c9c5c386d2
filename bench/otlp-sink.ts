/**
 * A do-nothing OTLP/HTTP trace receiver for `BENCH_TRACING=1 npm run bench:overhead`: it
 * answers every export at once and counts them, so what is measured is the gateway's cost
 * of tracing, not a collector's. Prints `{"url": ...}` once listening; `GET /stats` gives
 * `{ exports, bytes }`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

let exports = 0;
let bytes = 0;
const server = createServer((request, response) => {
  if (request.method === 'GET' && request.url === '/stats') {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ exports, bytes }));
    return;
  }
  request.on('data', (chunk: Buffer) => (bytes += chunk.length));
  request.on('end', () => {
    exports++;
    // An empty ExportTraceServiceResponse: full success, in the encoding the export came in.
    const json = request.headers['content-type']?.startsWith('application/json') ?? false;
    response.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' }).end(json ? '{}' : undefined);
  });
});
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
