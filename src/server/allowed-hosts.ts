/**
 * The Host check: the names a server answers to. A page in a browser can reach a server on this
 * machine by DNS rebinding (its own name made to resolve to 127.0.0.1), and then reads and writes
 * the store as if it were local; the one thing it cannot choose is the Host header, which stays its
 * own name. So a request is answered only when its Host is `localhost`, an IP address (a page
 * whose Host is an address was loaded from that address: the server itself), or one of the names
 * the server is given; `*` answers to any (behind a proxy that checks names itself). Ports do not
 * matter, names are compared without case and without a trailing dot. Every other request,
 * a missing Host included, is refused with FORBIDDEN before anything else is looked at.
 */
import { isIP } from 'node:net';

/** Names a server answers to besides `localhost` and IP addresses. */
export type AllowedHosts = readonly string[];

function normalized(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** The name part of a Host header value (`name`, `name:port`, `[v6]`, `[v6]:port`), or undefined when malformed. */
function hostName(header: string): string | undefined {
  if (header.startsWith('[')) {
    const close = header.indexOf(']');
    const rest = header.slice(close + 1);
    if (close < 0 || (rest !== '' && !/^:\d*$/.test(rest))) return undefined;
    return header.slice(1, close);
  }
  const colon = header.indexOf(':');
  if (colon >= 0 && !/^\d*$/.test(header.slice(colon + 1))) return undefined;
  return colon < 0 ? header : header.slice(0, colon);
}

/** Decides whether a Host header names this server. */
export function hostChecker(allowed: AllowedHosts = []): (host: string | undefined) => boolean {
  if (allowed.includes('*')) return () => true;
  const names = new Set(allowed.map((entry) => normalized(hostName(entry.trim()) ?? entry)));
  return (host) => {
    if (host === undefined) return false;
    const name = hostName(host.trim());
    if (name === undefined || name === '') return false;
    if (isIP(name) !== 0) return true;
    const plain = normalized(name);
    return plain === 'localhost' || names.has(plain);
  };
}
