// bench/compare.mjs — check that our gateway and PostGraphile return the same DATA for the two
// benchmark operations (names, order and formats differ by design; values must not).
//
//   node bench/compare.mjs <ours-url> <postgraphile-url> <our-ops-dir> <peer-ops-dir> <loan-ids-file> [out.json]
//   env BENCH_AUTH="Bearer <token>" (sent to our gateway only)
//
// list: the exact benchmark ops on both servers, then the other server is asked for the SAME
//   customers by id (ours: customer(id:), PostGraphile: customerByRowId(rowId:)) — our list is
//   newest-first, PostGraphile's op is CREATED_AT_ASC, so the two pages hold different customers.
//   Both directions are checked (our 50 on PostGraphile, PostGraphile's 50 on ours).
// point: the exact ops on both servers for the first N loan ids of the file.
// Normalisation: rowId→id, loanApplicationsByCustomerId.nodes→applications,
//   loanByApplicationId→loan, paymentsByLoanId.nodes→payments, monthlyInterestBps→
//   monthlyInterestRateBps; applications sorted by id, payments by installmentNumber; datetimes
//   compared as epoch milliseconds. Exit code 1 if any difference.
import { readFileSync, writeFileSync } from "node:fs";

const [oursUrl, pglUrl, oursOps, peerOps, idsFile, outFile] = process.argv.slice(2);
if (!idsFile) {
  console.error("usage: node bench/compare.mjs <ours-url> <postgraphile-url> <our-ops-dir> <peer-ops-dir> <loan-ids-file> [out.json]");
  process.exit(2);
}
const AUTH = process.env.BENCH_AUTH ?? "";
const POINT_N = Number(process.env.BENCH_COMPARE_LOANS ?? 20);

const readOp = (dir, op) =>
  readFileSync(`${dir}/${op}.graphql`, "utf8").split("\n").filter((l) => !l.trimStart().startsWith("#")).join("\n");

async function gql(url, query, variables, auth) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(auth ? { authorization: auth } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (res.status !== 200 || body.errors) throw new Error(`${url}: HTTP ${res.status} ${JSON.stringify(body.errors ?? body).slice(0, 500)}`);
  return body.data;
}
const ours = (q, v) => gql(oursUrl, q, v, AUTH);
const pgl = (q, v) => gql(pglUrl, q, v, "");

// ---- normalisation ---------------------------------------------------------------------------
const ms = (v) => (v == null ? null : Date.parse(v));
const byId = (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const byInst = (a, b) => a.installmentNumber - b.installmentNumber;
const listPayment = (p) => ({
  installmentNumber: p.installmentNumber, dueDate: p.dueDate, principalDue: String(p.principalDue),
  interestDue: String(p.interestDue), status: p.status,
});
function normCustomerOurs(c) {
  return {
    fullName: c.fullName,
    applications: c.applications.nodes.map((a) => ({
      id: a.id, status: a.status, requestedAmount: String(a.requestedAmount),
      loan: a.loan && { id: a.loan.id, status: a.loan.status, principal: String(a.loan.principal),
        payments: a.loan.payments.map(listPayment).sort(byInst) },
    })).sort(byId),
  };
}
function normCustomerPgl(c) {
  return {
    fullName: c.fullName,
    applications: c.loanApplicationsByCustomerId.nodes.map((a) => ({
      id: a.rowId, status: a.status, requestedAmount: String(a.requestedAmount),
      loan: a.loanByApplicationId && { id: a.loanByApplicationId.rowId, status: a.loanByApplicationId.status,
        principal: String(a.loanByApplicationId.principal),
        payments: a.loanByApplicationId.paymentsByLoanId.nodes.map(listPayment).sort(byInst) },
    })).sort(byId),
  };
}
const pointPayment = (p) => ({
  installmentNumber: p.installmentNumber, dueDate: p.dueDate, principalDue: String(p.principalDue),
  interestDue: String(p.interestDue), lateFeeDue: String(p.lateFeeDue), paidAmount: String(p.paidAmount),
  status: p.status, paidAt: ms(p.paidAt),
});
const normLoan = (l, pglNames) =>
  l && {
    id: pglNames ? l.rowId : l.id, status: l.status, principal: String(l.principal),
    disbursedAmount: String(l.disbursedAmount),
    monthlyInterestRateBps: pglNames ? l.monthlyInterestBps : l.monthlyInterestRateBps,
    tenorMonths: l.tenorMonths, disbursedAt: ms(l.disbursedAt),
    payments: (pglNames ? l.paymentsByLoanId.nodes : l.payments).map(pointPayment).sort(byInst),
  };
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// selections used to fetch the other server's customers by id (same fields as the list ops)
const OURS_CUSTOMER_SEL = `fullName applications { nodes { id status requestedAmount loan { id status principal
  payments { installmentNumber dueDate principalDue interestDue status } } } }`;
const PGL_CUSTOMER_SEL = `fullName loanApplicationsByCustomerId { nodes { rowId status requestedAmount
  loanByApplicationId { rowId status principal paymentsByLoanId { nodes { installmentNumber dueDate principalDue interestDue status } } } } }`;

const report = { list: {}, point: {}, differences: [] };
function diff(kind, key, a, b) {
  report.differences.push({ kind, key, ours: a, postgraphile: b });
}

// ---- list ------------------------------------------------------------------------------------
const oursList = (await ours(readOp(oursOps, "list"))).customers.nodes;
const pglList = (await pgl(readOp(peerOps, "list"))).allCustomers.nodes;
// the same pages again with the customer ids (only to know which customers they are)
const oursArgs = readOp(oursOps, "list").match(/customers\(([^)]*)\)/)[1]; // same page (first/after)
const oursIds = (await ours(`{ customers(${oursArgs}) { nodes { id fullName } } }`)).customers.nodes;
const pglIds = (await pgl(`{ allCustomers(first: 50, orderBy: CREATED_AT_ASC) { nodes { rowId fullName } } }`)).allCustomers.nodes;
if (!same(oursIds.map((c) => c.fullName), oursList.map((c) => c.fullName))) throw new Error("our list page is not stable");
if (!same(pglIds.map((c) => c.fullName), pglList.map((c) => c.fullName))) throw new Error("PostGraphile's list page is not stable");

