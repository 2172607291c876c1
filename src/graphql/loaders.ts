/** Every DataLoader of a request, created fresh per request / subscription operation. */
import type { Viewer } from "../auth/viewer.js";
import type { Db } from "../db/client.js";
import { applicationLoaders } from "../features/applications/application.loaders.js";
import { customerLoaders } from "../features/customers/customer.loaders.js";
import { loanLoaders } from "../features/loans/loan.loaders.js";
import { partnerLoaders } from "../features/partners/partner.loaders.js";
import { paymentLoaders } from "../features/payments/payment.loaders.js";
import { productLoaders } from "../features/products/product.loaders.js";
import { readAgainLoaders } from "./read-model.js";

export function createLoaders(db: Db, viewer: Viewer) {
  return {
    ...partnerLoaders(db, viewer),
    ...productLoaders(db),
    ...customerLoaders(db, viewer),
    ...applicationLoaders(db, viewer),
    ...loanLoaders(db, viewer),
    ...paymentLoaders(db, viewer),
    /** Rows a command returned, read again through their read model (derived fields). */
    readAgain: readAgainLoaders(db, viewer),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
