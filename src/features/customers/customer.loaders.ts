import type { Viewer } from "../../auth/viewer.js";
import type { Db } from "../../db/client.js";
import type { PageArgs } from "../../shared/connections.js";
import { byIdLoader, countLoader, groupLoader, perArgs } from "../../graphql/loader-utils.js";
import { countCustomersPerPartner, customersByIds, customersPerPartner } from "./customers.repo.js";

export function customerLoaders(db: Db, viewer: Viewer) {
  return {
    customerById: byIdLoader((ids) => customersByIds(db, viewer, ids)),
    customersByPartner: perArgs((args: PageArgs) => groupLoader((ids) => customersPerPartner(db, viewer, ids, args))),
    customerCountByPartner: countLoader((ids) => countCustomersPerPartner(db, viewer, ids)),
  };
}
