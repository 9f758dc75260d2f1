import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["lib/**/*.test.ts", "cmd/**/*.test.ts", "test/**/*.test.ts"],
    exclude: ["node_modules/**", "dist/**", "training/**"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
