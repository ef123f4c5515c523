#!/usr/bin/env node
// Launcher for `npx edge-lb`: the CLI is TypeScript, which Node runs directly from 22.18 on.
// A plain .mjs entry lets npm link it as a bin and lets an older Node say what it needs.
if (!process.features.typescript) {
  process.stderr.write(
    `edge-lb needs Node.js 22.18 or newer (this is ${process.version}). ` +
      "Run it as `npx edge-lb` in the project directory, which uses the project's Node.\n",
  );
  process.exit(1);
}
const { main } = await import("./cli/main.ts");
await main();
