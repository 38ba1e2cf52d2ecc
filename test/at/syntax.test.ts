import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommandLine, parseParams, SyntaxError, withoutIgnoredSpaces, type AtCommand } from '../../src/at/syntax.js';

/** The parts of a command a test cares about. */
const shape = (c: AtCommand) => ({ name: c.name, form: c.form, params: c.params });

test('an empty body is a plain AT', () => {
  assert.deepEqual(parseCommandLine(''), []);
});

test('extended commands: execute, read, test and set forms', () => {
  assert.deepEqual(parseCommandLine('+CSQ').map(shape), [{ name: '+CSQ', form: 'exec', params: [] }]);
  assert.deepEqual(parseCommandLine('+CREG?').map(shape), [{ name: '+CREG', form: 'read', params: [] }]);
  assert.deepEqual(parseCommandLine('+CFUN=?').map(shape), [{ name: '+CFUN', form: 'test', params: [] }]);
  assert.deepEqual(parseCommandLine('+CFUN=1,1').map(shape), [
    { name: '+CFUN', form: 'set', params: [{ kind: 'bare', value: '1' }, { kind: 'bare', value: '1' }] },
  ]);
});

test('names are upper-cased, quoted strings keep their case', () => {
  const [c] = parseCommandLine('+cgdcont=1,"ip","Internet.Telekom"');
  assert.equal(c?.name, '+CGDCONT');
  assert.deepEqual(c?.params, [
    { kind: 'bare', value: '1' },
    { kind: 'string', value: 'ip' },
    { kind: 'string', value: 'Internet.Telekom' },
  ]);
});

test('other extended prefixes: * $ ^', () => {
  assert.deepEqual(
    parseCommandLine('*CNTI?;$QCPDPP;^SYSINFO').map((c) => c.name),
    ['*CNTI', '$QCPDPP', '^SYSINFO'],
  );
});

test('basic commands take optional digits', () => {
  assert.deepEqual(parseCommandLine('E0V1QX4I').map(shape), [
    { name: 'E', form: 'set', params: [{ kind: 'bare', value: '0' }] },
    { name: 'V', form: 'set', params: [{ kind: 'bare', value: '1' }] },
    { name: 'Q', form: 'exec', params: [] },
    { name: 'X', form: 'set', params: [{ kind: 'bare', value: '4' }] },
    { name: 'I', form: 'exec', params: [] },
  ]);
});

test('ampersand commands', () => {
  assert.deepEqual(parseCommandLine('&F&d2&W0&v').map(shape), [
    { name: '&F', form: 'exec', params: [] },
    { name: '&D', form: 'set', params: [{ kind: 'bare', value: '2' }] },
    { name: '&W', form: 'set', params: [{ kind: 'bare', value: '0' }] },
    { name: '&V', form: 'exec', params: [] },
  ]);
  assert.throws(() => parseCommandLine('&'), SyntaxError);
  assert.throws(() => parseCommandLine('&1'), SyntaxError);
});

test('S-registers: read, set, empty set, bare (default), test; the number is normalised', () => {
  assert.deepEqual(parseCommandLine('S07?S0=1s3=S5S0=?').map(shape), [
    { name: 'S7', form: 'read', params: [] },
    { name: 'S0', form: 'set', params: [{ kind: 'bare', value: '1' }] },
    { name: 'S3', form: 'set', params: [{ kind: 'empty' }] },
    { name: 'S5', form: 'set', params: [{ kind: 'empty' }] },
    { name: 'S0', form: 'test', params: [] },
  ]);
  assert.throws(() => parseCommandLine('S?'), SyntaxError);
});

test('concatenation: the manual example line', () => {
  const commands = parseCommandLine('E1Q0S0=1S3=13V1X4;+IFC=0,0;+IPR=115200');
  assert.deepEqual(
    commands.map((c) => `${c.name}/${c.form}`),
    ['E/set', 'Q/set', 'S0/set', 'S3/set', 'V/set', 'X/set', '+IFC/set', '+IPR/set'],
  );
  assert.deepEqual(commands.map((c) => c.text), ['E1', 'Q0', 'S0=1', 'S3=13', 'V1', 'X4', '+IFC=0,0', '+IPR=115200']);
});

test('a semicolon inside quotes does not end the command', () => {
  const commands = parseCommandLine('+CGDCONT=1,"IP","a;b";+CSQ');
  assert.equal(commands.length, 2);
  assert.deepEqual(commands[0]?.params[2], { kind: 'string', value: 'a;b' });
  assert.equal(commands[1]?.name, '+CSQ');
});

test('syntax errors', () => {
  for (const body of ['+', '+;', '+CSQ?x', '+CGDCONT=1,"IP', '#', '!', 'E?', '+CSQ x']) {
    assert.throws(() => parseCommandLine(body), SyntaxError, JSON.stringify(body));
  }
});

test('parseParams: empty fields, spaces around bare tokens, quoted strings', () => {
  assert.deepEqual(parseParams('1,"UDP",,,5000'), [
    { kind: 'bare', value: '1' },
    { kind: 'string', value: 'UDP' },
    { kind: 'empty' },
    { kind: 'empty' },
    { kind: 'bare', value: '5000' },
  ]);
  assert.deepEqual(parseParams('8080, 0'), [
    { kind: 'bare', value: '8080' },
    { kind: 'bare', value: '0' },
  ]);
  assert.deepEqual(parseParams(' "a b" ,1'), [
    { kind: 'string', value: 'a b' },
    { kind: 'bare', value: '1' },
  ]);
  assert.deepEqual(parseParams(''), [{ kind: 'empty' }]);
  assert.deepEqual(parseParams(','), [{ kind: 'empty' }, { kind: 'empty' }]);
  assert.deepEqual(parseParams('""'), [{ kind: 'string', value: '' }]);
});

test('parseParams: stray quotes and text after a string are errors', () => {
  for (const list of ['"abc', 'a"b', '"a"b', '"a" b,1', '1,"x']) {
    assert.throws(() => parseParams(list), SyntaxError, JSON.stringify(list));
  }
});

test('spaces V.250 ignores: at the ends and around ? = ; , outside quoted strings', () => {
  assert.equal(withoutIgnoredSpaces('+COPS? '), '+COPS?');
  assert.equal(withoutIgnoredSpaces('+CSQ ;+CREG?'), '+CSQ;+CREG?');
  assert.equal(withoutIgnoredSpaces(' +CIPOPEN = 0 , "TCP" , "a b" ,80 '), '+CIPOPEN=0,"TCP","a b",80');
  assert.equal(withoutIgnoredSpaces('E0 V1'), 'E0 V1');
  assert.equal(withoutIgnoredSpaces('+CREG = ?'), '+CREG=?');
  assert.deepEqual(
    parseCommandLine('+CSQ ;+CREG ? ').map((c) => [c.name, c.form]),
    [
      ['+CSQ', 'exec'],
      ['+CREG', 'read'],
    ],
  );
});
