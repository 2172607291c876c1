import type { Context } from "../../graphql/context.js";
import { listPartners } from "./partners.repo.js";

export function partnersVisible(ctx: Context) {
  return listPartners(ctx.db, ctx.viewer);
}
