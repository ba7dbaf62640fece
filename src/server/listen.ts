/** Starting and stopping a node:http server, shared by the API and the worker's metrics server. */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Listens and answers the server's base URL (with the real port when `port` is 0). */
export async function listen(server: Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return `http://${shown}:${address.port}`;
}

/** Stops accepting connections, lets in-flight requests finish, drops idle keep-alives. */
export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
