// Sends one SPA packet over UDP/IPv4: a new packet for every send (fwknopd drops a replay).

import { createSocket } from 'node:dgram';
import { isIPv4 } from 'node:net';
import { ConfigError, RuntimeError, reasonOf } from '../shared/errors.js';
import { encodeSpaPacket, realEntropy, type SpaRequest } from './packet.js';
import type { SpaSettings } from './profile.js';

export interface SpaSendPlan {
  address: string;
  port: number;
  request: SpaRequest;
}

/** The local IPv4 address the kernel would use toward `address` (a connected UDP socket sends nothing). */
export function localAddressToward(address: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', (e) => {
      s.close();
      reject(new RuntimeError(`no route to ${address}: ${reasonOf(e)}`));
    });
    s.connect(port, address, () => {
      const local = s.address().address;
      s.close();
      resolve(local);
    });
  });
}

/** What the packet will ask for, validated; no keys in it (this is what --dry-run and --json show). */
export async function planSpa(settings: SpaSettings, address: string, servicePort: number, defaultUser: string): Promise<SpaSendPlan> {
  if (!isIPv4(address)) throw new ConfigError(`SPA needs an IPv4 address; ${address} is not one (fwknopd is IPv4 only)`);
  const allowIp = settings.allow === 'source' ? '0.0.0.0' : (settings.allow ?? (await localAddressToward(address, settings.port)));
  const request: SpaRequest = {
    allowIp,
    access: settings.access ?? [`tcp/${servicePort}`],
    username: settings.username ?? defaultUser,
    clientTimeout: settings.clientTimeout,
  };
  return { address, port: settings.port, request };
}

export function sendSpa(plan: SpaSendPlan, settings: SpaSettings, nowMs: number): Promise<void> {
  const { wire } = encodeSpaPacket(plan.request, settings.keys, realEntropy(Math.floor(nowMs / 1000) + settings.timeOffset));
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', (e) => {
      s.close();
      reject(new RuntimeError(`SPA packet to ${plan.address}:${plan.port}: ${reasonOf(e)}`));
    });
    s.send(wire, plan.port, plan.address, (e) => {
      s.close();
      if (e) reject(new RuntimeError(`SPA packet to ${plan.address}:${plan.port}: ${reasonOf(e)}`));
      else resolve();
    });
  });
}
