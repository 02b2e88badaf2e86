import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'test-results/', 'web/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      'no-console': ['error', { allow: [] }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // The CLI talks to its user on stdout/stderr; tests, benchmarks and bin may print too.
    files: ['src/cli/**', 'test/**', 'bench/**', 'bin/**', '**/*.test.ts'],
    rules: { 'no-console': 'off' },
  },
);
