/** Unique, valid registration inputs for tests of registerCustomer/login (through HTTP). */
import { randomInt, randomUUID } from "node:crypto";
import { uniqueDigits } from "./unique.js";
import { gql, type GqlResult } from "./world.js";

/**
 * A NIK agreeing with `dateOfBirth`: `province` + regency/district + day(+40) + month + yy + serial,
 * the regency/district and serial being eight digits unique in this worker (./unique.ts).
 */
export function nikOf(dateOfBirth: string, opts: { female?: boolean; province?: number } = {}): string {
  const [y, m, d] = dateOfBirth.split("-") as [string, string, string];
  const day = Number(d) + (opts.female ? 40 : 0);
  const province = opts.province ?? 31 + randomInt(4);
  const u = uniqueDigits();
  return `${String(province).padStart(2, "0")}${u.slice(0, 4)}${String(day).padStart(2, "0")}${m}${y.slice(2)}${u.slice(4)}`;
}

/** A fresh local mobile number `0813…`: 8 followed by 10 digits after the 0, unique in this worker. */
export function freshPhone(): string {
  return `0813${uniqueDigits()}`;
}

export function freshEmail(): string {
  return `reg-${randomUUID()}@example.id`;
}

export interface RegistrationInput {
  fullName: string;
  nik: string;
  phone: string;
  email: string;
  dateOfBirth: string;
  monthlyIncome: string | number;
  pin: string;
}

export function registration(over: Partial<RegistrationInput> = {}): RegistrationInput {
  const dateOfBirth = over.dateOfBirth ?? "1990-05-17";
  return {
    fullName: "Budi Santoso",
    nik: nikOf(dateOfBirth),
    phone: freshPhone(),
    email: freshEmail(),
    dateOfBirth,
    monthlyIncome: "10000000",
    pin: "123456",
    ...over,
  };
}

export const REGISTER = `mutation($input: RegisterCustomerInput!) {
  registerCustomer(input: $input) {
    token
    customer { id fullName nik phone email dateOfBirth monthlyIncome walletBalance partner { id code } }
  }
}`;

export const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { token customer { id phone } } }`;

export function register(input: RegistrationInput, token?: string | null): Promise<GqlResult> {
  return gql(REGISTER, { input }, token);
}

export function login(phone: string, pin: string): Promise<GqlResult> {
  return gql(LOGIN, { input: { phone, pin } });
}
