import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeReport, MIB, runSoak } from './soak-run.js';

/**
 * The soak run, short: 2 MiB each way per receive mode in two transfers with the network lost and
 * recovered between them, 1 MiB of datagrams in push and buffer mode, links opening and closing
 * (host, peer FIN, peer RST, destroy) and the latency changing meanwhile. `npm run soak` is the
 * long run (100 MiB per mode).
 */
test('soak (short): every byte through every mode, SHA-256 equal at both ends, faults survived', { timeout: 120_000 }, async () => {
  const lines: string[] = [];
  const report = await runSoak({ mib: 2, udpMib: 1, modes: ['push', 'buffer', 'transparent'], segments: 2, deadlineMs: 100_000, log: (l) => lines.push(l) });
  const summary = [...lines, ...describeReport(report)].join('\n');
  assert.ok(report.ok, summary);
  for (const m of report.modes) {
    const tcp = m.tcp;
    assert.ok(tcp !== undefined, `${m.mode}: tcp figures`);
    assert.equal(tcp.bytes, 2 * MIB, `${m.mode}: every byte moved`);
    assert.equal(tcp.sha256.atServer, tcp.sha256.sent, `${m.mode}: the server got what was sent`);
    assert.equal(tcp.sha256.echoed, tcp.sha256.sent, `${m.mode}: what came back is what was sent`);
    assert.equal(m.faults['network-loss'], 1, `${m.mode}: the network was lost once`);
    assert.equal(m.faults['recovered'], 1, `${m.mode}: and recovered`);
    if (m.mode === 'transparent') {
      assert.ok((m.faults['closed-in-data'] ?? 0) >= 2, `CLOSED inside the data: ${summary}`);
      assert.ok((m.faults['command-mode'] ?? 0) >= 1, `+++/AT/ATO in the middle of a transfer: ${summary}`);
      assert.equal(m.udp, undefined, 'no UDP in transparent mode');
      continue;
    }
    for (const kind of ['host-close', 'close-link', 'reset-link', 'destroy']) {
      assert.ok((m.faults[kind] ?? 0) >= 1, `${m.mode}: a churn link ended by ${kind}: ${summary}`);
    }
    const udp = m.udp;
    assert.ok(udp !== undefined, `${m.mode}: udp figures`);
    assert.deepEqual([udp.lost, udp.corrupted, udp.duplicated], [0, 0, 0], `${m.mode}: every datagram back, intact, once`);
    assert.equal(udp.sha256.echoed, udp.sha256.sent, `${m.mode}: datagrams hash equal`);
  }
});
