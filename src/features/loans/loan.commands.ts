import type { Context } from "../../server/context.js";
import { notImplemented } from "../../server/errors.js";
import type { DisburseLoanInput, FailDisbursementInput } from "./loan.type.js";

export async function disburseLoan(_ctx: Context, _input: DisburseLoanInput): Promise<never> {
  throw notImplemented("disburseLoan");
}
export async function failDisbursement(_ctx: Context, _input: FailDisbursementInput): Promise<never> {
  throw notImplemented("failDisbursement");
}
export async function runDailyUpdate(_ctx: Context, _asOf: string): Promise<never> {
  throw notImplemented("runDailyUpdate");
}
export async function writeOffLoan(_ctx: Context, _loanId: string, _reason: string): Promise<never> {
  throw notImplemented("writeOffLoan");
}
