import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { ByteCollector } from './bytes.js';
import { exitOf, spawnCli } from './spawn-cli.js';

/** The fidelity flags of `a76xx emulate` (README "Fidelity"), over TCP on 127.0.0.1. */
const TIMEOUT_MS = 20_000;

test('emulate: --operator, --operator-name, --rat, --netopen-fail and --reset-nul shape what the module prints', { timeout: TIMEOUT_MS }, async () => {
  const cli = spawnCli([
    'emulate',
    '--tcp',
    '127.0.0.1:0',
    '--no-boot-urcs',
    '--operator',
    '22201',
    '--operator-name',
    'I TIM',
    '--rat',
    'gsm',
    '--netopen-fail',
    'error',
    '--reset-nul',
  ]);
  try {
    const endpoint = await cli.ready();
    assert.equal(endpoint.kind, 'tcp');
    const socket = connect({ host: '127.0.0.1', port: endpoint.kind === 'tcp' ? endpoint.port : 0 });
    const received = new ByteCollector();
    socket.on('data', received.push);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    // CR LF line ends, as most host libraries send them.
    socket.write('ATE0\r\nAT+COPS?;+CPSI?\r\nAT+COPS=3,1;+COPS?\r\nAT+NETOPEN\r\nAT+CRESET\r\n');
    const bytes = await received.contains('PB DONE\r\n', 5000);
    assert.equal(
      bytes.toString('latin1'),
      'ATE0\r\r\nOK\r\n' +
        '\r\n+COPS: 0,2,"22201",3\r\n+CPSI: GSM,Online,222-01,0x230A,59651,1021 PGSM 900,25,0,15-15\r\n\r\nOK\r\n' +
        '\r\n+COPS: 0,1,"I TIM",3\r\n\r\nOK\r\n' +
        '\r\nERROR\r\n' +
        '\r\nOK\r\n' +
        '\x00\r\n*ATREADY: 1\r\n\r\n+CPIN: READY\r\n\r\nSMS DONE\r\n\r\n+CGEV: EPS PDN ACT 1\r\n\r\nPB DONE\r\n',
    );
    socket.destroy();
  } finally {
    cli.dispose();
  }
});

test('emulate: a PLMN that is not 5 or 6 digits is refused before serving', { timeout: TIMEOUT_MS }, async () => {
  const cli = spawnCli(['emulate', '--tcp', '127.0.0.1:0', '--operator', '2220']);
  try {
    const { code } = await exitOf(cli);
    assert.notEqual(code, 0);
    assert.match(cli.stderr.bytes.toString(), /MCC\+MNC/);
  } finally {
    cli.dispose();
  }
});
