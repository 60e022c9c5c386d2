import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('trace settings (the standard OTEL_* variables)', () => {
  it('is off with no endpoint, with the specification defaults otherwise', () => {
    expect(loadConfig({}).tracing).toEqual({
      endpoint: undefined,
      protocol: 'http/protobuf',
      headers: {},
      timeoutMs: 10_000,
      serviceName: 'synapse-gateway',
      resourceAttributes: {},
      sampler: 'parentbased_always_on',
      samplerRatio: 1,
      batch: { scheduleDelayMs: 5_000, exportTimeoutMs: 30_000, maxQueueSize: 2_048, maxExportBatchSize: 512 },
    });
  });

  it('sends to <endpoint>/v1/traces, or to the traces endpoint as it is; off when disabled or the exporter is none', () => {
    const endpoint = (env: Record<string, string>) => loadConfig(env).tracing.endpoint;
    expect(endpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe('http://collector:4318/v1/traces');
    expect(endpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example.com/otlp/' })).toBe('https://otel.example.com/otlp/v1/traces');
    expect(endpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:4318/custom' })).toBe(
      'http://traces:4318/custom',
    );
    expect(endpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' })).toBeUndefined();
    expect(endpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_EXPORTER: 'none' })).toBeUndefined();
  });

  it('reads the protocol (traces first), the sampler and its ratio, the service, resource and headers', () => {
    const tracing = loadConfig({
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.01',
      OTEL_SERVICE_NAME: 'review-gateway',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=production,service.version=1.4.0',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=abc%2C123,x-team=review',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-team=traces',
      OTEL_BSP_MAX_QUEUE_SIZE: '100',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '512',
    }).tracing;
    expect(tracing).toMatchObject({
      protocol: 'http/json',
      sampler: 'parentbased_traceidratio',
      samplerRatio: 0.01,
      serviceName: 'review-gateway',
      resourceAttributes: { 'deployment.environment.name': 'production', 'service.version': '1.4.0' },
      headers: { 'x-api-key': 'abc,123', 'x-team': 'traces' },
    });
    // A batch cannot be larger than the queue it is taken from.
    expect(tracing.batch.maxExportBatchSize).toBe(100);
  });

  it('refuses gRPC and unknown samplers by name; skips malformed header entries without echoing them', () => {
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(ConfigError);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL="grpc": .*OTLP\/HTTP port, 4318/);
    expect(() => loadConfig({ OTEL_TRACES_SAMPLER: 'jaeger_remote' })).toThrow(/OTEL_TRACES_SAMPLER/);
    expect(() => loadConfig({ OTEL_TRACES_SAMPLER_ARG: '2' })).toThrow(/OTEL_TRACES_SAMPLER_ARG/);
    expect(loadConfig({ OTEL_EXPORTER_OTLP_HEADERS: 'secret-without-name,=nokey,bad=%E0%A4%A,good=1' }).tracing.headers).toEqual({ good: '1' });
  });
});
