// bench/fanout-client.mjs — one subscriber process of bench/fanout.ts (forked with IPC; exits
// when its parent goes away). Opens one graphql-ws connection + one loanStatusChanged
// subscription per subscriber it is given, records the time and payload of every event received,
// and answers the orchestrator's messages:
//   {type:"open", url, query, subs:[{i, token, partnerArg | variables}], parallel} -> {type:"opened", connected, failed, errors}
//   {type:"progress"}                                                -> {type:"progress", received, errors, closed}
//   {type:"report"}                                                  -> {type:"report", receipts, errors, closed}
//   {type:"close"}                                                   -> {type:"closed"}
// Times are performance.timeOrigin + performance.now() (ms, the same clock in every process).
import { createClient } from "graphql-ws";
import WebSocket from "ws";

process.on("disconnect", () => process.exit(0));
const now = () => performance.timeOrigin + performance.now();

/** [subscriber index, receipt time ms, cursor, loan id or null] */
const receipts = [];
const errors = [];
let closed = 0;
const clients = [];

function note(err) {
  if (errors.length < 50) errors.push(String(err && err.message ? err.message : JSON.stringify(err)).slice(0, 300));
  else errors.push("…");
}

function openOne(url, query, s) {
  return new Promise((resolve) => {
    let settled = false;
    const done = (ok) => {
      if (!settled) {
        settled = true;
        resolve(ok);
      }
    };
    const client = createClient({
      url,
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      connectionAckWaitTimeout: 30_000,
      connectionParams: { authorization: `Bearer ${s.token}` },
      on: {
        connected: () => done(true),
        closed: (ev) => {
          closed++;
          if (!settled) note(`closed before ack: ${ev?.code} ${ev?.reason ?? ""}`);
          done(false);
        },
        error: (err) => {
          note(err);
          done(false);
        },
      },
    });
    clients.push(client);
    client.subscribe(
      { query, variables: s.variables ?? (s.partnerArg ? { partnerId: s.partnerArg } : {}) },
      {
        next: (msg) => {
          const t = now();
          if (msg.errors) note(msg.errors);
          const ev = msg.data?.loanStatusChanged;
          receipts.push([s.i, t, ev?.cursor ?? null, ev?.loan?.id ?? null]);
        },
        error: (err) => note(err),
        complete: () => {},
      },
    );
  });
}

process.on("message", async (msg) => {
  if (msg.type === "open") {
    let connected = 0;
    let failed = 0;
    let next = 0;
    const lane = async () => {
      while (next < msg.subs.length) {
        const s = msg.subs[next++];
        if (await openOne(msg.url, msg.query, s)) connected++;
        else failed++;
      }
    };
    await Promise.all(Array.from({ length: msg.parallel }, lane));
    process.send({ type: "opened", connected, failed, errors });
  } else if (msg.type === "progress") {
    process.send({ type: "progress", received: receipts.length, errors: errors.length, closed });
  } else if (msg.type === "report") {
    process.send({ type: "report", receipts, errors, closed });
  } else if (msg.type === "close") {
    await Promise.all(clients.map((c) => c.dispose()));
    process.send({ type: "closed" });
  }
});
process.send({ type: "ready" });
