import { shouldRenderGraphiQL, type GraphiQLOptions, type Plugin } from 'graphql-yoga';
import type { GatewayContext } from '../context.ts';
import { graphiqlBundle, type GraphiQLBundle } from './bundle.ts';
import { StaticAsset } from './static-asset.ts';

/** Asset URLs carry their content hash, so a browser keeps them for a year without asking. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** The page holds this gateway's options (the demo token): kept, but revalidated each time. */
const REVALIDATE = 'no-cache';
/** The folder segment of every asset URL, relative to the page, so a path prefix in front of the gateway keeps working. */
const ASSET_DIR = 'graphiql';

interface Assets {
  byName: ReadonlyMap<string, StaticAsset>;
  script: string;
  style: string;
  favicon: string;
  workers: Readonly<Record<string, string>>;
}

let assets: Promise<Assets> | undefined;

/** GraphiQL's files under content-hashed names; built once per process, on the first request that needs them. */
function graphiqlAssets(): Promise<Assets> {
  assets ??= graphiqlBundle().then(hashedAssets);
  return assets;
}

function hashedAssets(bundle: GraphiQLBundle): Assets {
  const byName = new Map<string, StaticAsset>();
  const add = (base: string, extension: string, body: Buffer, contentType: string) => {
    const asset = new StaticAsset(body, contentType, IMMUTABLE);
    const name = `${base}.${asset.hash}.${extension}`;
    byName.set(name, asset);
    return `${ASSET_DIR}/${name}`;
  };
  const javascript = 'text/javascript; charset=utf-8';
  return {
    byName,
    script: add('graphiql', 'js', Buffer.from(bundle.js), javascript),
    style: add('graphiql', 'css', Buffer.from(bundle.css), 'text/css; charset=utf-8'),
    favicon: add('favicon', 'ico', bundle.favicon.bytes, bundle.favicon.contentType),
    workers: Object.fromEntries(
      Object.entries(bundle.workers).map(([label, source]) => [label, add(`${label}.worker`, 'js', Buffer.from(source), javascript)]),
    ),
  };
}

/** JSON safe inside a <script> element: no `</script>` or `<!--` can end it early. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/**
 * The page render-graphiql would inline (about 9 MB), as a small HTML document that
 * loads the same files by URL: Monaco's workers from URLs instead of blobs, the
 * favicon as a file instead of a 150 kB data URL.
 */
function renderPage(options: GraphiQLOptions, files: Assets): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${escapeHtml(options.title || 'Yoga GraphiQL')}</title>
    <link rel="icon" href="${files.favicon}" />
    <link rel="stylesheet" href="${files.style}" />
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>You need to enable JavaScript to run this app.</noscript>
    <div id="root"></div>
    <script>
      const workers = ${scriptJson(files.workers)};
      self.MonacoEnvironment = {
        globalAPI: false,
        getWorkerUrl: (moduleId, label) => new URL(workers[label], document.baseURI).href,
      };
    </script>
    <script src="${files.script}"></script>
    <script>
      YogaGraphiQL.renderYogaGraphiQL(document.querySelector('#root'), ${scriptJson(options)});
    </script>
  </body>
</html>
`;
}

/**
 * Serves GraphiQL at the GraphQL endpoint (GET with `Accept: text/html`, as yoga does)
 * and its files next to it: compressed (br or gzip), the page with an ETag and
 * revalidated, the files immutable. Replaces yoga's own GraphiQL, which answers the
 * 9 MB page uncompressed and uncacheable on every visit.
 */
export function useGraphiQLPage(options: GraphiQLOptions, endpoint = '/graphql'): Plugin<GatewayContext> {
  let page: StaticAsset | undefined;
  return {
    async onRequest({ request, url, fetchAPI, endResponse }) {
      const { pathname } = url;
      if (shouldRenderGraphiQL(request) && (pathname === endpoint || pathname === `${endpoint}/`)) {
        const files = await graphiqlAssets();
        page ??= new StaticAsset(Buffer.from(renderPage(options, files)), 'text/html; charset=utf-8', REVALIDATE);
        endResponse(await page.respond(request, fetchAPI));
        return;
      }
      const slash = pathname.lastIndexOf('/');
      if (request.method !== 'GET' && request.method !== 'HEAD') return;
      if (!pathname.slice(0, slash).endsWith(`/${ASSET_DIR}`)) return;
      const asset = (await graphiqlAssets()).byName.get(pathname.slice(slash + 1));
      if (asset) endResponse(await asset.respond(request, fetchAPI));
    },
  };
}
