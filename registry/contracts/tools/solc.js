#!/usr/bin/env node
// The pinned solc npm package (solc-js) behind the command line forge expects of a native solc:
// `solc --version` and `solc [--base-path P] [--include-path P] [--allow-paths P] --standard-json`
// (standard JSON in on stdin, out on stdout). Forge cannot download a native compiler here, and
// this way forge compiles with exactly the compiler that builds the committed artifacts.
"use strict";
const fs = require("fs");
const path = require("path");
const solc = require("solc");

const args = process.argv.slice(2);
if (args.includes("--version")) {
  // The format of native solc's answer; forge reads the version from the last line.
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
  process.exit(0);
}
if (!args.includes("--standard-json")) {
  process.stderr.write("tools/solc supports only --version and --standard-json\n");
  process.exit(2);
}

// Forge sends every source's content; the callback serves an import it left out, looked up the
// way native solc would: under the base path, the include paths, then as given.
const roots = [];
for (let i = 0; i < args.length - 1; i++) {
  if (args[i] === "--base-path" || args[i] === "--include-path") roots.push(args[i + 1]);
}
roots.push(process.cwd());
function findImports(importPath) {
  for (const root of roots) {
    const candidate = path.resolve(root, importPath);
    if (fs.existsSync(candidate)) return { contents: fs.readFileSync(candidate, "utf8") };
  }
  return { error: `not found: ${importPath}` };
}

const input = fs.readFileSync(0, "utf8");
process.stdout.write(solc.compile(input, { import: findImports }));
