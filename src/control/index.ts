// The control plane (`a76xx/control` in process; over HTTP for `a76xx ctl` and other tools).
export * from './params.js';
export * from './line.js';
export * from './plane.js';
export * from './target.js';
export * from './outage.js';
export * from './verb.js';
export * from './verbs.js';
export * from './status.js';
export * from './token.js';
export * from './http-server.js';
export * from './client.js';