// Customers by id, `c<i>: field(arg: id)`, 20 aliases a request (our gateway allows 30, MAX_QUERY_ALIASES).
const byIds = async (send, ids, field, arg, sel) => {
  const out = {};
  for (let from = 0; from < ids.length; from += 20) {
    const part = ids.slice(from, from + 20);
    Object.assign(out, await send(`{ ${part.map((id, i) => `c${from + i}: ${field}(${arg}: "${id}") { ${sel} }`).join("\n")} }`));
  }
  return out;
};
// our 50 customers, fetched from PostGraphile
const pglOfOurs = await byIds(pgl, oursIds.map((c) => c.id), "customerByRowId", "rowId", PGL_CUSTOMER_SEL);
// PostGraphile's 50 customers, fetched from ours
const oursOfPgl = await byIds(ours, pglIds.map((c) => c.rowId), "customer", "id", OURS_CUSTOMER_SEL);

let listOk = 0, orderDiffs = 0;
const newCount = () => ({ applications: 0, loans: 0, payments: 0 });
const oursCount = newCount(), pglCount = newCount();
const countOf = (n, k) => {
  k.applications += n.applications.length;
  for (const a of n.applications) if (a.loan) { k.loans++; k.payments += a.loan.payments.length; }
};
oursList.forEach((c, i) => {
  const a = normCustomerOurs(c), b = normCustomerPgl(pglOfOurs[`c${i}`]);
  countOf(a, oursCount);
  if (same(a, b)) listOk++; else diff("list(ours page)", oursIds[i].id, a, b);
  if (!same(c.applications.nodes.map((x) => x.id), a.applications.map((x) => x.id))) orderDiffs++;
});
let listOk2 = 0;
pglList.forEach((c, i) => {
  const b = normCustomerPgl(c), a = normCustomerOurs(oursOfPgl[`c${i}`]);
  countOf(b, pglCount);
  if (same(a, b)) listOk2++; else diff("list(PostGraphile page)", pglIds[i].rowId, a, b);
});
report.list = {
  ours_page_customers: oursList.length, ours_page_equal_on_postgraphile: listOk,
  postgraphile_page_customers: pglList.length, postgraphile_page_equal_on_ours: listOk2,
  ours_page_contents: oursCount, postgraphile_page_contents: pglCount,
  ours_page_customers_whose_applications_come_in_other_order_than_primary_key: orderDiffs,
  overlap_between_pages: oursIds.filter((c) => pglIds.some((p) => p.rowId === c.id)).length,
};

// ---- point -----------------------------------------------------------------------------------
const ids = readFileSync(idsFile, "utf8").split("\n").filter(Boolean).slice(0, POINT_N);
let pointOk = 0, payN = 0;
for (const id of ids) {
  const a = normLoan((await ours(readOp(oursOps, "point"), { id })).loan, false);
  const b = normLoan((await pgl(readOp(peerOps, "point"), { id })).loanByRowId, true);
  payN += a?.payments.length ?? 0;
  if (a && same(a, b)) pointOk++; else diff("point", id, a, b);
}
report.point = { loans_checked: ids.length, equal: pointOk, payments_compared: payN };
report.ok = report.differences.length === 0 && listOk === oursList.length && listOk2 === pglList.length && pointOk === ids.length;

const summary = { ok: report.ok, list: report.list, point: report.point, differences: report.differences.length };
console.log(JSON.stringify(summary, null, 2));
if (report.differences.length) console.log("first difference:", JSON.stringify(report.differences[0]).slice(0, 2000));
if (outFile) writeFileSync(outFile, JSON.stringify(report, null, 2) + "\n");
process.exit(report.ok ? 0 : 1);
