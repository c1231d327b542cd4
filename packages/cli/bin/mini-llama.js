#!/usr/bin/env node
// The `mini-llama` command. It lives outside dist/ so that package managers can link it before the first build
// of a workspace checkout (a bin pointing into dist/ makes `pnpm install` warn "Failed to create bin").
import '../dist/bin.js';
