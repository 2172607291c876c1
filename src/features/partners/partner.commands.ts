/**
 * createPartner (ADMIN only; the resolver's @Authorized("ADMIN") answers UNAUTHENTICATED /
 * FORBIDDEN before this runs).
 *
 * Choices where RULES is silent: `code` is trimmed and upper-cased, then must be 2–20 characters
 * of A–Z, 0–9, `_` or `-` (partner codes appear in reports and URLs); `name` is trimmed, 1–200
 * characters. A code already taken (compared after upper-casing) is CONFLICT with field "code".
 */
import type { PartnerRow } from "../../db/schema.js";
import { uniqueViolation } from "../../db/pg-errors.js";
import type { Context } from "../../graphql/context.js";
import { badInput, conflict } from "../../shared/errors.js";
import type { CreatePartnerInput } from "./partner.inputs.js";
import { insertPartner, partnerByCode } from "./partners.repo.js";

export const PARTNER_CODE_PATTERN = /^[A-Z0-9_-]{2,20}$/;
export const MAX_PARTNER_NAME_LENGTH = 200;

export function normalizePartnerInput(input: CreatePartnerInput): { code: string; name: string } {
  const code = typeof input.code === "string" ? input.code.trim().toUpperCase() : "";
  if (!PARTNER_CODE_PATTERN.test(code)) {
    throw badInput("code", "code must be 2–20 characters of A–Z, 0–9, '_' or '-'");
  }
  const name = typeof input.name === "string" ? input.name.trim() : "";
  if (name.length === 0) throw badInput("name", "name must not be empty");
  if ([...name].length > MAX_PARTNER_NAME_LENGTH) {
    throw badInput("name", `name must be at most ${MAX_PARTNER_NAME_LENGTH} characters`);
  }
  return { code, name };
}

const duplicateCode = (code: string) => conflict(`A partner with code ${code} already exists`, "code");

export async function createPartner(ctx: Context, input: CreatePartnerInput): Promise<PartnerRow> {
  const { code, name } = normalizePartnerInput(input);
  if (await partnerByCode(ctx.db, code)) throw duplicateCode(code);
  try {
    return await insertPartner(ctx.db, { code, name, createdAt: ctx.clock.now() });
  } catch (err) {
    // Two concurrent creations of one code: the unique constraint decides.
    if (uniqueViolation(err)?.constraint === "partners_code_unique") throw duplicateCode(code);
    throw err;
  }
}
