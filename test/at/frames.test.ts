import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as at from '../../src/at/index.js';

/** Every frame: the formatter's exact text, the parser giving back what was formatted, and the lines it must refuse. */
interface Case<T> {
  readonly name: string;
  readonly value: T;
  readonly format: (value: T) => string;
  readonly parse: (line: string) => T | undefined;
  readonly text: string;
  /** What real firmware or the application note prints too (spaces after `:` / `,`). */
  readonly alsoParses?: readonly (readonly [string, T])[];
  readonly refuses: readonly string[];
}

function roundTrip<T>(c: Case<T>): void {
  test(`frames: ${c.name} formats and parses back`, () => {
    assert.equal(c.format(c.value), c.text);
    assert.deepEqual(c.parse(c.format(c.value)), c.value);
    for (const [line, value] of c.alsoParses ?? []) assert.deepEqual(c.parse(line), value, line);
    for (const line of c.refuses) assert.equal(c.parse(line), undefined, line);
  });
}

roundTrip({
  name: 'CONNECT <rate>',
  value: '115200',
  format: (v) => at.formatConnect(v),
  parse: at.parseConnect,
  text: 'CONNECT 115200',
  refuses: ['CONNECT FAIL', 'CONNECTED', 'NO CARRIER', ''],
});
roundTrip({ name: 'bare CONNECT (ATX0)', value: '', format: () => at.formatConnect(), parse: at.parseConnect, text: 'CONNECT', refuses: ['CONNECT:'] });
roundTrip({
  name: '+CME ERROR: <err>',
  value: 'SIM busy',
  format: (v) => at.formatCmeError(v),
  parse: at.parseCmeError,
  text: '+CME ERROR: SIM busy',
  alsoParses: [
    ['+CME ERROR: 14', '14'],
    ['+CME ERROR:10', '10'],
    ['+CME ERROR: requested service option not subscribed (#33)', 'requested service option not subscribed (#33)'],
  ],
  refuses: ['ERROR', '+CMS ERROR: 5'],
});
roundTrip({ name: '+CMS ERROR: <err>', value: '500', format: (v) => at.formatCmsError(v), parse: at.parseCmsError, text: '+CMS ERROR: 500', refuses: ['+CME ERROR: 5'] });
roundTrip({
  name: '+IP ERROR: <err_info>',
  value: 'Network not opened',
  format: (v) => at.formatIpError(v),
  parse: at.parseIpError,
  text: '+IP ERROR: Network not opened',
  alsoParses: [['+IP ERROR: 8', '8']],
  refuses: ['+IPADDR: Network not opened', 'ERROR'],
});
roundTrip({
  name: '+CIPOPEN: <link>,<err>',
  value: { link: 3, err: 0 },
  format: (v) => at.formatCipOpen(v.link, v.err),
  parse: at.parseCipOpen,
  text: '+CIPOPEN: 3,0',
  alsoParses: [['+CIPOPEN:1, 4', { link: 1, err: 4 }]],
  refuses: ['+CIPOPEN: 0', '+CIPOPEN: 0,"TCP","1.2.3.4",80,-1', '+CIPOPEN: (0-9),("TCP","UDP")', '+CIPCLOSE: 0,0'],
});
roundTrip({
  name: '+CIPCLOSE: <link>,<err>',
  value: { link: 9, err: 4 },
  format: (v) => at.formatCipClose(v.link, v.err),
  parse: at.parseCipClose,
  text: '+CIPCLOSE: 9,4',
  refuses: ['+CIPCLOSE: 0,0,0,0,0,0,0,0,0,0', '+CIPCLOSE: (0-9)', '+CIPOPEN: 0,0'],
});
roundTrip({
  name: '+CIPSEND: <link>,<req>,<cnf>',
  value: { link: 1, requested: 1500, confirmed: -1 },
  format: (v) => at.formatCipSend(v.link, v.requested, v.confirmed),
  parse: at.parseCipSend,
  text: '+CIPSEND: 1,1500,-1',
  alsoParses: [['+CIPSEND: 0, 5, 5', { link: 0, requested: 5, confirmed: 5 }]],
  refuses: ['+CIPSEND: 1,5', '+CIPSEND: (0-9),(1-1500)', '+CIPSEND: 1,5,x'],
});
roundTrip({ name: '+CIPERROR: <err>', value: 8, format: (v) => at.formatCipError(v), parse: at.parseCipError, text: '+CIPERROR: 8', refuses: ['+CIPERROR: ', '+CIPERROR: 1,2'] });
roundTrip({
  name: '+IPCLOSE: <link>,<reason>',
  value: { link: 2, reason: 1 },
  format: (v) => at.formatIpClose(v.link, v.reason),
  parse: at.parseIpClose,
  text: '+IPCLOSE: 2,1',
  alsoParses: [['+IPCLOSE:0, 2', { link: 0, reason: 2 }]],
  refuses: ['+IPCLOSE: 2', '+IPCLOSE: a,1'],
});
roundTrip({
  name: '+CLIENT: <link>,<server>,<ip>:<port>',
  value: { link: 1, server: 0, address: '127.0.0.1', port: 40000 },
  format: (v) => at.formatClient(v.link, v.server, at.formatPeer(v.address, v.port)),
  parse: at.parseClient,
  text: '+CLIENT: 1,0,127.0.0.1:40000',
  alsoParses: [['+CLIENT: 2, 1, [::1]:5000', { link: 2, server: 1, address: '::1', port: 5000 }]],
  refuses: ['+CLIENT: 1,0', '+CLIENT: 1,0,127.0.0.1'],
});
roundTrip({
  name: '+NETOPEN: <err>',
  value: 1,
  format: (v) => at.formatNetOpen(v),
  parse: at.parseNetOpen,
  text: '+NETOPEN: 1',
  alsoParses: [['+NETOPEN:0', 0], ['+NETOPEN: -1', -1]],
  refuses: ['+NETOPEN: ', '+NETOPEN: 1,2', '+NETCLOSE: 0'],
});
roundTrip({ name: '+NETCLOSE: <err>', value: 2, format: (v) => at.formatNetClose(v), parse: at.parseNetClose, text: '+NETCLOSE: 2', refuses: ['+NETOPEN: 2'] });
roundTrip({
  name: '+SERVERSTART: <server>,<port>',
  value: { server: 3, port: 8080 },
  format: (v) => at.formatServerStart(v.server, v.port),
  parse: at.parseServerStart,
  text: '+SERVERSTART: 3,8080',
  refuses: ['+SERVERSTART: (0-65535),(0-3)', '+SERVERSTART: 3'],
});
roundTrip({
  name: '+SERVERSTOP: <server>,<err>',
  value: { server: 0, err: 0 },
  format: (v) => at.formatServerStop(v.server, v.err),
  parse: at.parseServerStop,
  text: '+SERVERSTOP: 0,0',
  refuses: ['+SERVERSTOP: 0'],
});
roundTrip({ name: '+IPD<n>', value: 1500, format: (v) => at.formatIpd(v), parse: at.parseIpd, text: '+IPD1500', alsoParses: [['+IPD 5', 5], ['+ IPD5', 5]], refuses: ['+IPD', '+IPDx', '+IPD-1'] });
roundTrip({
  name: '+RECEIVE,<link>,<n>',
  value: { link: 4, length: 12 },
  format: (v) => at.formatReceive(v.link, v.length),
  parse: at.parseReceive,
  text: '+RECEIVE,4,12',
  alsoParses: [['+RECEIVE,4,12:', { link: 4, length: 12 }]],
  refuses: ['+RECEIVE,4', '+RECEIVE: 4,12'],
});
roundTrip({
  name: 'RECV FROM:<ip>:<port>',
  value: { address: '10.0.0.1', port: 5000 },
  format: (v) => at.formatRecvFrom(v.address, v.port),
  parse: at.parseRecvFrom,
  text: 'RECV FROM:10.0.0.1:5000',
  alsoParses: [['RECV FROM: [::1]:7', { address: '::1', port: 7 }]],
  refuses: ['RECV FROM:10.0.0.1', 'RECV FROM10.0.0.1:5'],
});
roundTrip({
  name: '+CIPRXGET: 1,<link>',
  value: 7,
  format: (v) => at.formatRxgetNotice(v),
  parse: at.parseRxgetNotice,
  text: '+CIPRXGET: 1,7',
  alsoParses: [['+CIPRXGET:1,7', 7]],
  refuses: ['+CIPRXGET: 1', '+CIPRXGET: 2,7,0,0', '+CIPRXGET: 1,7,3'],
});
roundTrip({
  name: '+CIPRXGET: 2,<link>,<read>,<rest>',
  value: { mode: 2 as const, link: 0, length: 1500, rest: 20 },
  format: (v) => at.formatRxgetData(v.mode, v.link, v.length, v.rest),
  parse: at.parseRxgetData,
  text: '+CIPRXGET: 2,0,1500,20',
  refuses: ['+CIPRXGET: 4,0,20', '+CIPRXGET: 2,0,1500'],
});
roundTrip({
  name: '+CIPRXGET: 3,<link>,<read>,<rest>',
  value: { mode: 3 as const, link: 1, length: 750, rest: 0 },
  format: (v) => at.formatRxgetData(v.mode, v.link, v.length, v.rest),
  parse: at.parseRxgetData,
  text: '+CIPRXGET: 3,1,750,0',
  refuses: ['+CIPRXGET: 5,1,750,0'],
});
roundTrip({
  name: '+CIPRXGET: 4,<link>,<rest>',
  value: { link: 5, rest: 300 },
  format: (v) => at.formatRxgetAvailable(v.link, v.rest),
  parse: at.parseRxgetAvailable,
  text: '+CIPRXGET: 4,5,300',
  alsoParses: [['+CIPRXGET: 4, 5, 300', { link: 5, rest: 300 }]],
  refuses: ['+CIPRXGET: 2,5,300', '+CIPRXGET: 4,5'],
});
roundTrip({ name: '+CIPRXGET: <mode>', value: 1, format: (v) => at.formatRxgetMode(v), parse: at.parseRxgetMode, text: '+CIPRXGET: 1', refuses: ['+CIPRXGET: 1,0'] });
roundTrip({ name: 'the > prompt', value: '> ', format: (v) => at.formatPrompt(v), parse: at.parsePrompt, text: '\r\n> ', alsoParses: [['\r\n>', '>']], refuses: ['>', '\r\n>>'] });

