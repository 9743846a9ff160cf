// How a binding call says no: an Error whose message starts with the code (codes cross the isolate in the message,
// never by instanceof), with the code also kept on the error for the host.

export function refuse(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}
