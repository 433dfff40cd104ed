// mbsync 1.4 and offlineimap3 match the server certificate against DNS names
// only, not IP addresses: they connect by the name the test certificate carries
// (localhost, which is 127.0.0.1 on this machine, so traffic stays on 127.0.0.1).
export const hostForTls = (host: string): string => (host === '127.0.0.1' ? 'localhost' : host);
