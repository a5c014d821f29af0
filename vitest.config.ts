import { defineConfig } from 'vitest/config';

// isolated-vm needs --no-node-snapshot; only the forks pool accepts that flag.
export default defineConfig({
  test: {
    pool: 'forks',
    poolOptions: { forks: { execArgv: ['--no-node-snapshot'] } },
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/browser/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
