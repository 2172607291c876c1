import type { Context } from "../../server/context.js";
import { notImplemented } from "../../server/errors.js";
import type { ApproveApplicationInput, RejectApplicationInput, SubmitApplicationInput } from "./application.type.js";

export async function submitApplication(_ctx: Context, _input: SubmitApplicationInput): Promise<never> {
  throw notImplemented("submitApplication");
}
export async function approveApplication(_ctx: Context, _input: ApproveApplicationInput): Promise<never> {
  throw notImplemented("approveApplication");
}
export async function rejectApplication(_ctx: Context, _input: RejectApplicationInput): Promise<never> {
  throw notImplemented("rejectApplication");
}
export async function cancelApplication(_ctx: Context, _id: string, _reason: string | null): Promise<never> {
  throw notImplemented("cancelApplication");
}
export async function acceptOffer(_ctx: Context, _id: string): Promise<never> {
  throw notImplemented("acceptOffer");
}
export async function declineOffer(_ctx: Context, _id: string): Promise<never> {
  throw notImplemented("declineOffer");
}
