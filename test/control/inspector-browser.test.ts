import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { parseTranscript } from '../../src/at/transcript.js';
import { parseControlReadyLine } from '../../src/control/http-server.js';
import { ByteCollector } from '../e2e/bytes.js';
import { spawnCli } from '../e2e/spawn-cli.js';

/**
 * The web inspector in a real browser: Debian's chromium, headless, driven by playwright-core.
 * `a76xx emulate --control` is started as a user starts it; the page is opened at the address its
 * control ready line prints. A link opened through the AT port appears in the page; the page's
 * Network loss button puts the URC on the AT port and in the page's log; a wrong token sees only
 * the login prompt. Without a browser this test fails, saying so: it never passes silently.
 *
 * A76XX_CHROMIUM overrides the browser's path; A76XX_SCREENSHOT=docs/inspector.png writes the
 * README's screenshot.
 */
const CHROMIUM = process.env['A76XX_CHROMIUM'] ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const WAIT = { timeout: 15_000 };

async function launch(userDataDir: string): Promise<BrowserContext> {
  if (!existsSync(CHROMIUM)) {
    assert.fail(
      `no browser at ${CHROMIUM}: the inspector test needs Debian's chromium (apt-get install chromium; .ci/run installs it), ` +
        'or A76XX_CHROMIUM=/path/to/chromium',
    );
  }
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 820 },
    acceptDownloads: true,
  });
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

