/**
 * Process entry (what `npm start` and a production image run). It checks the Node.js
 * version before it loads anything else: the gateway's dependencies need Node 24 and
 * would fail on an older one with some stack trace of their own, so an operator gets
 * one line naming the version instead. Everything else is imported only after it.
 */

/** Oldest Node.js major the gateway runs on; package.json's `engines.node` says the same (a test keeps them equal). */
const MINIMUM_NODE_MAJOR = 24;

const major = Number(process.versions.node.split('.')[0]);
if (!(major >= MINIMUM_NODE_MAJOR)) {
  console.error(
    `synapse-gateway needs Node.js ${MINIMUM_NODE_MAJOR} or later; this is Node.js ${process.versions.node}. ` +
      `Run it with \`npm start\` (npm scripts use the Node ${MINIMUM_NODE_MAJOR} that \`npm install\` puts in node_modules) or on a Node ${MINIMUM_NODE_MAJOR} image.`,
  );
  process.exit(1);
}

const { main } = await import('./process/main.ts');
await main();
