import type { Context } from "../../graphql/context.js";
import { badInput } from "../../shared/errors.js";
import { pageArgs, toConnection, type Connection } from "../../shared/connections.js";
import type { CustomerRow } from "../../db/schema.js";
import { MAX_SEARCH_LENGTH } from "./customer.read.js";
import { countCustomers, listCustomers, type CustomerFilterInput } from "./customers.repo.js";

export { MAX_SEARCH_LENGTH };

/** `customers(filter)`: search matches part of the name, or a whole phone, e-mail or NIK (RULES §6). */
export async function customersPage(
  ctx: Context,
  first: number | undefined,
  after: string | null | undefined,
  filter: CustomerFilterInput | null | undefined,
): Promise<Connection<CustomerRow>> {
  const args = pageArgs("customer", first, after);
  if (filter?.search && filter.search.length > MAX_SEARCH_LENGTH) {
    throw badInput("search", `search must be at most ${MAX_SEARCH_LENGTH} characters`);
  }
  const rows = await listCustomers(ctx.db, ctx.viewer, filter, args);
  return toConnection("customer", rows, args, () => countCustomers(ctx.db, ctx.viewer, filter));
}

/** A partner's customers (nested connection, batched across partners). */
export async function customersOfPartner(ctx: Context, partnerId: string, first: number | undefined, after: string | null | undefined) {
  const args = pageArgs("customer", first, after);
  const rows = await ctx.loaders.customersByPartner(args).load(partnerId);
  return toConnection("customer", rows, args, () => ctx.loaders.customerCountByPartner.load(partnerId));
}
