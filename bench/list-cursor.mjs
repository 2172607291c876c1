// bench/list-cursor.mjs — print the `after` cursor that makes our newest-first customers page
// hold the SAME 50 customers as PostGraphile's `allCustomers(first: 50, orderBy: CREATED_AT_ASC)`
// (the 50 oldest): the cursor of the 51st-oldest customer. Cursors are HMAC-tagged by the
// server, so it walks the list through the API (pages of 100) instead of building one.
//   BENCH_AUTH="Bearer …" node bench/list-cursor.mjs <graphql-url> [n=50]
const [url, nArg] = process.argv.slice(2);
const N = Number(nArg ?? 50);
const query = `query($after: String) { customers(first: 100, after: $after) {
  edges { cursor } pageInfo { hasNextPage endCursor } } }`;
let after = null;
let tail = []; // cursors of the last pages seen, oldest last
for (;;) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: process.env.BENCH_AUTH ?? "" },
    body: JSON.stringify({ query, variables: { after } }),
  });
  const body = await res.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  const c = body.data.customers;
  tail = tail.concat(c.edges.map((e) => e.cursor)).slice(-(N + 1));
  if (!c.pageInfo.hasNextPage) break;
  after = c.pageInfo.endCursor;
}
if (tail.length < N + 1) {
  console.error(`only ${tail.length} customers: use the first page`);
  process.exit(1);
}
console.log(tail[0]); // newest-first order: after this one come exactly the N oldest
