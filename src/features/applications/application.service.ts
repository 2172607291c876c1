import type { Context } from "../../graphql/context.js";
import { pageArgs, toConnection } from "../../shared/connections.js";
import { countApplications, listApplications, type ApplicationFilterInput, type ApplicationParent } from "./applications.repo.js";

export async function applicationsPage(ctx: Context, first: number | undefined, after: string | null | undefined, filter: ApplicationFilterInput | null | undefined) {
  const args = pageArgs("application", first, after);
  const rows = await listApplications(ctx.db, ctx.viewer, filter, args);
  return toConnection("application", rows, args, () => countApplications(ctx.db, ctx.viewer, filter));
}

/** Applications of a customer or a partner (nested connection, batched across parents). */
export async function applicationsOf(
  ctx: Context,
  parent: ApplicationParent,
  parentId: string,
  first: number | undefined,
  after: string | null | undefined,
  status: string[] | null | undefined,
) {
  const page = pageArgs("application", first, after);
  const rows = await ctx.loaders.applicationsByParent({ parent, status, page }).load(parentId);
  return toConnection("application", rows, page, () => ctx.loaders.applicationCountByParent({ parent, status }).load(parentId));
}
