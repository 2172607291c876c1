import type { Context } from "../../server/context.js";
import { pageArgs, toConnection, type Connection } from "../../shared/connections.js";
import type { CustomerRow } from "../../db/schema.js";
import { countCustomers, listCustomers, type CustomerFilterInput } from "./customers.repo.js";

export async function customersPage(
  ctx: Context,
  first: number | undefined,
  after: string | null | undefined,
  filter: CustomerFilterInput | null | undefined,
): Promise<Connection<CustomerRow>> {
  const args = pageArgs("customer", first, after);
  const rows = await listCustomers(ctx.db, ctx.viewer, filter, args);
  return toConnection("customer", rows, args, () => countCustomers(ctx.db, ctx.viewer, filter));
}

/** A partner's customers (nested connection, batched across partners). */
export async function customersOfPartner(ctx: Context, partnerId: string, first: number | undefined, after: string | null | undefined) {
  const args = pageArgs("customer", first, after);
  const rows = await ctx.loaders.customersByPartner(args).load(partnerId);
  return toConnection("customer", rows, args, () => ctx.loaders.customerCountByPartner.load(partnerId));
}
