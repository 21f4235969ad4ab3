// ESLint (flat config): JavaScript's and typescript-eslint's recommended rules on every source,
// test and bench file; types are checked by `npm run typecheck`.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.threatmatrix/', 'bench/out/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // Spreading an array into a call puts every element on the stack: at about 100k+ elements it
    // throws RangeError (stratifiedSplit did at 1M rows). Tests may spread their small arrays.
    ignores: ['**/*.test.ts', 'test/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.property.name=/^(push|unshift|splice)$/] > SpreadElement",
          message: 'no push(...arr) / unshift(...arr): it overflows the call stack on big arrays; loop, or use concat / a typed array',
        },
        {
          selector: "CallExpression[callee.object.name='Math'][callee.property.name=/^(max|min|hypot)$/] > SpreadElement",
          message: 'no Math.max(...arr) / Math.min(...arr) / Math.hypot(...arr): it overflows the call stack on big arrays; loop or reduce',
        },
        {
          selector: "CallExpression[callee.property.name='fromCharCode'] > SpreadElement",
          message: 'no String.fromCharCode(...arr): it overflows the call stack on big arrays; decode with TextDecoder or in slices',
        },
      ],
    },
  },
);
