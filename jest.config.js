/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  // Integration tests spawn the built daemon; keep workers low on a shared 2-core machine.
  maxWorkers: 2,
  testTimeout: 60000,
};