roundTrip({
  name: '+CIPRXGETIP: <ip>:<port>',
  value: { address: '192.0.2.7', port: 4000 },
  format: (v) => at.formatRxgetSource(v.address, v.port),
  parse: at.parseRxgetSource,
  text: '+CIPRXGETIP: 192.0.2.7:4000',
  alsoParses: [['+CIPRXGETIP: "192.0.2.7",4000', { address: '192.0.2.7', port: 4000 }]],
  refuses: ['+CIPRXGETIP: 192.0.2.7'],
});
roundTrip({
  name: '+CDNSGIP: 1,"<name>","<ip>"…',
  value: ['192.0.2.1', '192.0.2.2'],
  format: (v) => at.formatDnsResult('example.com', v),
  parse: at.parseDnsResult,
  text: '+CDNSGIP: 1,"example.com","192.0.2.1","192.0.2.2"',
  refuses: ['+CDNSGIP: 0,10', '+CDNSGIP: 1,"example.com"'],
});
roundTrip({ name: '+CDNSGIP: 0,<code>', value: 10, format: (v) => at.formatDnsError(v), parse: at.parseDnsError, text: '+CDNSGIP: 0,10', refuses: ['+CDNSGIP: 1,"a","1.2.3.4"'] });

test('frames: +CIPEVENT: NETWORK CLOSED UNEXPECTEDLY in both spellings', () => {
  assert.equal(at.formatNetworkLost(), '+CIPEVENT: NETWORK CLOSED UNEXPECTEDLY');
  assert.equal(at.formatNetworkLost('+CIP EVENT:'), '+CIP EVENT: NETWORK CLOSED UNEXPECTEDLY');
  assert.ok(at.isNetworkLost(at.formatNetworkLost()));
  assert.ok(at.isNetworkLost(at.formatNetworkLost('+CIP EVENT:')));
  assert.ok(!at.isNetworkLost('+CIPERROR: 1'));
});

