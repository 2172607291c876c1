import type { Viewer } from "../../auth/viewer.js";
import type { Db } from "../../db/client.js";
import type { PageArgs } from "../../shared/connections.js";
import { byIdLoader, byKeyLoader, countLoader, groupLoader, perArgs } from "../../graphql/loader-utils.js";
import { countLoansPerParent, loansByApplicationIds, loansByIds, loansPerParent, type LoanParent } from "./loans.repo.js";

export function loanLoaders(db: Db, viewer: Viewer) {
  return {
    loanById: byIdLoader((ids) => loansByIds(db, viewer, ids)),
    loanByApplicationId: byKeyLoader((ids) => loansByApplicationIds(db, viewer, ids)),
    loansByParent: perArgs((a: { parent: LoanParent; status: string[] | null | undefined; page: PageArgs }) =>
      groupLoader((ids) => loansPerParent(db, viewer, a.parent, ids, a.status, a.page)),
    ),
    loanCountByParent: perArgs((a: { parent: LoanParent; status: string[] | null | undefined }) =>
      countLoader((ids) => countLoansPerParent(db, viewer, a.parent, ids, a.status)),
    ),
  };
}
