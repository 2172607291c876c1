import type { Context } from "../../server/context.js";
import { notImplemented } from "../../server/errors.js";
import type { RecordPaymentInput } from "./payment.type.js";

export async function recordPayment(_ctx: Context, _input: RecordPaymentInput): Promise<never> {
  throw notImplemented("recordPayment");
}
