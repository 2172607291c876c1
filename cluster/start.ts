/**
 * `npm run cluster`: a primary and a streaming replica, a NATS broker, 3 gateway instances and
 * HAProxy in front, all on loopback with private data directories (cluster/cluster.ts); prints
 * the one URL to use and an ADMIN token, and stops everything on Ctrl-C.
 *
 * Options (environment): CLUSTER_PORT (the balancer's port, default 4000), CLUSTER_INSTANCES
 * (default 3), EVENT_BUS (nats by default here; postgres for LISTEN/NOTIFY).
 */
import { mintToken, tokenKey } from "../src/auth/tokens.js";
import { clusterUnavailable, startCluster, type Cluster } from "./cluster.js";

async function main(): Promise<void> {
  const why = clusterUnavailable();
  if (why) {
    console.error(`npm run cluster: ${why}.\n  On Debian: apt-get install postgresql-15 nats-server haproxy (as root, the postgres OS user comes with postgresql-15).`);
    process.exit(1);
  }
  const port = Number(process.env.CLUSTER_PORT ?? 4000);
  const instances = Number(process.env.CLUSTER_INSTANCES ?? 3);
  const eventBus = process.env.EVENT_BUS === "postgres" ? "postgres" : "nats";
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error("CLUSTER_PORT must be a port number");
  if (!Number.isInteger(instances) || instances < 1 || instances > 16) throw new Error("CLUSTER_INSTANCES must be 1–16");
  console.log(`starting: primary + replica, ${eventBus === "nats" ? "NATS, " : ""}${instances} gateways, HAProxy (the first start makes the demo portfolio: about a minute)`);
  let cluster: Cluster | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the balancer, the gateways, the broker, the replica and the primary…`);
    await cluster?.stop();
    console.log("stopped; data directories removed");
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
  cluster = await startCluster({ port, instances, eventBus, log: (l) => console.log(`  ${l}`) });
  const admin = await mintToken(tokenKey(cluster.jwtSecret), { role: "ADMIN", sub: "cluster", expiresIn: "12h" });
  console.log(
    [
      "",
      `  Use:         ${cluster.url}/graphql   (every request and subscription goes through HAProxy)`,
      `  Playground:  ${cluster.url}/playground`,
      `  Dashboard:   ${cluster.url}/dashboard`,
      `  Readiness:   ${cluster.url}/readyz   (of whichever instance answers: replicas and event bus included)`,
      "",
      "  ADMIN token (12 h; header Authorization: Bearer <token>):",
      "",
      `  ${admin}`,
      "",
      "  Ctrl-C stops everything.",
      "",
    ].join("\n"),
  );
  // Keep running; report an instance that dies (the balancer has already taken it out).
  for (const g of cluster.gateways) {
    g.process.child.once("exit", (code, signal) => {
      if (!stopping) console.log(`  ${g.name} exited (${signal ?? code}); HAProxy sends its traffic to the others`);
    });
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
