import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    exclude: [...configDefaults.exclude, 'dist/**'],
    // Tests start servers, workers and child processes: separate processes, generous timeouts.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
