/**
 * Read replicas in Apollo's pipeline (db/replicas.ts): a query's resolvers (and its compiled read,
 * compiler/plugin.ts) get the read target chosen for the caller once the operation is known and
 * before anything runs; a mutation keeps the primary for everything it reads and writes, and
 * before its response leaves, the primary's WAL position is remembered for the caller (and for
 * the customer a login or registration issued a token to), so the caller's next reads see the
 * write, and sent as `X-Read-After`: a client that sends it back gets the same guarantee from any
 * instance (graphql-execution.ts reads it into the context). Not installed without read URLs.
 */
import type { ApolloServerPlugin } from "@apollo/server";
import { actorOf, type Viewer } from "../auth/viewer.js";
import type { Db } from "../db/client.js";
import type { ReadReplicas } from "../db/replicas.js";

/** The response header of a mutation (and the request header of a read) carrying a WAL position. */
export const READ_AFTER_HEADER = "x-read-after";
import type { Context } from "../graphql/context.js";

/** The key a caller's writes are remembered under: its actor ("customer:<id>", …); undefined when anonymous. */
export function readerKey(viewer: Viewer): string | undefined {
  return viewer.role === "ANONYMOUS" ? undefined : actorOf(viewer);
}

export function readRoutingPlugin(replicas: ReadReplicas<Db>): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, contextValue }) {
          if (operation?.operation !== "query") return;
          const target = replicas.forReader(readerKey(contextValue.viewer), contextValue.readAfter);
          contextValue.read = target;
          contextValue.db = target.db;
        },
        async willSendResponse({ operation, contextValue, response }) {
          if (operation?.operation !== "mutation") return;
          const keys: string[] = [];
          const own = readerKey(contextValue.viewer);
          if (own) keys.push(own);
          if (contextValue.freshFor && contextValue.freshFor !== own) keys.push(contextValue.freshFor);
          const lsn = await replicas.wrote(keys);
          if (lsn) response.http.headers.set(READ_AFTER_HEADER, lsn);
        },
      };
    },
  };
}
