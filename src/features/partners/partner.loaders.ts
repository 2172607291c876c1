import type { Viewer } from "../../auth/viewer.js";
import type { Db } from "../../db/client.js";
import { byIdLoader } from "../../graphql/loader-utils.js";
import { partnersByIds } from "./partners.repo.js";

export function partnerLoaders(db: Db, viewer: Viewer) {
  return { partnerById: byIdLoader((ids) => partnersByIds(db, viewer, ids)) };
}
