/**
 * Transparent link 0 (CIPMODE=1, spec §3.4) as the link table sees it: the half of data mode
 * above the channel's port (`data-mode.ts`). The port does the bytes and the timing (`+++` with
 * its guards, the probe, `ATO`); this part decides what they mean for the link: a `CLOSED` the
 * probe confirmed, or `NO CARRIER` after `ATO`, ends link 0 ('link-closed' with reason 1, or 0
 * when the host was closing it); an `ATO` under way is known so a close can wait for it.
 */
import type { AtChannel } from './at-channel.js';
import { AtCommandError, LinkClosedError } from './errors.js';
import type { LinkTable } from './link-table.js';

export interface DataModeLinkHost {
  readonly channel: AtChannel;
  readonly links: LinkTable;
  /** Link 0 ended (`reason` as `+IPCLOSE`'s: 0 local, 1 remote). */
  linkClosed(link: number, reason: number): void;
}

export class DataModeLink {
  private readonly host: DataModeLinkHost;
  /** An `ATO` on its way (after a CLOSED probe, or commandMode): it puts the port back in data mode. */
  private resuming: Promise<void> | undefined;

  constructor(host: DataModeLinkHost) {
    this.host = host;
    const { channel } = host;
    channel.on('close-candidate', () => void this.checkTransparentEnd());
    channel.onUrc('CLOSED', (line) => {
      if (line === 'CLOSED') this.onTransparentClosed('CLOSED');
    });
  }

  /** Let an `ATO` under way finish (its outcome does not matter to the caller). */
  async settled(): Promise<void> {
    if (this.resuming !== undefined) await this.resuming.catch(() => {});
  }

  /** Transparent link 0: `+++` to online command mode (`OK`), or `CLOSED` if it ended meanwhile. */
  async escapeDataMode(): Promise<'command' | 'closed'> {
    const line = await this.host.channel.escapeDataMode();
    return line === 'OK' ? 'command' : 'closed';
  }

  /** Transparent link 0: `ATO` back to data mode; `NO CARRIER` means the link is gone (LinkClosedError). */
  async resumeDataMode(): Promise<void> {
    const resume = this.host.channel.resumeDataMode();
    this.resuming = resume;
    try {
      await resume;
    } catch (error) {
      if (!(error instanceof AtCommandError)) throw error;
      this.onTransparentClosed(error.final);
      throw new LinkClosedError(0, `ATO answered ${error.final}`);
    } finally {
      if (this.resuming === resume) this.resuming = undefined;
    }
  }

  /** Transparent link 0 data: straight to the module; `callback` once the transport took it. */
  writeTransparent(data: Uint8Array, callback: (error?: Error | null) => void): void {
    const entry = this.host.links.at(0);
    if (!entry.transparent || entry.state !== 'open') {
      queueMicrotask(() => callback(new LinkClosedError(0, 'no transparent link open')));
      return;
    }
    this.host.channel.writeData(data, callback);
  }

  /** `CLOSED` in data mode: the peer's close, or data? The channel asks the module (`+++`). */
  private async checkTransparentEnd(): Promise<void> {
    const { channel, links } = this.host;
    try {
      const mode = await channel.probeDataMode();
      // Data mode was still on; unless the host is closing the link right now (its close goes on
      // from online command mode), go back to it.
      if (mode === 'data' && !links.at(0).closing) await this.resumeDataMode();
    } catch (error) {
      // Channel gone (its own event tells), or the module did not answer as a module would.
      if (!(error instanceof LinkClosedError) && !channel.closed) this.onTransparentClosed('no answer to +++');
    }
  }

  /** Link 0's transparent connection ended (`CLOSED`, or `NO CARRIER` after `ATO`). */
  private onTransparentClosed(why: string): void {
    const { channel, links } = this.host;
    const entry = links.at(0);
    channel.dropHeldData(new LinkClosedError(0, why));
    if (!entry.transparent || entry.state !== 'open') return;
    const reason = entry.closing ? 0 : 1;
    links.markClosed(0);
    this.host.linkClosed(0, reason);
  }
}
