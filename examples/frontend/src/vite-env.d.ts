/// <reference types="vite/client" />

interface ImportMetaEnv {
  readonly VITE_GATEWAY_URL?: string;
  readonly VITE_GATEWAY_TOKEN?: string;
  /** `true`: the dev server's pages send document ids too (the gateway must hold the manifest). */
  readonly VITE_DOCUMENT_IDS?: string;
}
