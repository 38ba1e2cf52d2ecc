// The shape of src/ (docs/architecture.md): no import circle, imports only down the floors, no
// source file over 600 lines. Read from the source text, so a breach fails here, not in review.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { architectureBreaches } from '../../scripts/architecture.js';

test('src has no import circle, no import up a floor or across the two ends, no file over 600 lines', () => {
  const breaches = architectureBreaches('src').map((breach) => `${breach.kind}: ${breach.text}`);
  assert.deepEqual(breaches, []);
});
