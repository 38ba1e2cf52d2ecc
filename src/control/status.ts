import { csStat, psStat } from '../emulator/radio/registration.js';
import type { Endpoint } from '../emulator/network/types.js';
import { SimulatedTcpConnection } from '../emulator/network/simulated.js';
import type { JsonObject, JsonValue } from './params.js';
import type { ControlTarget } from './target.js';
import { sslStatusOf } from './ssl-verbs.js';

const hostPort = (e: Endpoint | undefined): JsonValue => (e === undefined ? null : `${e.address}:${e.port}`);

/**
 * Everything the control plane can tell about one modem, as JSON: what `status` answers and what
 * a web inspector would draw. Field names are part of the documented API (README).
 */
export function statusOf(target: ControlTarget): JsonObject {
  const { modem, line, network } = target;
  const state = modem.state;
  const service = modem.sockets;
  const links: JsonValue[] = [];
  service.links.forEach((link, index) => {
    if (link === undefined) return;
    const tcp = link.tcp;
    links.push({
      link: index,
      type: link.type,
      state: link.state,
      remote: hostPort(link.remote ?? link.lastDestination),
      localPort: link.localPort,
      server: link.serverIndex,
      transparent: link.transparent,
      paused: link.paused,
      sendPending: link.pendingSend !== undefined,
      unsentBytes: tcp?.pendingWriteBytes ?? 0,
      sent: link.counters.sent,
      acked: link.counters.acked,
      received: link.counters.received,
      buffered: service.rx[index]?.length ?? 0,
      ...(tcp instanceof SimulatedTcpConnection ? { inFlight: { ...tcp.inFlight } } : {}),
    });
  });
  const buffers: JsonObject = {};
  service.rx.forEach((rx, index) => {
    if (rx.length > 0 || rx.dropped > 0) buffers[String(index)] = { bytes: rx.length, droppedDatagrams: rx.dropped };
  });
  const servers: JsonValue[] = [];
  service.servers.forEach((server, index) => {
    if (server !== undefined) servers.push({ server: index, port: server.port, backlog: server.backlog });
  });
  return {
    id: target.id,
    dialect: modem.dialect.name,
    poweredOff: state.poweredOff,
    dtr: modem.dtr,
    mode: modem.inDataMode ? 'data' : 'command',
    serial: {
      baud: state.serial.baud,
      lineBaud: state.serial.lineBaud,
      pacing: line.pacing,
      echo: state.serial.echo,
      verbose: state.serial.verbose,
      cmee: state.serial.cmee,
    },
    radio: {
      sim: state.radio.sim,
      cfun: state.radio.cfun,
      rssi: state.radio.rssi,
      ber: state.radio.ber,
      regStat: state.radio.regStat,
      creg: csStat(state),
      cgreg: psStat(state),
      attached: state.attached,
    },
    pdp: {
      net: state.ip.net,
      localIp: modem.config.localIp,
      contexts: [...state.pdp.values()].map((c) => ({ cid: c.cid, type: c.type, apn: c.apn, active: c.active })),
    },
    ip: {
      cipmode: state.ip.cipmode,
      rxmode: state.ip.rxmode,
      cipsendmode: state.ip.cipsendmode,
    },
    links,
    servers,
    buffers,
    ssl: sslStatusOf(modem),
    network:
      network === undefined
        ? null
        : {
            ...network.conditions,
            inFlight: { ...network.inFlight },
            connections: network.connections.length,
          },
    counters: {
      hostBytes: line.counters.hostBytes,
      moduleBytes: line.counters.moduleBytes,
      injectedUrcs: line.counters.injectedUrcs,
      pacedBacklog: line.pacedBacklog,
      pendingSplices: line.pendingSplices,
      outputPressure: modem.outputPressure,
      heldUrcBytes: modem.heldUrcLength,
      droppedUrcs: modem.droppedUrcs,
      udpDroppedForHost: service.udpDroppedForHost,
    },
  };
}
