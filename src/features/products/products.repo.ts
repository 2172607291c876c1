import { eq } from "drizzle-orm";
import type { DbOrTx } from "../../db/client.js";
import { anyId } from "../../db/queries.js";
import { loanProducts, type LoanProductRow } from "../../db/schema.js";
import { productRead } from "./product.read.js";

/** The two products of RULES §4, created at start-up if missing. */
export const PRODUCT_DEFINITIONS = [
  {
    code: "MTL",
    name: "JULO Cicil",
    minAmount: 2_000_000n,
    maxAmount: 8_000_000n,
    minTenorMonths: 3,
    maxTenorMonths: 6,
    // By grade (A- 400, B+ 500, B- 600); the product row shows the best grade's rate.
    monthlyInterestBps: 400,
    originationFeeBps: 500,
    lateFeeBps: 500,
    minLateFee: 55_000n,
  },
  {
    code: "STL",
    name: "JULO Mini",
    minAmount: 500_000n,
    maxAmount: 1_000_000n,
    minTenorMonths: 1,
    maxTenorMonths: 1,
    monthlyInterestBps: 1000,
    originationFeeBps: 500,
    lateFeeBps: 1000,
    minLateFee: 0n,
  },
] as const;

export async function ensureProducts(db: DbOrTx): Promise<void> {
  await db
    .insert(loanProducts)
    .values(PRODUCT_DEFINITIONS.map((p) => ({ ...p })))
    .onConflictDoNothing({ target: loanProducts.code });
}

export async function listProducts(db: DbOrTx): Promise<LoanProductRow[]> {
  return db.select().from(loanProducts).orderBy(productRead.listOrder());
}

export async function productByCode(db: DbOrTx, code: string): Promise<LoanProductRow | undefined> {
  const [row] = await db.select().from(loanProducts).where(eq(loanProducts.code, code));
  return row;
}

export async function productsByIds(db: DbOrTx, ids: string[]): Promise<LoanProductRow[]> {
  return db.select().from(loanProducts).where(anyId(loanProducts.id, ids));
}

