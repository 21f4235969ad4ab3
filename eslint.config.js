// ESLint (flat config): JavaScript's and typescript-eslint's recommended rules on every source,
// test and bench file; types are checked by `npm run typecheck`.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const STACK_BOUND_SPREADS = [
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
];

const ENV_MESSAGE = 'read environment variables only in schema/config.ts (add the variable to ConfigSchema and pass the config down)';
const ENV_READS = [
  { selector: "MemberExpression[object.name='process'][property.name='env']", message: ENV_MESSAGE },
  { selector: "MemberExpression[object.name='process'][property.value='env']", message: ENV_MESSAGE },
  { selector: "VariableDeclarator[init.name='process'] > ObjectPattern > Property[key.name='env']", message: ENV_MESSAGE },
  { selector: "ImportDeclaration[source.value=/^(node:)?process$/] > ImportSpecifier[imported.name='env']", message: ENV_MESSAGE },
];

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
    // Product code reads the environment only through schema/config.ts, so every variable is
    // checked at start-up (a direct read let TM_LOCK_DURATION_MS=abc become NaN).
    ignores: ['**/*.test.ts', 'test/**'],
    rules: { 'no-restricted-syntax': ['error', ...STACK_BOUND_SPREADS, ...ENV_READS] },
  },
  {
    // The config module parses the environment; bench scripts set up child processes' environments.
    files: ['schema/config.ts', 'bench/**'],
    rules: { 'no-restricted-syntax': ['error', ...STACK_BOUND_SPREADS] },
  },
);
