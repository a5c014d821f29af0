#!/usr/bin/env -S node --no-node-snapshot
// Thin launcher: registers tsx so the TypeScript sources run from a checkout without a build step.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli/main.ts');
