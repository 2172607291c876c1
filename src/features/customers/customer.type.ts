import { Field, ID, InputType, ObjectType } from "type-graphql";
import { connectionTypes } from "../../graphql/connection.types.js";
import { RoleEnum } from "../../graphql/enums.js";
import { DateScalar, DateTimeScalar, MoneyScalar } from "../../graphql/scalars.js";

@ObjectType("Customer")
export class Customer {
  @Field(() => ID) id: string;
  @Field(() => String) fullName: string;
  @Field(() => String) phone: string;
  @Field(() => String) email: string;
  @Field(() => DateScalar) dateOfBirth: string;
  @Field(() => MoneyScalar) monthlyIncome: bigint;
  @Field(() => MoneyScalar) walletBalance: bigint;
  @Field(() => DateTimeScalar) createdAt: Date;
  partnerId: string | null;
  nik: string;
}

export const { Connection: CustomerConnection } = connectionTypes("Customer", Customer);

@ObjectType("Viewer")
export class ViewerType {
  @Field(() => RoleEnum) role: string;
  customerId?: string;
  partnerId?: string;
}

@ObjectType("AuthPayload", { simpleResolvers: true })
export class AuthPayload {
  @Field(() => String) token: string;
  @Field(() => Customer) customer: Customer;
}

@InputType("CustomerFilter")
export class CustomerFilter {
  @Field(() => ID, { nullable: true }) partnerId?: string | null;
  @Field(() => String, { nullable: true }) search?: string | null;
}

@InputType("RegisterCustomerInput")
export class RegisterCustomerInput {
  @Field(() => String) fullName: string;
  @Field(() => String) nik: string;
  @Field(() => String) phone: string;
  @Field(() => String) email: string;
  @Field(() => DateScalar) dateOfBirth: string;
  @Field(() => MoneyScalar) monthlyIncome: bigint;
  @Field(() => String, { description: "Six digits." }) pin: string;
}

@InputType("LoginInput")
export class LoginInput {
  @Field(() => String) phone: string;
  @Field(() => String) pin: string;
}
