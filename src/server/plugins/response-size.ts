/**
 * A bound on the size of a GraphQL answer (API_MAX_RESPONSE_BYTES): grafserv's
 * `processRequest` middleware sees the serialised result, and one over the bound
 * is replaced by an FL908 error before anything is written to the socket. The
 * answer was already computed, so this protects the network and the client, not
 * the server's memory: the cost limit (cost.ts) is what keeps answers small.
 */
import { countGraphqlError } from "../../metrics.ts";

export function makeResponseSizePlugin(
  maxBytes: number,
  graphqlPath: string,
): GraphileConfig.Plugin {
  return {
    name: "ForgelineResponseSizePlugin",
    version: "0.1.0",
    grafserv: {
      middleware: {
        async processRequest(next, event) {
          const result = await next();
          if (
            result?.type !== "buffer" ||
            result.buffer.length <= maxBytes ||
            event.requestDigest.path !== graphqlPath
          ) {
            return result;
          }
          countGraphqlError("FL908");
          const buffer = Buffer.from(
            JSON.stringify({
              errors: [
                {
                  message: `The answer has ${result.buffer.length} bytes, over the maximum of ${maxBytes}: ask for fewer fields or smaller pages`,
                  extensions: { code: "FL908", bytes: result.buffer.length, maxBytes },
                },
              ],
            }),
            "utf8",
          );
          return {
            ...result,
            headers: { ...result.headers, "content-length": String(buffer.length) },
            buffer,
          };
        },
      },
    },
  };
}
