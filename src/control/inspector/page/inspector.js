// The a76xx inspector page: a live view of one modem's AT line and state, pushed by the control
// server as server-sent events (no polling), with fault buttons that call the control API's verbs.
// Plain browser JavaScript, no dependencies: the server inlines this file into the page.
'use strict';

(() => {
  const params = new URLSearchParams(location.search);
  const token = params.get('token') || '';
  const MAX_SHOWN = 5000;
  const $ = (id) => document.getElementById(id);
  const el = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  };

  let modem = params.get('modem') || '';
  let source;
  let paused = false;
  let held = [];
  let heldDropped = 0;
  const log = $('log');

  // ---------------------------------------------------------------- the event stream

  function connect(id) {
    if (source) source.close();
    modem = id;
    const query = new URLSearchParams({ token });
    if (id) query.set('modem', id);
    source = new EventSource(`/inspector/events?${query}`);
    setConnection('connecting…', false);
    source.onopen = () => setConnection('live', true);
    source.onerror = () => setConnection('reconnecting…', false);
    source.addEventListener('hello', (e) => hello(JSON.parse(e.data)));
    source.addEventListener('entries', (e) => {
      log.replaceChildren();
      held = [];
      for (const entry of JSON.parse(e.data)) show(entry);
      scrollToEnd();
    });
    source.addEventListener('entry', (e) => receive(JSON.parse(e.data)));
    source.addEventListener('gap', (e) => receive({ gap: JSON.parse(e.data).dropped }));
    source.addEventListener('status', (e) => renderStatus(JSON.parse(e.data)));
  }

  function setConnection(text, up) {
    const node = $('connection');
    node.textContent = text;
    node.className = up ? 'state-up' : 'state-down';
  }

  function hello(info) {
    modem = info.modem;
    const picker = $('modem');
    picker.replaceChildren(...info.modems.map((id) => {
      const option = el('option', '', `modem ${id}`);
      option.value = id;
      option.selected = id === info.modem;
      return option;
    }));
    picker.disabled = info.modems.length < 2;
    $('dialect').textContent = `dialect ${info.dialect}`;
    document.title = `a76xx inspector — modem ${info.modem}`;
  }

  $('modem').addEventListener('change', (e) => {
    const id = e.target.value;
    const url = new URL(location.href);
    url.searchParams.set('modem', id);
    history.replaceState(null, '', url);
    connect(id);
  });

  // ---------------------------------------------------------------- the log

  function receive(entry) {
    if (paused) {
      held.push(entry);
      if (held.length > MAX_SHOWN) {
        held.shift();
        heldDropped++;
      }
      $('log-info').textContent = `paused: ${held.length} waiting${heldDropped ? `, ${heldDropped} dropped` : ''}`;
      return;
    }
    const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    show(entry);
    if (atEnd) scrollToEnd();
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  function time(t) {
    const d = new Date(t);
    const pad = (n, w = 2) => String(n).padStart(w, '0');
    return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  }

  function show(entry) {
    let row;
    if (entry.gap !== undefined) {
      row = el('div', 'entry gap', `… ${entry.gap} entries not shown (the page fell behind)`);
      row.dataset.search = 'gap';
    } else {
      const urc = entry.kind === 'urc' || entry.urc === true;
      row = el('div', `entry ${entry.dir} ${entry.kind}${urc ? ' urc' : ''}`);
      row.dataset.seq = entry.seq;
      row.dataset.kind = entry.kind;
      row.append(el('span', 't', time(entry.t)), el('span', 'dir', entry.dir === 'host' ? '→' : '←'));
      row.append(el('span', 'tag', urc ? 'URC' : entry.kind === 'echo' ? 'echo' : entry.kind === 'data' ? 'data' : ''));
      const text = el('span', 'text');
      if (entry.kind === 'data') {
        if (entry.text) text.append(`${entry.text} `);
        const button = el('button', '', `${entry.size} bytes`);
        button.type = 'button';
        button.title = 'show the bytes';
        button.addEventListener('click', () => toggleBytes(row, entry));
        text.append(button);
      } else {
        text.textContent = entry.text;
      }
      row.append(text);
      row.dataset.search = `${entry.dir} ${urc ? 'urc' : entry.kind} ${entry.text}`.toLowerCase();
    }
    applyFilter(row);
    log.append(row);
    while (log.childElementCount > MAX_SHOWN) log.firstElementChild.remove();
  }

  function toggleBytes(row, entry) {
    const open = row.querySelector('.bytes');
    if (open) {
      open.remove();
      return;
    }
    const bytes = Uint8Array.from(atob(entry.bytes || ''), (c) => c.charCodeAt(0));
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const more = entry.truncated ? ` … (first ${bytes.length} of ${entry.size} bytes; the transcript has them all)` : '';
    row.append(el('div', 'bytes', `${escapeBytes(bytes)}${more}\n${hex}`));
  }

  function escapeBytes(bytes) {
    let out = '';
    for (const b of bytes) {
      if (b === 0x0d) out += '\\r';
      else if (b === 0x0a) out += '\\n';
      else if (b === 0x5c) out += '\\\\';
      else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
      else out += `\\x${b.toString(16).toUpperCase().padStart(2, '0')}`;
    }
    return out;
  }

  function applyFilter(row) {
    const needle = $('filter').value.trim().toLowerCase();
    const hideEcho = !$('show-echo').checked && row.dataset.kind === 'echo';
    row.classList.toggle('hidden', hideEcho || (needle !== '' && !row.dataset.search.includes(needle)));
  }

  const refilter = () => {
    for (const row of log.children) applyFilter(row);
  };
  $('filter').addEventListener('input', refilter);
  $('show-echo').addEventListener('change', refilter);

  $('pause').addEventListener('click', () => {
    paused = !paused;
    $('pause').textContent = paused ? 'Resume' : 'Pause';
    $('pause').classList.toggle('active', paused);
    if (!paused) {
      const waiting = held;
      held = [];
      if (heldDropped > 0) show({ gap: heldDropped });
      heldDropped = 0;
      for (const entry of waiting) show(entry);
      $('log-info').textContent = '';
      scrollToEnd();
    } else {
      $('log-info').textContent = 'paused';
    }
  });

  $('clear').addEventListener('click', () => log.replaceChildren());

  $('download').addEventListener('click', async () => {
    const response = await fetch(`/inspector/transcript?modem=${encodeURIComponent(modem)}`, { headers: { Authorization: `Bearer ${token}` } });
    if (!response.ok) {
      verbResult(`download failed: HTTP ${response.status}`, true);
      return;
    }
    const url = URL.createObjectURL(await response.blob());
    const a = el('a');
    a.href = url;
    a.download = `a76xx-modem-${modem}.transcript.txt`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  });

  // ---------------------------------------------------------------- fault controls (control verbs)

  function verbResult(text, error) {
    const node = $('verb-result');
    node.textContent = text;
    node.classList.toggle('error', error);
  }

  async function invoke(verb, args = {}) {
    try {
      const response = await fetch(`/v1/modems/${encodeURIComponent(modem)}/verbs/${encodeURIComponent(verb)}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(args),
      });
      const answer = await response.json();
      if (answer.ok) verbResult(`${verb}: ${JSON.stringify(answer.result)}`, false);
      else verbResult(`${verb}: ${answer.error.code}: ${answer.error.message}`, true);
    } catch (err) {
      verbResult(`${verb}: ${err}`, true);
    }
  }

  const int = (id) => Number($(id).value);
  const on = (id, run) => $(id).addEventListener('click', run);
  on('network-loss', () => invoke('network-loss'));
  on('network-restore', () => invoke('network-restore'));
  on('close-link', () => invoke('close-link', { link: int('link-no') }));
  on('reset-link', () => invoke('reset-link', { link: int('link-no') }));
  on('csq', () => invoke('csq', { rssi: int('rssi'), ber: int('ber') }));
  on('register', () => invoke('register', { state: $('register-state').value }));
  on('sim', () => invoke('sim', { state: $('sim-state').value }));
  on('latency', () => invoke('latency', { ms: int('latency-ms') }));
  on('bandwidth', () => invoke('bandwidth', { bps: int('bandwidth-bps') }));

  // ---------------------------------------------------------------- the state panel

  const RX_MODES = { 0: 'push', 1: 'buffer' };

  function renderStatus(s) {
    const links = $('links').tBodies[0];
    const rxMode = s.ip ? (s.ip.cipmode === 1 ? 'transparent' : RX_MODES[s.ip.rxmode] ?? String(s.ip.rxmode)) : '';
    links.replaceChildren(...(s.links.length === 0 ? [emptyRow(10, 'no links')] : s.links.map((l) => row([
      l.link, l.type, l.state, l.localPort ?? '', l.remote ?? '', l.sent, l.acked, l.received, l.buffered, l.transparent ? 'transparent' : rxMode,
    ], `link-${l.link}`))));
    const servers = $('servers').tBodies[0];
    servers.replaceChildren(...(s.servers.length === 0 ? [emptyRow(3, 'no servers')] : s.servers.map((v) => row([v.server, v.port, v.backlog]))));
    pairs('pdp', {
      net: s.pdp.net,
      'local IP': s.pdp.localIp,
      ...Object.fromEntries(s.pdp.contexts.map((c) => [`cid ${c.cid}`, `${c.type} "${c.apn}" ${c.active ? 'active' : 'inactive'}`])),
    });
    pairs('radio', {
      SIM: s.radio.sim,
      CSQ: `${s.radio.rssi},${s.radio.ber}`,
      CREG: s.radio.creg,
      CGREG: s.radio.cgreg,
      attached: s.radio.attached,
      CFUN: s.radio.cfun,
      power: s.poweredOff ? 'off' : 'on',
    });
    pairs('serial', {
      mode: s.mode,
      baud: s.serial.baud,
      'line baud': s.serial.lineBaud,
      pacing: s.serial.pacing,
      echo: s.serial.echo,
      DTR: s.dtr,
      'host bytes': s.counters.hostBytes,
      'module bytes': s.counters.moduleBytes,
    });
    pairs('network', s.network === null ? { network: 'none' } : {
      down: s.network.down,
      'latency ms': s.network.latencyMs,
      'bandwidth bit/s': s.network.bandwidthBps || 'unlimited',
      'DNS fails': s.network.dnsFail,
      'refuses connects': s.network.refuseConnections,
      connections: s.network.connections,
      'in flight': JSON.stringify(s.network.inFlight),
    });
  }

  function row(cells, id) {
    const tr = el('tr');
    if (id) tr.id = id;
    for (const cell of cells) tr.append(el('td', '', String(cell)));
    return tr;
  }

  function emptyRow(span, text) {
    const tr = el('tr');
    const td = el('td', 'empty', text);
    td.colSpan = span;
    tr.append(td);
    return tr;
  }

  function pairs(id, values) {
    const dl = $(id);
    dl.replaceChildren();
    for (const [key, value] of Object.entries(values)) dl.append(el('dt', '', key), el('dd', '', String(value)));
  }

  connect(modem);
})();
