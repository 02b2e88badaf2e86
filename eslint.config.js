import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'dist-bench/', 'node_modules/', 'data/', 'test-results/', 'web/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: globals.node } },
  {
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // One door for data: routes hold records, records hold repositories; SQL lives in src/store/.
    // Everywhere under src/ but the store itself, the vault included (its key rotation, shredding and
    // patient keys go through store modules). Tests may keep raw SQL (fixtures, tampering).
    files: ['src/**/*.ts'],
    ignores: ['src/store/**', '**/*.test.ts'],
    rules: {
      'no-restricted-syntax': ['error', {
        selector: "CallExpression[callee.type='MemberExpression'][callee.property.name='query']",
        message: 'SQL lives in src/store/: call a repository method instead.',
      }],
    },
  },
  {
    // The web app runs in browsers; FHIR resources arrive as untyped JSON there.
    files: ['web/**'],
    languageOptions: { globals: globals.browser },
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The CLI talks to its user on stdout/stderr; tests, benchmarks and bin may print too.
    files: ['src/cli/**', 'test/**', 'bench/**', 'bin/**', 'scripts/**', '**/*.test.ts'],
    rules: { 'no-console': 'off' },
  },
);
