import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'coverage/**', '.paydoc/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: 'TSEnumDeclaration', message: 'Use string unions, not enums.' },
        { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' },
      ],
    },
  },
  {
    // Tool configuration files must default-export by convention.
    files: ['vitest.config.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    // The pure core: no I/O, no logger, no edge layers.
    files: ['src/processor/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                'node:fs',
                'node:fs/*',
                'fs',
                'pino',
                '**/store/**',
                '**/http/**',
                '**/cli/**',
                '**/engine/**',
              ],
              message: 'src/processor is pure: no I/O, logger or edge imports.',
            },
          ],
        },
      ],
    },
  },
  {
    // The guest runtime and the document reader it shares with the host are bundled into the
    // isolate (src/sandbox/guest-runtime.ts): only relative imports of pure modules, no Node
    // builtins or packages, which do not exist there.
    files: ['src/sandbox/guest/**/*.ts', 'src/model/author-view.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^[^.]',
              message:
                'guest code is bundled into the isolate: relative imports of pure modules only.',
            },
          ],
        },
      ],
    },
  },
);
