// An fwknopd access.conf stanza for an SPA profile (`knock rules PROFILE --format fwknopd`).

import { ConfigError } from '../shared/errors.js';
import { SPA_DEFAULT_DIGEST, spaDigestType, type SpaDigestType } from './packet.js';

export interface AccessStanzaInput {
  profile: string;
  access: readonly string[];
  keyBase64: string;
  hmacKeyBase64: string;
  /** HMAC_DIGEST_TYPE: the profile's hmac_digest_type (SHA256 by default). */
  hmacDigestType?: SpaDigestType;
  /** Seconds fwknopd keeps a grant open (FW_ACCESS_TIMEOUT). */
  accessTimeout?: number;
  /** knock's version, for the header. */
  version?: string;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function accessConfStanza(input: AccessStanzaInput): string {
  if (!BASE64.test(input.keyBase64) || !BASE64.test(input.hmacKeyBase64)) throw new ConfigError(`profile ${JSON.stringify(input.profile)}: SPA keys are not base64`);
  for (const a of input.access) if (!/^(tcp|udp)\/\d{1,5}$/.test(a)) throw new ConfigError(`profile ${JSON.stringify(input.profile)}: SPA access ${JSON.stringify(a)} is not tcp/PORT or udp/PORT`);
  const hmacType = spaDigestType(input.hmacDigestType ?? SPA_DEFAULT_DIGEST);
  if (hmacType === undefined) throw new ConfigError(`profile ${JSON.stringify(input.profile)}: HMAC digest type is not one fwknop knows`);
  const timeout = input.accessTimeout ?? 30;
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 65535) throw new ConfigError('FW_ACCESS_TIMEOUT must be 1 to 65535 seconds');
  const safeName = input.profile.replace(/[^\w.@-]/g, '?');
  return [
    `# knock profile ${safeName}${input.version ? ` (knock ${input.version.replace(/[^\w.+-]/g, '?')})` : ''}: add to /etc/fwknop/access.conf (mode 0600, owned by root), then restart fwknopd.`,
    '# It holds the profile\'s keys: keep it as secret as the profile store.',
    `# Remove: delete the lines from SOURCE to HMAC_DIGEST_TYPE below.`,
    'SOURCE                  ANY',
    `OPEN_PORTS              ${input.access.join(',')}`,
    'REQUIRE_SOURCE_ADDRESS  Y',
    `FW_ACCESS_TIMEOUT       ${timeout}`,
    `KEY_BASE64              ${input.keyBase64}`,
    `HMAC_KEY_BASE64         ${input.hmacKeyBase64}`,
    `HMAC_DIGEST_TYPE        ${hmacType}`,
    '',
  ].join('\n');
}
