import type { Viewer } from "../../auth/viewer.js";
import type { Db } from "../../db/client.js";
import type { PageArgs } from "../../shared/connections.js";
import { byIdLoader, byKeyLoader, countLoader, groupLoader, perArgs } from "../../graphql/loader-utils.js";
import {
  allocationsByTransactionIds,
  countTransactionsPerLoan,
  latestReversalsByTransactionIds,
  paymentsByIds,
  paymentsByLoanIds,
  transactionsByIds,
  transactionsPerLoan,
} from "./payments.repo.js";

export function paymentLoaders(db: Db, viewer: Viewer) {
  return {
    paymentById: byIdLoader((ids) => paymentsByIds(db, viewer, ids)),
    paymentsByLoan: groupLoader((ids) => paymentsByLoanIds(db, viewer, ids)),
    transactionById: byIdLoader((ids) => transactionsByIds(db, viewer, ids)),
    transactionsByLoan: perArgs((page: PageArgs) => groupLoader((ids) => transactionsPerLoan(db, viewer, ids, page))),
    transactionCountByLoan: countLoader((ids) => countTransactionsPerLoan(db, viewer, ids)),
    allocationsByTransaction: groupLoader((ids) => allocationsByTransactionIds(db, ids)),
    /** The latest reversal request of transactions the viewer has already been shown. */
    reversalByTransaction: byKeyLoader((ids) => latestReversalsByTransactionIds(db, ids)),
  };
}