test('inspector: a link opened on the AT port shows in the page; Network loss reaches the AT port and the page; a wrong token sees nothing', { timeout: 90_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'a76xx-inspector-'));
  const peers = new Set<Socket>();
  const echo = createServer((socket) => {
    peers.add(socket);
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  const echoPort = (echo.address() as AddressInfo).port;
  const cli = spawnCli(['emulate', '--tcp', '127.0.0.1:0', '--control', '127.0.0.1:0', '--token-file', join(dir, 'control.token')]);
  let context: BrowserContext | undefined;
  let at: Socket | undefined;
  try {
    const endpoint = await cli.ready();
    assert.equal(endpoint.kind, 'tcp');
    const control = parseControlReadyLine(/a76xx control ready: [^\n]*/.exec(cli.stdout.bytes.toString())?.[0] ?? '');
    assert.ok(control?.inspector !== undefined, `the control ready line names the inspector: ${cli.stdout.bytes.toString()}`);
    assert.equal(control.inspector, `http://127.0.0.1:${control.port}/?token=${control.token}`);

    // The host: a raw TCP connection to the AT port, as a firmware's UART bridge would be.
    const received = new ByteCollector();
    at = connect(endpoint.kind === 'tcp' ? endpoint.port : 0, '127.0.0.1');
    at.on('data', received.push);
    at.on('error', () => {});
    await received.contains('PB DONE\r\n', 10_000);

    context = await launch(join(dir, 'browser'));
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    page.on('requestfailed', (request) => {
      if (!request.url().startsWith(`http://127.0.0.1:${control.port}/`)) problems.push(`asked for ${request.url()}`);
    });
    await page.goto(control.inspector);
    await page.locator('#connection', { hasText: 'live' }).waitFor(WAIT);
    // The boot URCs were recorded before the page opened: the backlog shows them, marked.
    await page.locator('.entry.urc', { hasText: '*ATREADY: 1' }).waitFor(WAIT);

    at.write('AT+NETOPEN\r');
    await received.contains('+NETOPEN: 0\r\n', 10_000);
    at.write(`AT+CIPOPEN=0,"TCP","127.0.0.1",${echoPort}\r`);
    await received.contains('+CIPOPEN: 0,0\r\n', 10_000);

    // The log: the host's command and the module's completion, told apart; the link in the state panel.
    await page.locator('.entry.host', { hasText: `AT+CIPOPEN=0,"TCP","127.0.0.1",${echoPort}` }).waitFor(WAIT);
    await page.locator('.entry.module.urc', { hasText: '+CIPOPEN: 0,0' }).waitFor(WAIT);
    const link = page.locator('#link-0');
    await link.waitFor(WAIT);
    await page.locator('#link-0', { hasText: `127.0.0.1:${echoPort}` }).waitFor(WAIT);
    assert.match((await link.textContent()) ?? '', /^0TCPopen/);
    assert.equal(await page.locator('#pdp dd').first().textContent(), 'open');

    // Data by size, its bytes on demand.
    at.write('AT+CIPSEND=0,5\r');
    await received.contains('>', 10_000);
    at.write('hello');
    await received.contains('+IPD5\r\nhello', 10_000);
    const pushed = page.locator('.entry.module.data', { hasText: '+IPD5' });
    await pushed.waitFor(WAIT);
    await pushed.locator('button', { hasText: '5 bytes' }).click();
    await pushed.locator('.bytes', { hasText: 'hello' }).waitFor(WAIT);

    if (process.env['A76XX_SCREENSHOT'] !== undefined) await page.screenshot({ path: process.env['A76XX_SCREENSHOT'] });

    // The fault button: the same verb as `a76xx ctl network-loss`.
    await page.click('#network-loss');
    await received.contains('\r\n+CIPEVENT: NETWORK CLOSED UNEXPECTEDLY\r\n', 10_000);
    await page.locator('.entry.module.urc', { hasText: '+CIPEVENT: NETWORK CLOSED UNEXPECTEDLY' }).waitFor(WAIT);
    await page.locator('#links td.empty', { hasText: 'no links' }).waitFor(WAIT);
    await page.locator('#network dd', { hasText: 'true' }).first().waitFor(WAIT);

    // Filter and pause.
    await page.fill('#filter', 'cipevent');
    assert.equal(await page.locator('.entry:not(.hidden)').count(), 1);
    await page.fill('#filter', '');
    await page.click('#pause');
    at.write('AT\r');
    await received.contains('AT\r\r\nOK\r\n', 10_000);
    await page.locator('#log-info', { hasText: 'waiting' }).waitFor(WAIT);
    assert.equal(await page.locator('.entry.host .text', { hasText: /^AT$/ }).count(), 0, 'paused: not shown yet');
    await page.click('#pause');
    await page.locator('.entry.host .text', { hasText: /^AT$/ }).waitFor(WAIT);

    // The download is a transcript in the --trace format.
    const [download] = await Promise.all([page.waitForEvent('download', WAIT), page.click('#download')]);
    const transcript = readFileSync(await download.path(), 'utf8');
    assert.match(transcript, /^>> AT\+NETOPEN\\r$/m);
    assert.match(transcript, /^<< .*\+CIPEVENT: NETWORK CLOSED UNEXPECTEDLY/m);
    assert.ok(parseTranscript(transcript).length > 10, 'it parses as a transcript');

    assert.deepEqual(problems, [], 'no script errors, nothing fetched from anywhere else');

    // A wrong token: the login prompt and nothing else.
    const stranger = await context.newPage();
    const answer = await stranger.goto(`http://127.0.0.1:${control.port}/?token=wrong`);
    assert.equal(answer?.status(), 401);
    await stranger.locator('#login').waitFor(WAIT);
    assert.equal(await stranger.locator('#log').count(), 0);
    const seen = (await stranger.content()) + ((await stranger.textContent('body')) ?? '');
    assert.doesNotMatch(seen, /CIPOPEN|NETWORK CLOSED|a76xx-modem|EventSource/);
    assert.match((await stranger.textContent('#login-error')) ?? '', /not the one/);
    const none = await context.newPage();
    assert.equal((await none.goto(`http://127.0.0.1:${control.port}/`))?.status(), 401);
    await none.locator('#login input[name=token]').waitFor(WAIT);
    for (const path of ['/inspector/events?token=wrong', '/inspector/transcript', '/inspector/transcript?token=wrong']) {
      assert.equal(await httpStatus(`http://127.0.0.1:${control.port}${path}`), 401, path);
    }
    // The login form leads to the page with the right token.
    await none.fill('#login input[name=token]', control.token);
    await none.click('#login button');
    await none.locator('#connection', { hasText: 'live' }).waitFor(WAIT);
  } finally {
    await context?.close();
    at?.destroy();
    cli.dispose();
    for (const peer of peers) peer.destroy();
    echo.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('inspector: in a fleet the picker chooses the modem; each modem shows its own line', { timeout: 60_000 }, async () => {
  const { ControlPlane } = await import('../../src/control/plane.js');
  const { controlledModem } = await import('../../src/control/target.js');
  const { serveControl, inspectorUrl } = await import('../../src/control/http-server.js');
  const dir = mkdtempSync(join(tmpdir(), 'a76xx-inspector-'));
  const plane = new ControlPlane();
  const members = ['0', '1', '2', '3'].map((id) => controlledModem({ id, config: { bootUrcs: false } }));
  for (const m of members) plane.add(m);
  const server = await serveControl(plane, { port: 0, token: 'fleet-token' });
  let context: BrowserContext | undefined;
  try {
    members[2]?.line.input(Buffer.from('AT+CGSN\r\n'));
    context = await launch(join(dir, 'browser'));
    const page: Page = await context.newPage();
    await page.goto(inspectorUrl(server.url, 'fleet-token'));
    await page.locator('#connection', { hasText: 'live' }).waitFor(WAIT);
    assert.deepEqual(await page.locator('#modem option').allTextContents(), ['modem 0', 'modem 1', 'modem 2', 'modem 3']);
    assert.equal(await page.locator('.entry.host', { hasText: 'AT+CGSN' }).count(), 0, 'modem 0 did not see it');
    await page.selectOption('#modem', '2');
    await page.locator('.entry.host', { hasText: 'AT+CGSN' }).waitFor(WAIT);
    assert.match(page.url(), /[?&]modem=2\b/);
    // The buttons act on the modem picked.
    await page.fill('#rssi', '7');
    await page.fill('#ber', '1');
    await page.click('#csq');
    await page.locator('#radio dd', { hasText: '7,1' }).waitFor(WAIT);
    assert.equal(members[2]?.modem.state.radio.rssi, 7);
    assert.equal(members[0]?.modem.state.radio.rssi, 20);
  } finally {
    await context?.close();
    await server.close();
    for (const m of members) m.line.detach();
    rmSync(dir, { recursive: true, force: true });
  }
});
