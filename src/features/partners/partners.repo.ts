import { and, eq } from "drizzle-orm";
import { partnerScope, visible } from "../../auth/policy.js";
import type { Viewer } from "../../auth/viewer.js";
import type { DbOrTx } from "../../db/client.js";
import { anyId } from "../../db/queries.js";
import { partners, type PartnerRow } from "../../db/schema.js";
import { partnerRead } from "./partner.read.js";

export async function partnersByIds(db: DbOrTx, viewer: Viewer, ids: string[]): Promise<PartnerRow[]> {
  return db.select().from(partners).where(and(anyId(partners.id, ids), visible(partnerScope, viewer)));
}

export async function listPartners(db: DbOrTx, viewer: Viewer): Promise<PartnerRow[]> {
  return db.select().from(partners).where(visible(partnerScope, viewer)).orderBy(partnerRead.listOrder());
}

export async function partnerByCode(db: DbOrTx, code: string): Promise<PartnerRow | undefined> {
  const [row] = await db.select().from(partners).where(eq(partners.code, code));
  return row;
}

export async function insertPartner(db: DbOrTx, values: { code: string; name: string; createdAt?: Date }): Promise<PartnerRow> {
  const [row] = await db.insert(partners).values(values).returning();
  return row!;
}
