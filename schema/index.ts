export * from './dataset-schema.js';
export * from './parse-schema.js';
export * from './config.js';
export * from './jobs.js';
export * from './batches.js';
export * from './run-config.js';
export * from './feedback.js';
export * from './monitor.js';
