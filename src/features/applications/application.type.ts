import { Field, ID, InputType, Int, ObjectType } from "type-graphql";
import { connectionTypes } from "../../graphql/connection.types.js";
import { ApplicationStatusEnum } from "../../graphql/enums.js";
import { DateScalar, DateTimeScalar, MoneyScalar } from "../../graphql/scalars.js";

@ObjectType("CreditScore", { simpleResolvers: true })
export class CreditScore {
  @Field(() => String, { description: "A-, B+, B- or C." }) grade: string;
  @Field(() => MoneyScalar) maxAmount: bigint;
  @Field(() => Int) maxTenorMonths: number;
  @Field(() => Int) monthlyInterestRateBps: number;
  @Field(() => [String]) reasons: string[];
}

@ObjectType("Offer", { simpleResolvers: true })
export class Offer {
  @Field(() => MoneyScalar) amount: bigint;
  @Field(() => Int) tenorMonths: number;
  @Field(() => Int) monthlyInterestRateBps: number;
  @Field(() => MoneyScalar) originationFee: bigint;
  @Field(() => MoneyScalar) disbursedAmount: bigint;
  @Field(() => MoneyScalar) installmentAmount: bigint;
  @Field(() => DateScalar) firstDueDate: string;
  @Field(() => DateTimeScalar) expiresAt: Date;
}

@ObjectType("StatusChange", { simpleResolvers: true })
export class StatusChange {
  @Field(() => Int, { nullable: true }) fromCode: number | null;
  @Field(() => Int) toCode: number;
  @Field(() => String, { nullable: true }) reason: string | null;
  @Field(() => String, { description: 'Who made the change: "customer:<id>", "partner:<id>", "admin:<sub>" or "system".' })
  actor: string;
  @Field(() => DateTimeScalar) at: Date;
}

@ObjectType("Application")
export class Application {
  @Field(() => ID) id: string;
  @Field(() => MoneyScalar) requestedAmount: bigint;
  @Field(() => Int) tenorMonths: number;
  @Field(() => String) purpose: string;
  @Field(() => ApplicationStatusEnum) status: string;
  @Field(() => DateTimeScalar) createdAt: Date;
  @Field(() => DateTimeScalar) updatedAt: Date;
}

export const { Connection: ApplicationConnection } = connectionTypes("Application", Application);

@InputType("ApplicationFilter")
export class ApplicationFilter {
  @Field(() => [ApplicationStatusEnum], { nullable: true }) status?: string[] | null;
  @Field(() => ID, { nullable: true }) partnerId?: string | null;
  @Field(() => ID, { nullable: true }) customerId?: string | null;
}

@InputType("SubmitApplicationInput")
export class SubmitApplicationInput {
  @Field(() => ID, { nullable: true, description: "Required for PARTNER and ADMIN callers; a CUSTOMER applies for itself." })
  customerId?: string | null;
  @Field(() => String) productCode: string;
  @Field(() => MoneyScalar) requestedAmount: bigint;
  @Field(() => Int) tenorMonths: number;
  @Field(() => String) purpose: string;
}

@InputType("ApproveApplicationInput")
export class ApproveApplicationInput {
  @Field(() => ID) applicationId: string;
  @Field(() => MoneyScalar, { nullable: true }) amount?: bigint | null;
  @Field(() => Int, { nullable: true }) tenorMonths?: number | null;
  @Field(() => String, { nullable: true }) note?: string | null;
}

@InputType("RejectApplicationInput")
export class RejectApplicationInput {
  @Field(() => ID) applicationId: string;
  @Field(() => String) reason: string;
}

@ObjectType("ApplicationStatusEvent")
export class ApplicationStatusEvent {
  @Field(() => String, { description: "Resume point: pass it as `after` to receive only later events." }) cursor: string;
  @Field(() => ApplicationStatusEnum, { nullable: true }) fromStatus: string | null;
  @Field(() => ApplicationStatusEnum) toStatus: string;
  @Field(() => String, { nullable: true }) reason: string | null;
  @Field(() => DateTimeScalar) at: Date;
  entityId: string;
}
