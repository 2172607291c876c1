/** Unique, valid registration inputs for tests of registerCustomer/login (through HTTP). */
import { randomInt, randomUUID } from "node:crypto";
import { gql, type GqlResult } from "./world.js";

let seq = randomInt(10000);

/** Ten digits unlikely to repeat across tests and workers. */
function tenDigits(): string {
  seq = (seq + 1) % 10000;
  return `${String(randomInt(1_000_000)).padStart(6, "0")}${String(seq).padStart(4, "0")}`;
}

/** A NIK agreeing with `dateOfBirth`: `province` + random regency/district + day(+40) + month + yy + serial. */
export function nikOf(dateOfBirth: string, opts: { female?: boolean; province?: number } = {}): string {
  const [y, m, d] = dateOfBirth.split("-") as [string, string, string];
  const day = Number(d) + (opts.female ? 40 : 0);
  const province = opts.province ?? 31 + randomInt(4);
  const area = String(randomInt(10000)).padStart(4, "0");
  const serial = String(randomInt(10000)).padStart(4, "0");
  return `${String(province).padStart(2, "0")}${area}${String(day).padStart(2, "0")}${m}${y.slice(2)}${serial}`;
}

/** A fresh local mobile number `081…`: 8 followed by 10 digits after the 0. */
export function freshPhone(): string {
  return `081${tenDigits().slice(1)}`;
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
