import type { Context } from "../../server/context.js";
import { notImplemented } from "../../server/errors.js";
import type { LoginInput, RegisterCustomerInput } from "./customer.type.js";

export async function registerCustomer(_ctx: Context, _input: RegisterCustomerInput): Promise<never> {
  throw notImplemented("registerCustomer");
}

export async function login(_ctx: Context, _input: LoginInput): Promise<never> {
  throw notImplemented("login");
}
