import type { Context } from "../../server/context.js";
import { notImplemented } from "../../server/errors.js";
import type { CreatePartnerInput } from "./partner.inputs.js";

export async function createPartner(_ctx: Context, _input: CreatePartnerInput): Promise<never> {
  throw notImplemented("createPartner");
}
