import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An attribute value as OTLP carries it: text, number, boolean, or a list of those. */
export type AttributeValue = string | number | boolean | AttributeValue[] | null;

/** One span as the receiver decoded it, whichever encoding the exporter used. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client. */
  kind: number;
  attributes: Record<string, AttributeValue>;
  events: { name: string; attributes: Record<string, AttributeValue> }[];
  /** OTLP's status code: 0 unset, 1 ok, 2 error. */
  status: { code: number; message: string };
  /** The resource's attributes (`service.name`...). */
  resource: Record<string, AttributeValue>;
  startNanos: bigint;
  endNanos: bigint;
}

/** One export request as it arrived. */
export interface ReceivedExport {
  path: string;
  contentType: string;
  spans: number;
}

export interface OtlpReceiver {
  /** `http://127.0.0.1:<port>`: give it as OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  spans: ReceivedSpan[];
  exports: ReceivedExport[];
  /** Waits (at most `timeoutMs`) until `done` holds for the spans received so far; fails naming `what` otherwise. */
  waitFor(what: string, done: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

/**
 * A real OTLP/HTTP trace receiver on loopback: `POST /v1/traces` in protobuf
 * (`application/x-protobuf`) or JSON (`application/json`), decoded here by code of its
 * own (not the exporter's), so a test reads what a collector would.
 */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const exports: ReceivedExport[] = [];
  const waiters = new Set<() => void>();
  const server = createServer((request, response) => {
    void readAll(request).then((body) => {
      const contentType = request.headers['content-type'] ?? '';
      if (request.method !== 'POST' || request.url !== '/v1/traces') {
        response.writeHead(404).end();
        return;
      }
      const decoded = contentType.startsWith('application/json')
        ? fromJson(JSON.parse(body.toString('utf8')) as JsonRequest)
        : fromProtobuf(body);
      spans.push(...decoded);
      exports.push({ path: request.url, contentType, spans: decoded.length });
      // An empty ExportTraceServiceResponse: full success, in the encoding it came in.
      if (contentType.startsWith('application/json')) response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      else response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      for (const wake of [...waiters]) wake();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    exports,
    waitFor(what, done, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!done(spans)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(spans);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`OTLP receiver: ${what} did not arrive; got ${spans.map((s) => s.name).join(', ') || 'no span'}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function readAll(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

// --- OTLP/JSON (protobuf's JSON mapping; ids in hex, as OTLP says) ---

interface JsonValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: JsonValue[] };
}
interface JsonKeyValue {
  key: string;
  value: JsonValue;
}
interface JsonSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
  attributes?: JsonKeyValue[];
  events?: { name: string; attributes?: JsonKeyValue[] }[];
  status?: { code?: number; message?: string };
}
interface JsonRequest {
  resourceSpans?: { resource?: { attributes?: JsonKeyValue[] }; scopeSpans?: { spans?: JsonSpan[] }[] }[];
}

function fromJson(body: JsonRequest): ReceivedSpan[] {
  const value = (v: JsonValue): AttributeValue => {
    if (v.stringValue !== undefined) return v.stringValue;
    if (v.boolValue !== undefined) return v.boolValue;
    if (v.intValue !== undefined) return Number(v.intValue);
    if (v.doubleValue !== undefined) return v.doubleValue;
    if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(value);
    return null;
  };
  const attributes = (list: JsonKeyValue[] = []) => Object.fromEntries(list.map((kv) => [kv.key, value(kv.value)]));
  return (body.resourceSpans ?? []).flatMap((resourceSpans) => {
    const resource = attributes(resourceSpans.resource?.attributes);
    return (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? '',
        name: span.name,
        kind: span.kind,
        attributes: attributes(span.attributes),
        events: (span.events ?? []).map((event) => ({ name: event.name, attributes: attributes(event.attributes) })),
        status: { code: span.status?.code ?? 0, message: span.status?.message ?? '' },
        resource,
        startNanos: BigInt(span.startTimeUnixNano),
        endNanos: BigInt(span.endTimeUnixNano),
      })),
    );
  });
}

// --- OTLP/protobuf: a minimal wire-format reader for the trace messages ---

/** A message's fields by number: varints as bigint, fixed-width and length-delimited as bytes. */
type Fields = Map<number, (bigint | Buffer)[]>;

function decode(bytes: Buffer): Fields {
  const fields: Fields = new Map();
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (at >= bytes.length || shift > 63n) throw new Error('protobuf: truncated varint');
      const byte = bytes[at++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
    }
  };
  while (at < bytes.length) {
    const key = Number(varint());
    const [field, wire] = [key >>> 3, key & 7];
    let value: bigint | Buffer;
    if (wire === 0) value = varint();
    else if (wire === 1 || wire === 5) {
      const size = wire === 1 ? 8 : 4;
      value = bytes.subarray(at, (at += size));
    } else if (wire === 2) {
      const length = Number(varint());
      value = bytes.subarray(at, (at += length));
    } else throw new Error(`protobuf: wire type ${wire} is not used by OTLP traces`);
    fields.set(field, [...(fields.get(field) ?? []), value]);
  }
  return fields;
}

const bytesOf = (fields: Fields, n: number): Buffer[] => (fields.get(n) ?? []) as Buffer[];
const firstBytes = (fields: Fields, n: number): Buffer => bytesOf(fields, n)[0] ?? Buffer.alloc(0);
const text = (fields: Fields, n: number): string => firstBytes(fields, n).toString('utf8');
const number = (fields: Fields, n: number): bigint => (fields.get(n)?.[0] as bigint | undefined) ?? 0n;

/** AnyValue: 1 string, 2 bool, 3 int64, 4 double, 5 ArrayValue { 1: repeated AnyValue }. */
function anyValue(bytes: Buffer): AttributeValue {
  const fields = decode(bytes);
  if (fields.has(1)) return text(fields, 1);
  if (fields.has(2)) return number(fields, 2) !== 0n;
  if (fields.has(3)) return Number(BigInt.asIntN(64, number(fields, 3)));
  if (fields.has(4)) return firstBytes(fields, 4).readDoubleLE(0);
  if (fields.has(5)) return bytesOf(decode(firstBytes(fields, 5)), 1).map(anyValue);
  return null;
}

/** repeated KeyValue { 1: key, 2: AnyValue }. */
function keyValues(list: Buffer[]): Record<string, AttributeValue> {
  return Object.fromEntries(
    list.map((bytes) => {
      const kv = decode(bytes);
      return [text(kv, 1), anyValue(firstBytes(kv, 2))];
    }),
  );
}

/**
 * ExportTraceServiceRequest { 1: ResourceSpans { 1: Resource { 1: attributes }, 2: ScopeSpans
 * { 2: Span } } }; Span { 1 trace_id, 2 span_id, 4 parent_span_id, 5 name, 6 kind,
 * 7 start_time_unix_nano, 8 end_time_unix_nano, 9 attributes, 11 events { 2 name, 3 attributes }, 15 status
 * { 2 message, 3 code } }.
 */
function fromProtobuf(body: Buffer): ReceivedSpan[] {
  return bytesOf(decode(body), 1).flatMap((resourceSpansBytes) => {
    const resourceSpans = decode(resourceSpansBytes);
    const resource = keyValues(bytesOf(decode(firstBytes(resourceSpans, 1)), 1));
    return bytesOf(resourceSpans, 2).flatMap((scopeBytes) =>
      bytesOf(decode(scopeBytes), 2).map((spanBytes) => {
        const span = decode(spanBytes);
        const status = decode(firstBytes(span, 15));
        return {
          traceId: firstBytes(span, 1).toString('hex'),
          spanId: firstBytes(span, 2).toString('hex'),
          parentSpanId: firstBytes(span, 4).toString('hex'),
          name: text(span, 5),
          kind: Number(number(span, 6)),
          attributes: keyValues(bytesOf(span, 9)),
          events: bytesOf(span, 11).map((eventBytes) => {
            const event = decode(eventBytes);
            return { name: text(event, 2), attributes: keyValues(bytesOf(event, 3)) };
          }),
          status: { code: Number(number(status, 3)), message: text(status, 2) },
          resource,
          startNanos: firstBytes(span, 7).readBigUInt64LE(0),
          endNanos: firstBytes(span, 8).readBigUInt64LE(0),
        };
      }),
    );
  });
}
