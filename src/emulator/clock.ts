/** The Clock moved to `src/time/clock.ts` (a leaf both ends use); this path keeps old imports compiling. */
export * from '../time/clock.js';
