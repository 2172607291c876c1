import type { Viewer } from "../../auth/viewer.js";
import type { Db } from "../../db/client.js";
import type { PageArgs } from "../../shared/connections.js";
import { byIdLoader, countLoader, groupLoader, perArgs } from "../../graphql/loader-utils.js";
import {
  applicationsByIds,
  applicationsPerParent,
  countApplicationsPerParent,
  statusHistoryByEntityIds,
  type ApplicationParent,
} from "./applications.repo.js";

export interface ParentListArgs {
  parent: ApplicationParent;
  status: string[] | null | undefined;
}

export function applicationLoaders(db: Db, viewer: Viewer) {
  return {
    applicationById: byIdLoader((ids) => applicationsByIds(db, viewer, ids)),
    applicationsByParent: perArgs((a: ParentListArgs & { page: PageArgs }) =>
      groupLoader((ids) => applicationsPerParent(db, viewer, a.parent, ids, a.status, a.page)),
    ),
    applicationCountByParent: perArgs((a: ParentListArgs) =>
      countLoader((ids) => countApplicationsPerParent(db, viewer, a.parent, ids, a.status)),
    ),
    /** Only called for entities the viewer has already been shown. */
    statusHistory: groupLoader((ids) => statusHistoryByEntityIds(db, ids)),
  };
}
