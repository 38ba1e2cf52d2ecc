export * from './syntax.js';
export * from './params.js';
export * from './result-codes.js';
export * from './errors.js';
export * from './escape.js';
export * from './transcript.js';
export * from './ssl.js';
export * from './limits.js';
