#!/usr/bin/env node
// Committed launcher, so package managers can link this bin before dist/ is built. It loads the
// CommonJS build, which starts a few milliseconds faster: git pays that on every filter call.
require("../dist/cli.cjs");
