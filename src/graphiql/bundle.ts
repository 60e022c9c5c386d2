/** GraphiQL's files as the page loads them (render-graphiql inlines them; we serve them). */
export interface GraphiQLBundle {
  js: string;
  css: string;
  /** Monaco's workers by the label Monaco asks for. */
  workers: Readonly<Record<'editorWorkerService' | 'json' | 'graphql', string>>;
  favicon: { contentType: string; bytes: Buffer };
}

/**
 * One edit of the bundled (minified) GraphiQL: `pattern` must match exactly once, or the
 * gateway refuses to start. render-graphiql is pinned to an exact version, so a changed
 * bundle means an upgrade whose fixes must be checked again, never a silent no-op.
 */
interface BundleFix {
  why: string;
  pattern: RegExp;
  replace: (match: RegExpExecArray, source: string) => string;
}

const FIXES: readonly BundleFix[] = [
  {
    // Each tab is a framer-motion Reorder.Item with `dragConstraints` set to the tab strip.
    // framer-motion then re-fits every tab's drag offset into the strip whenever the tab,
    // the strip or the window resizes (scalePositionWithinConstraints): as the tab titles
    // and the strip settle on load, that gives every tab a stale translateX (hundreds of
    // pixels) although nobody dragged. GraphiQL hides the offset with
    // `.graphiql-tab:not(:focus-within){transform:none!important}`, so it appears the
    // moment the pressed tab takes focus: the tab jumps away under the pointer, mouseup
    // lands on the strip, and the first click selects nothing. Without the constraint the
    // offset only moves while a tab is really dragged (and snaps back on release), so
    // clicks select and drag-to-reorder still works.
    why: 'tabs select on the first click',
    pattern: /dragConstraints:\w+,(value:)/,
    replace: (match) => match[1]!,
  },
  {
    // GraphiQL 5 shows the history panel only when `plugins` includes its HISTORY_PLUGIN
    // (its default), but YogaGraphiQL passes `plugins: [explorer]`, and page options are
    // JSON, which cannot carry a plugin object: add the bundle's own history plugin.
    why: 'the history panel is on',
    pattern: /plugins:\[(\w+)\],schemaDescription:!0/,
    replace: (match, source) => {
      const history = /const (\w+)=\{title:"History",icon:/.exec(source);
      if (!history) throw new Error('bundled GraphiQL: the history plugin object was not found');
      return `plugins:[${history[1]},${match[1]}],schemaDescription:!0`;
    },
  },
];

/** Applies every fix to the bundle source, each exactly once. */
export function applyFixes(source: string, fixes: readonly BundleFix[] = FIXES): string {
  let patched = source;
  for (const fix of fixes) {
    const global = new RegExp(fix.pattern.source, 'g');
    const count = [...patched.matchAll(global)].length;
    if (count !== 1) {
      throw new Error(`bundled GraphiQL (${fix.why}): expected one match of ${fix.pattern}, found ${count}; re-check the fix after upgrading @graphql-yoga/render-graphiql`);
    }
    const match = fix.pattern.exec(patched)!;
    patched = patched.slice(0, match.index) + fix.replace(match, patched) + patched.slice(match.index + match[0].length);
  }
  return patched;
}

let bundle: Promise<GraphiQLBundle> | undefined;

/**
 * The bundle, fixed, read once per process, on the first GraphiQL request: about 9 MB of
 * text, 15 MB of heap and 40 MB of RSS that a gateway with GraphiQL off (production)
 * never loads.
 */
export function graphiqlBundle(): Promise<GraphiQLBundle> {
  bundle ??= import('@graphql-yoga/render-graphiql/graphiql').then(({ css, editorWorkerService, favicon, graphqlWorker, js, jsonWorker }) => ({
    js: applyFixes(js),
    css,
    workers: { editorWorkerService, json: jsonWorker, graphql: graphqlWorker },
    favicon: decodeDataUrl(favicon),
  }));
  return bundle;
}

function decodeDataUrl(url: string): { contentType: string; bytes: Buffer } {
  const match = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (!match) throw new Error('bundled GraphiQL: the favicon is not a base64 data URL');
  return { contentType: match[1]!, bytes: Buffer.from(match[2]!, 'base64') };
}
