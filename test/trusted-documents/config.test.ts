import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('trusted documents settings', () => {
  it('are off with no folder of manifests, and log what enforcing would refuse once a folder is set', () => {
    expect(loadConfig({}).trustedDocuments).toEqual({ mode: 'off', dir: undefined, bypassToken: undefined });
    expect(loadConfig({ NODE_ENV: 'production' }).trustedDocuments.mode).toBe('off');
    expect(loadConfig({ TRUSTED_DOCUMENTS_DIR: 'manifests' }).trustedDocuments).toEqual({ mode: 'log', dir: 'manifests', bypassToken: undefined });
    const token = 'b'.repeat(64);
    expect(loadConfig({ TRUSTED_DOCUMENTS: 'enforce', TRUSTED_DOCUMENTS_DIR: 'm', TRUSTED_DOCUMENTS_BYPASS_TOKEN: token }).trustedDocuments).toEqual({
      mode: 'enforce',
      dir: 'm',
      bypassToken: token,
    });
    expect(loadConfig({ TRUSTED_DOCUMENTS: 'off', TRUSTED_DOCUMENTS_DIR: 'm' }).trustedDocuments.mode).toBe('off');
  });

  it('refuse log or enforce without manifests, an unknown mode, and a short bypass secret, naming each variable', () => {
    expect(() => loadConfig({ TRUSTED_DOCUMENTS: 'enforce' })).toThrow(ConfigError);
    expect(() => loadConfig({ TRUSTED_DOCUMENTS: 'enforce' })).toThrow(/TRUSTED_DOCUMENTS="enforce": needs TRUSTED_DOCUMENTS_DIR/);
    expect(() => loadConfig({ TRUSTED_DOCUMENTS: 'strict', TRUSTED_DOCUMENTS_DIR: 'm' })).toThrow(/TRUSTED_DOCUMENTS="strict"/);
    expect(() => loadConfig({ TRUSTED_DOCUMENTS_BYPASS_TOKEN: 'short' })).toThrow(/TRUSTED_DOCUMENTS_BYPASS_TOKEN="short": at least 32 characters/);
  });
});
