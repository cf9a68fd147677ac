// knock import ~/.fwknoprc: each stanza an SPA profile ([default] applied to all); what knock
// cannot send (GPG, legacy mode, NAT, ...) named and skipped. The keys go to the store only:
// --dry-run and --json show their lengths.
import type { Context } from './context.js';
import { ConfigError, UsageError } from '../shared/errors.js';
import { checkStoredProfile, editStore, writableStore } from './writable-store.js';
import { editStoreText } from '../store/write.js';
import type { StoredProfile } from '../store/store-edit.js';
import { parseFwknoprc, type FwknoprcStanza } from '../spa/fwknoprc.js';
import { SPA_DEFAULT_PORT } from '../spa/packet.js';
import { stat } from 'node:fs/promises';

export interface FwknoprcImportArgs {
  host?: string;
  port?: number | string;
  force?: boolean;
  dryRun?: boolean;
}

/** A stanza as the store keeps it; the service `port` is the first TCP port it asks for. */
export function storedSpaProfile(stanza: FwknoprcStanza): StoredProfile {
  const spa: Record<string, string | number | string[]> = { key_base64: stanza.keyBase64, hmac_key_base64: stanza.hmacKeyBase64 };
  if (stanza.port !== SPA_DEFAULT_PORT) spa.port = stanza.port;
  spa.access = stanza.access;
  spa.allow = stanza.allow;
  if (stanza.username !== undefined) spa.username = stanza.username;
  if (stanza.clientTimeout) spa.client_timeout = stanza.clientTimeout;
  if (stanza.timeOffset) spa.time_offset = stanza.timeOffset;
  if (stanza.digestType !== undefined && stanza.digestType !== 'SHA256') spa.digest_type = stanza.digestType;
  if (stanza.hmacDigestType !== undefined && stanza.hmacDigestType !== 'SHA256') spa.hmac_digest_type = stanza.hmacDigestType;
  const tcp = stanza.access.find((a) => a.startsWith('tcp/'));
  return { host: stanza.host, ...(tcp ? { port: Number(tcp.slice(4)) } : {}), spa };
}

/** The store text with each key replaced by its length: what --dry-run may show. */
function withoutKeys(text: string, stanzas: readonly FwknoprcStanza[]): string {
  let shown = text;
  for (const s of stanzas) {
    for (const key of [s.keyBase64, s.hmacKeyBase64]) shown = shown.split(key).join(`"(${Buffer.from(key, 'base64').length} bytes, not shown)"`);
  }
  return shown;
}

export async function importFwknoprc(ctx: Context, file: string, text: string, args: FwknoprcImportArgs): Promise<number> {
  if (args.host !== undefined || args.port !== undefined) throw new UsageError(`${file} is an fwknop rc file: its stanzas name their servers and ports (SPA_SERVER, ACCESS); drop --host/--port`);
  // fwknop warns of an rc file others can read; so does knock (the keys in it are no longer secret).
  const mode = (await stat(file).catch(() => undefined))?.mode;
  if (mode !== undefined && (mode & 0o077) !== 0 && ctx.io.platform !== 'win32') ctx.warn(`${file} is readable or writable by others (mode ${(mode & 0o777).toString(8)}): its keys may not be secret any more; chmod 600 it`);
  const { stanzas, skipped } = parseFwknoprc(text);
  for (const s of skipped) ctx.warn(`${file}: [${s.name}] skipped: ${s.reason}`);
  if (stanzas.length === 0) throw new ConfigError(`${file}: no fwknop stanza knock can send${skipped.length ? ` (${skipped.length} skipped)` : ''}`);
  const target = await writableStore(ctx);
  // Each read back by the loader's own parser: a stanza it would refuse (identical keys, a 40-byte
  // key) stops the import, naming it; its reading gives the digest and HMAC types the packet will
  // use (named, as fwknop -v names them; never the keys), defaults as the knock fills them in.
  const profiles = stanzas.map((s) => {
    const profile = storedSpaProfile(s);
    return { name: s.name, stanza: s, profile, digests: checkStoredProfile(s.name, profile, target.file).spa!.digests };
  });
  const summary = (p: (typeof profiles)[number]) => ({
    name: p.name,
    kind: 'spa',
    host: p.stanza.host,
    spaPort: p.stanza.port,
    access: p.stanza.access,
    allow: p.stanza.allow,
    digestType: p.digests.digest,
    hmacDigestType: p.digests.hmac,
  });
  if (args.dryRun) {
    if (ctx.args.json) ctx.json({ dryRun: true, file: target.file, from: file, profiles: profiles.map(summary), skipped });
    else ctx.io.stdout.write(withoutKeys(editStoreText('import.yaml', '', { set: profiles.map((p) => [p.name, p.profile]) }), stanzas));
    return 0;
  }
  const check = (names: ReadonlySet<string>) => {
    const taken = profiles.filter((p) => names.has(p.name)).map((p) => p.name);
    if (taken.length > 0 && !args.force) throw new UsageError(`${taken.map((n) => `'${n}'`).join(', ')} already in ${target.file} (--force replaces them); nothing imported`);
  };
  check(target.names);
  await editStore(ctx, target, { set: profiles.map((p) => [p.name, p.profile]), check });
  if (ctx.args.json) {
    ctx.json({ file: target.file, from: file, profiles: profiles.map(summary), skipped });
    return 0;
  }
  for (const p of profiles) ctx.out(`${p.name}: [${p.name}] SPA to ${p.stanza.host} udp/${p.stanza.port}: ${p.stanza.access.join(',')}, digest ${p.digests.digest}, HMAC ${p.digests.hmac}`);
  ctx.out(`imported ${profiles.length} profile${profiles.length === 1 ? '' : 's'} from ${file} into ${target.file}${skipped.length ? ` (${skipped.length} stanza${skipped.length === 1 ? '' : 's'} skipped)` : ''}`);
  return 0;
}