test('frames: lines framed as the module frames them (ATV1 / ATV0)', () => {
  assert.equal(at.framed('OK'), '\r\nOK\r\n');
  assert.equal(at.framedLine('+CSQ: 20,99', true), '\r\n+CSQ: 20,99\r\n');
  assert.equal(at.framedLine('+CSQ: 20,99', true, false), '+CSQ: 20,99\r\n');
  assert.equal(at.framedLine('+CSQ: 20,99', false), '+CSQ: 20,99\r\n');
  assert.equal(at.formatNumericResult(at.RESULT_CODES.ERROR), '4\r');
});

test('final results: the one definition both ends use (spec §1.5, §5.5)', () => {
  const finals = ['OK', 'ERROR', 'NO CARRIER', 'CONNECT FAIL', 'NO DIALTONE', 'BUSY', 'NO ANSWER', 'CONNECT', 'CONNECT 115200', '+CME ERROR: 10', '+CME ERROR: SIM busy', '+CMS ERROR: 500'];
  for (const line of finals) assert.ok(at.isFinalResult(line), line);
  const notFinal = ['RING', 'CLOSED', '+CIPOPEN: 0,0', 'OK ', 'CONNECTED', 'SEND OK', '+IP ERROR: No data', '>', ''];
  for (const line of notFinal) assert.ok(!at.isFinalResult(line), line);
  for (const line of ['OK', 'CONNECT', 'CONNECT 9600']) assert.ok(at.isSuccessResult(line), line);
  for (const line of ['ERROR', 'CONNECT FAIL', 'NO CARRIER', '+CME ERROR: 3']) assert.ok(!at.isSuccessResult(line), line);
});
